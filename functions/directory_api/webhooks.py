"""Webhook routes of the directory API (R45): a company admin's endpoints for the company's events."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body

from connectability.api import DIRECTORY, ApiRouter, Id, Limit, NextToken, caller_of, errors, respond
from connectability.domain import webhooks
from connectability.models.common import Page
from connectability.models.webhooks import Webhook, WebhookCreate, WebhookDelivery, WebhookUpdate, WebhookWithSecret

router = ApiRouter(DIRECTORY)
WebhookId = Id
BASE = "/companies/<company_id>/webhooks"


@router.post(BASE, responses=errors(403, 404, ok=201))
def create_webhook(company_id: Id, body: Annotated[WebhookCreate, Body()]) -> Response[WebhookWithSecret]:
    """Register a webhook endpoint for chosen event types (company admins).

    The endpoint must be an https:// URL on the public internet (R45). It receives the events of the company's own
    projects, each a POST signed with `Connectability-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "t.body">`.
    The answer holds its `secret`, shown this once. The event types and their schemas: docs/events/."""
    return respond(201, webhooks.create(caller_of(router), company_id, body))


@router.get(BASE, responses=errors(403, 404))
def list_webhooks(company_id: Id) -> Page[Webhook]:
    """List a company's webhook endpoints (company admins).

    Each with its URL, event types, and whether it is enabled; one disabled after 24 hours of failed deliveries
    says why in `disabled_reason`. Secrets are never listed."""
    return webhooks.list_for_company(caller_of(router), company_id)


@router.get(f"{BASE}/<webhook_id>", responses=errors(403, 404))
def get_webhook(company_id: Id, webhook_id: WebhookId) -> Webhook:
    """Read one webhook endpoint (company admins).

    Its URL, event types, description, whether it is enabled (and why not), and until when a rotated-out secret
    still signs deliveries. The secret itself is shown only when made (create, rotate-secret)."""
    return webhooks.get(caller_of(router), company_id, webhook_id)


@router.patch(f"{BASE}/<webhook_id>", responses=errors(403, 404))
def update_webhook(company_id: Id, webhook_id: WebhookId, body: Annotated[WebhookUpdate, Body()]) -> Webhook:
    """Change a webhook's URL, event types or description, or turn it on or off (company admins).

    An endpoint whose deliveries failed for over 24 hours is disabled; `enabled: true` turns it back on. Then the
    failed deliveries can be sent again from the dead-letter queue (`make redrive QUEUE=webhook-deliveries`)."""
    return webhooks.update(caller_of(router), company_id, webhook_id, body)


@router.delete(f"{BASE}/<webhook_id>", responses=errors(403, 404, ok=204))
def delete_webhook(company_id: Id, webhook_id: WebhookId) -> Response[None]:
    """Delete a webhook endpoint (company admins).

    It receives nothing more: deliveries still waiting for it (retries included) are dropped when their turn
    comes. Its delivery log goes with it."""
    webhooks.delete(caller_of(router), company_id, webhook_id)
    return respond(204)


@router.post(f"{BASE}/<webhook_id>/rotate-secret", responses=errors(403, 404))
def rotate_webhook_secret(company_id: Id, webhook_id: WebhookId) -> WebhookWithSecret:
    """Give a webhook a new signing secret (company admins), shown this once.

    For 24 hours each delivery carries a v1 signature by the new secret and one by the previous, so the receiver
    can switch to the new one without losing a delivery."""
    return webhooks.rotate_secret(caller_of(router), company_id, webhook_id)


@router.post(f"{BASE}/<webhook_id>/test", responses=errors(403, 404))
def test_webhook(company_id: Id, webhook_id: WebhookId) -> WebhookDelivery:
    """Send a signed `webhook.test` event to the endpoint now (company admins), and answer how it went.

    The answer is the delivery as logged: `delivered`, or `failed` with the endpoint's response code or why no
    answer came."""
    return webhooks.send_test(caller_of(router), company_id, webhook_id)


@router.get(f"{BASE}/<webhook_id>/deliveries", responses=errors(403, 404))
def list_webhook_deliveries(
    company_id: Id, webhook_id: WebhookId, limit: Limit = 50, next_token: NextToken = None
) -> Page[WebhookDelivery]:
    """List a webhook's deliveries, newest first (company admins).

    Every attempt, with its event, status (`delivered`, `retrying`, `failed` for good), time, the endpoint's
    response code or why no answer came; kept 30 days. Pages of up to 200 (`limit`), the next with `next_token`."""
    return webhooks.deliveries(caller_of(router), company_id, webhook_id, limit, next_token)

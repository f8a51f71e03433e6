"""Safe retries (R43): a POST, PUT or PATCH sent with an `Idempotency-Key` header is answered once.

The same caller repeating the same key on the same route with the same request (path and body) within 24 hours
gets the first answer again (status and body, and `Idempotent-Replayed: true`) and changes nothing; the same key
with another request is refused (422 `idempotency_key_reused`); a repeat while the first still runs is refused
(409 `request_in_progress`). Powertools' idempotency utility keeps the answers in the idempotency table.

Only answers of a request that ran are kept: a success, or a refusal by a rule or a right (403, 404, 409). A
request refused before it ran (malformed, invalid, too large, unauthenticated, throttled) or failed by AWS (5xx)
leaves nothing, so its retry runs again, as integrators expect (Stripe's keys behave so).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any, cast

from aws_lambda_powertools.utilities.typing import LambdaContext

from connectability import aws, runtime
from connectability.config import get_settings
from connectability.errors import ConnectabilityError, InvalidInput, RuleViolation

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
METHODS = frozenset({"POST", "PUT", "PATCH"})
MAX_KEY = 255
KEEP_SECONDS = 24 * 3600
Answer = dict[str, Any]


class KeyReused(InvalidInput):
    code = "idempotency_key_reused"
    default_rule = "R43"


class RequestInProgress(RuleViolation):
    code = "request_in_progress"
    default_rule = "R43"


class _NotKept(Exception):
    """Carries an answer that must not be kept (so a retry runs again) out of the idempotent call."""

    def __init__(self, answer: Answer) -> None:
        super().__init__("not kept")
        self.answer = answer


def answer_once(event: Mapping[str, Any], context: LambdaContext, answer: Callable[[], Answer]) -> Answer:
    """`answer()`, or the answer already given to this caller's request with the same key (R43)."""
    method = str(event.get("httpMethod") or "").upper()
    key = _header(event, HEADER)
    caller = ((event.get("requestContext") or {}).get("authorizer") or {}).get("claims", {}).get("sub")
    if method not in METHODS or key is None or not caller:
        return answer()  # no key, or no caller (the API answers 401 itself)
    if not key or len(key) > MAX_KEY or not key.isascii() or not key.isprintable():
        return _refused(
            InvalidInput(
                f"The {HEADER} header must be 1 to {MAX_KEY} printable ASCII characters; "
                "send a new unique value (a UUID) with each new request.",
                details=[{"field": HEADER, "message": "not a valid idempotency key"}],
            )
        )
    from aws_lambda_powertools.utilities.idempotency.exceptions import (
        IdempotencyAlreadyInProgressError,
        IdempotencyValidationError,
    )

    request = {
        "key": f"{caller}\n{method} {event.get('resource')}\n{key}",
        "request": {"path": event.get("path"), "body": _canonical(event.get("body"))},
    }
    once = _once()
    _config().register_lambda_context(context)
    try:
        return cast(Answer, once(request=request, answer=answer))
    except _NotKept as fresh:
        return fresh.answer
    except IdempotencyValidationError:
        return _refused(
            KeyReused(
                f"This {HEADER} was used by another request (another path or body) within 24 hours; "
                "send a new key with a new request.",
                details=[{"field": HEADER, "message": "used by another request"}],
            )
        )
    except IdempotencyAlreadyInProgressError:
        return _refused(
            RequestInProgress(
                f"A request with this {HEADER} is still running; wait for its answer, then retry to read it."
            )
        )


def _run(request: dict[str, Any], answer: Callable[[], Answer]) -> Answer:
    """The request itself; an answer not to keep leaves the idempotent call by exception (nothing stored)."""
    given = answer()
    status = int(given.get("statusCode", 500))
    if not (200 <= status < 300 or status in (403, 404, 409)):
        raise _NotKept(given)
    return given


def _replayed(answer: Any, _record: Any) -> Any:
    """The first answer, given again, says so (as the integrators' usual APIs do)."""
    if isinstance(answer, dict):
        answer = {**answer, "headers": {**(answer.get("headers") or {}), REPLAYED: "true"}}
    return answer


@cache
def _config() -> Any:
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig

    return IdempotencyConfig(
        event_key_jmespath="key",
        payload_validation_jmespath="request",
        raise_on_no_idempotency_key=True,
        expires_after_seconds=KEEP_SECONDS,
        response_hook=cast(Any, _replayed),
    )


@cache
def _once() -> Callable[..., Any]:
    """`_run` under Powertools' idempotency, built on first use: only a request that sends a key pays for it."""
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer, idempotent_function

    store = DynamoDBPersistenceLayer(table_name=get_settings().idempotency_table_name, boto3_client=aws.dynamodb())
    return idempotent_function(data_keyword_argument="request", persistence_store=store, config=_config())(_run)


@runtime.before_snapshot
def _ready() -> None:
    """Under SnapStart the utility costs a restored environment's first keyed request nothing: made before the
    snapshot."""
    _once()


def _header(event: Mapping[str, Any], name: str) -> str | None:
    wanted = name.lower()
    return next((str(v) for k, v in (event.get("headers") or {}).items() if k.lower() == wanted), None)


def _canonical(body: Any) -> Any:
    """The body as the API reads it: key order and spacing do not make another request."""
    if not body:
        return None
    try:
        return json.loads(body)
    except (TypeError, ValueError):
        return str(body)


def _refused(error: ConnectabilityError) -> Answer:
    return {
        "statusCode": error.status,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(error.body()),
        "isBase64Encoded": False,
    }

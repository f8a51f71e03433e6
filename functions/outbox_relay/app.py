"""Outbox relay: every minute, sends the events whose send after their commit failed (nothing announced is lost)."""

from __future__ import annotations

from aws_lambda_powertools.utilities.typing import LambdaContext

from connectability.domain import notifications
from connectability.observability import logger, metrics, tracer


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return {"relayed": notifications.relay_pending()}

"""Outbox relay: every minute, queues the events and writes the manifests that a change left undone."""

from __future__ import annotations

from aws_lambda_powertools.utilities.typing import LambdaContext

from connectability import runtime
from connectability.domain import outbox
from connectability.observability import logger, metrics, tracer


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return {"relayed": outbox.relay_pending()}


runtime.initialized()  # last: everything above lives as long as the function

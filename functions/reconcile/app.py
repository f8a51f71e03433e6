"""Reconcile (R42), on a schedule: starts a pass over every active connection; the passes page through the
sync-events queue and repair through the copy path."""

from __future__ import annotations

from aws_lambda_powertools.utilities.typing import LambdaContext

from connectability import runtime
from connectability.domain import reconcile
from connectability.observability import logger, metrics, tracer


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return {"started": reconcile.start_all()}


runtime.initialized()  # last: everything above lives as long as the function

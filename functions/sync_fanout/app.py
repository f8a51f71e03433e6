"""Sync fan-out: each manifest event becomes one copy job per active connection of its upstream project; the
same queue carries initial-sync pages and digest checks (DESIGN: sync_fanout)."""

from __future__ import annotations

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from connectability.domain import fanout
from connectability.observability import logger, metrics, tracer

processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


@tracer.capture_method
def handle_record(record: SQSRecord) -> int:
    """A failure leaves only this record on the queue for a retry (and the DLQ after ten)."""
    return fanout.handle_sync_event(record.body)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=handle_record, processor=processor, context=context)

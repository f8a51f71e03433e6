"""Sync fan-out: each manifest event becomes one copy job per active connection of its upstream project; the
same queue carries initial-sync pages and digest checks (DESIGN: sync_fanout)."""

from __future__ import annotations

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from connectability import runtime
from connectability.domain import fanout
from connectability.observability import logger, metrics, tracer

processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


@tracer.capture_method
def handle_record(record: SQSRecord, batch: fanout.FanOut) -> int:
    """A failure leaves only this record on the queue for a retry (and the DLQ after ten)."""
    return fanout.handle_sync_event(record.body, batch)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> PartialItemFailureResponse:
    """The batch's copy jobs go out together after it; if they cannot, the whole batch comes back."""
    batch = fanout.FanOut()
    with processor(
        records=event["Records"], handler=lambda record: handle_record(record, batch), lambda_context=context
    ):
        processor.process()
    batch.send()
    return processor.response()


runtime.initialized()  # last: everything above lives as long as the function

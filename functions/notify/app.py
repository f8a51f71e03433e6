"""Notify: sends the notification events of the queue by email, one message per recipient, once (R31-R39)."""

from __future__ import annotations

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from connectability import runtime
from connectability.domain import mailing
from connectability.models.notifications import NotificationEvent
from connectability.observability import logger, metrics, tracer

# A batch that failed whole is reported item by item too, so SQS retries exactly those records.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


@tracer.capture_method
def handle_record(record: SQSRecord) -> int:
    """A failure here (SES throttling included) leaves this record on the queue; the others of the batch go on."""
    return mailing.deliver(NotificationEvent.model_validate_json(record.body))


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> PartialItemFailureResponse:
    mailing.idempotency_config().register_lambda_context(context)
    return process_partial_response(event=event, record_handler=handle_record, processor=processor, context=context)


runtime.initialized()  # last: everything above lives as long as the function

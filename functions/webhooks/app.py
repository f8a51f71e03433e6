"""Webhooks (R45): the bus's events, matched to the endpoints that asked for them (webhook-events queue), and
each delivery to one endpoint, signed, retried with backoff (webhook-deliveries queue). Each queue carries one
kind of message; which one a record is comes from the queue it was taken from."""

from __future__ import annotations

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.event_bridge_event import EventBridgeEvent
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from connectability import queues, runtime
from connectability.config import get_settings
from connectability.domain import webhook_deliveries
from connectability.models.events import BusEvent
from connectability.models.webhooks import DeliveryJob
from connectability.observability import logger, metrics, tracer

processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


@tracer.capture_method
def handle_record(record: SQSRecord) -> int:
    settings = get_settings()
    if record.event_source_arn != settings.webhook_deliveries_queue_arn:
        return webhook_deliveries.fan_out(BusEvent.model_validate(EventBridgeEvent(record.json_body).detail))
    attempt = int(record.attributes.approximate_receive_count)
    try:
        webhook_deliveries.deliver(DeliveryJob.model_validate_json(record.body), attempt)
    except webhook_deliveries.RetryLater as exc:
        queues.retry_soon(settings.webhook_deliveries_queue_url, record.receipt_handle, exc.seconds)
        raise
    return 1


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=handle_record, processor=processor, context=context)


runtime.initialized()  # last: everything above lives as long as the function

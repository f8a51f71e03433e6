"""File check: looks at every uploaded file as it lands (its thumbnail, from the thumbnails queue's S3 events), and
hashes the revision files too large to hash within an API request (up to 5 GB, from the file-checks queue).
Each queue carries one kind of message; which one a record is comes from the queue it was taken from."""

from __future__ import annotations

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from connectability import queues, runtime
from connectability.config import get_settings
from connectability.domain import revisions, thumbnails
from connectability.events import stored_objects
from connectability.models.manifests import FileCheck
from connectability.observability import logger, metrics, tracer

processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
SOON_SECONDS = 5  # a thumbnail waiting for its revision's write looks again this soon


@tracer.capture_method
def handle_record(record: SQSRecord) -> object:
    """A repeated message finds its work done and does nothing (idempotent by state)."""
    if record.event_source_arn == get_settings().thumbnails_queue_arn:
        return look_at_uploads(record)
    return revisions.check_file(FileCheck.model_validate_json(record.body))


def look_at_uploads(record: SQSRecord) -> list[object]:
    try:
        deliveries = int(record.attributes.approximate_receive_count)
        return [thumbnails.look_at(uploaded, deliveries) for uploaded in stored_objects(record.body)]
    except thumbnails.RevisionNotYet:
        queues.retry_soon(get_settings().thumbnails_queue_url, record.receipt_handle, SOON_SECONDS)
        raise


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=handle_record, processor=processor, context=context)


runtime.initialized()  # last: everything above lives as long as the function

"""Sync fan-out (DESIGN: sync_fanout): each of its queues carries one kind of message, and the queue a record came
from says which: S3's manifest events (each becomes one copy job per active connection of its upstream project),
the manifests of a change too big to write them in its request, initial-sync pages, reconcile pages, and digest
checks. Each body is read at this edge into its own model; the domain never sees JSON."""

from __future__ import annotations

from collections.abc import Callable

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from connectability import queues, runtime
from connectability.config import get_settings
from connectability.domain import digests, fanout, initial_sync, manifests, reconcile
from connectability.events import stored_objects
from connectability.models.sync import DigestCheck, InitialSyncPage, ManifestsDue, ReconcilePage
from connectability.observability import logger, metrics, tracer

processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
Handle = Callable[[str, fanout.FanOut], object]  # (the record's body, the batch's fan-out) -> what it did


def _kinds() -> dict[str, Handle]:
    """Each queue's name, and what a body it carries is read as and handed to."""
    settings = get_settings()
    return {
        queues.queue_name(settings.sync_events_queue_arn): lambda body, batch: fanout.fan_out(
            stored_objects(body), batch
        ),
        queues.queue_name(settings.manifests_due_queue_url): lambda body, _: manifests.write_due(
            ManifestsDue.model_validate_json(body)
        ),
        queues.queue_name(settings.initial_sync_pages_queue_url): lambda body, _: initial_sync.enqueue_initial_page(
            InitialSyncPage.model_validate_json(body)
        ),
        queues.queue_name(settings.reconcile_pages_queue_url): lambda body, _: reconcile.reconcile_page(
            ReconcilePage.model_validate_json(body)
        ),
        queues.queue_name(settings.digest_checks_queue_url): lambda body, _: digests.check_digest(
            DigestCheck.model_validate_json(body).connection_id
        ),
    }


@tracer.capture_method
def handle_record(record: SQSRecord, batch: fanout.FanOut) -> object:
    """A failure leaves only this record on its queue for a retry (and its DLQ after ten)."""
    return _kinds()[queues.queue_name(record.event_source_arn)](record.body, batch)


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

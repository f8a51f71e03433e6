"""Sync copy: each copy job copies one upstream revision's file server-side into the downstream company's bucket
and writes the downstream drawing and revision, once, while the connection is active (R17, R19-R28)."""

from __future__ import annotations

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from connectability import runtime
from connectability.domain import bus_events, sync
from connectability.models.sync import CopyJob
from connectability.observability import logger, metrics, tracer

COPY_ATTEMPTS = 10  # the copy-jobs queue's maxReceiveCount in template.yaml (a test keeps them equal)
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


@tracer.capture_method
def handle_record(record: SQSRecord, ahead: sync.DownstreamReads | None = None) -> sync.Copied:
    """A job delivered again may find its file copied by the attempt before; the first delivery need not look."""
    attempt = int(record.attributes.approximate_receive_count or 1)
    job = CopyJob.model_validate_json(record.body)
    try:
        return sync.copy(job, redelivered=attempt > 1, ahead=ahead)
    except Exception as exc:
        if attempt >= COPY_ATTEMPTS:  # the job goes to the dead-letter queue now: told as copy.failed (R44)
            bus_events.copy_failed(job, f"{type(exc).__name__}: {exc}")
        raise


def _jobs(records: list[dict]) -> list[CopyJob]:
    """The batch's readable jobs (one that is not fails on its own in handle_record)."""
    jobs = []
    for record in records:
        try:
            jobs.append(CopyJob.model_validate_json(record["body"]))
        except ValueError:
            continue
    return jobs


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> PartialItemFailureResponse:
    """The batch's downstream state is read at once; after the batch, one digest check per connection with
    news and one progress check per initial sync."""
    ahead = sync.read_ahead(_jobs(event["Records"]))
    with processor(
        records=event["Records"], handler=lambda record: handle_record(record, ahead), lambda_context=context
    ):
        results = processor.process()
    sync.after_copies(result for status, result, _ in results if status == "success")
    return processor.response()


runtime.initialized()  # last: everything above lives as long as the function

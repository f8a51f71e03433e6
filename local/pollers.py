"""Event sources without AWS Lambda: SQS pollers and EventBridge rate schedules, each on its own thread.

A poller does what Lambda's SQS event source mapping does: long-poll, invoke with a batch, delete what
succeeded. With ReportBatchItemFailures the failed items stay; when the handler raises, the whole batch
stays. Kept messages are made visible again after RETRY_SECONDS (not the queue's full visibility timeout)
so retries and moto's redrive to the DLQ happen at a pace a developer can watch.
"""

from __future__ import annotations

import re
import sys
import threading
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from local.events import sqs_event
from local.template import ACCOUNT, REGION, QueueSource, Schedule

RETRY_SECONDS = 2
Invoke = Callable[[str, dict[str, Any]], Any]


class QueuePoller(threading.Thread):
    """Feeds one queue to one function until stopped."""

    def __init__(self, sqs: Any, source: QueueSource, queue_url: str, invoke: Invoke) -> None:
        super().__init__(name=f"poller-{source.queue}", daemon=True)
        self.sqs = sqs
        self.source = source
        self.queue_url = queue_url
        self.queue_name = queue_url.rstrip("/").rsplit("/", 1)[-1]
        self.invoke = invoke
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                self.poll_once()
            except Exception:  # moto restarting or going away: say so, then retry
                if self.stopping.is_set():
                    return
                traceback.print_exc(file=sys.stderr)
                self.stopping.wait(1)

    def poll_once(self, wait_seconds: int = 1) -> int:
        """Receive one batch, invoke, settle its messages; answers how many messages it received."""
        answer = self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=max(1, min(self.source.batch_size, 10)),
            WaitTimeSeconds=wait_seconds,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        messages: list[dict[str, Any]] = answer.get("Messages", [])
        if not messages:
            return 0
        try:
            result = self.invoke(self.source.function, sqs_event(self.queue_name, messages))
        except Exception:
            print(f"{self.source.function} failed on a batch of {self.queue_name}:", file=sys.stderr)
            traceback.print_exc(file=sys.stderr)
            self._retry_soon(messages)
            return len(messages)
        failed: set[str] = set()
        if self.source.report_failures and isinstance(result, dict):
            failed = {str(f.get("itemIdentifier")) for f in result.get("batchItemFailures") or []}
        self._retry_soon([m for m in messages if m["MessageId"] in failed])
        done = [m for m in messages if m["MessageId"] not in failed]
        if done:
            self.sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)],
            )
        return len(messages)

    def _retry_soon(self, messages: list[dict[str, Any]]) -> None:
        if messages:
            self.sqs.change_message_visibility_batch(
                QueueUrl=self.queue_url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": RETRY_SECONDS}
                    for i, m in enumerate(messages)
                ],
            )


_RATE = re.compile(r"^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


def rate_seconds(expression: str) -> int | None:
    """Seconds between runs of `rate(N unit)`; None for cron() and anything else (not run on a timer)."""
    match = _RATE.match(expression.strip())
    if not match:
        return None
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2).rstrip("s")]


def scheduled_event(function: str) -> dict[str, Any]:
    """The event EventBridge Scheduler sends for a `Schedule` event source."""
    return {
        "version": "0",
        "id": f"local-{time.time_ns()}",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT,
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": REGION,
        "resources": [f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{function}"],
        "detail": {},
    }


class ScheduleRunner(threading.Thread):
    """Runs one function every `rate(...)`; the first run is one period after start, as in AWS."""

    def __init__(self, schedule: Schedule, seconds: int, invoke: Invoke) -> None:
        super().__init__(name=f"schedule-{schedule.function}", daemon=True)
        self.schedule = schedule
        self.seconds = seconds
        self.invoke = invoke
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.wait(self.seconds):
            try:
                self.invoke(self.schedule.function, scheduled_event(self.schedule.function))
            except Exception:
                traceback.print_exc(file=sys.stderr)

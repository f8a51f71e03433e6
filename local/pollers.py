"""Event sources without AWS Lambda: SQS pollers and EventBridge rate schedules, each on its own thread.

A poller does what Lambda's SQS event source mapping does: it receives a batch (waiting up to the source's
MaximumBatchingWindowInSeconds to fill it up to BatchSize), invokes the function with it, and deletes what
succeeded; with ReportBatchItemFailures the failed items stay, and when the invocation fails (it raised, timed
out, its environment died) the whole batch stays. Up to `concurrency` batches run at once (the function's cap,
below the source's ScalingConfig.MaximumConcurrency), so copies of one queue run side by side as in Lambda.

A message that stays comes back when its visibility timeout ends, as the queue says (the template's
VisibilityTimeout, or what the function set itself). `visibility_scale` below 1 brings failed messages back
sooner, after that share of the queue's timeout counted from their receive: for a developer whose queues wait
90 minutes. A batch still running never reappears because of it: it holds the queue's whole timeout.
"""

from __future__ import annotations

import math
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

Invoke = Callable[[str, dict[str, Any]], Any]
RECEIVE_MAX = 10  # SQS gives at most ten messages per receive


class QueuePoller(threading.Thread):
    """Feeds one queue to one function until stopped, up to `concurrency` batches at once."""

    def __init__(
        self,
        sqs: Any,
        source: QueueSource,
        queue_url: str,
        invoke: Invoke,
        concurrency: int = 1,
        visibility_scale: float = 1.0,
    ) -> None:
        super().__init__(name=f"poller-{source.queue}", daemon=True)
        self.sqs = sqs
        self.source = source
        self.queue_url = queue_url
        self.queue_name = queue_url.rstrip("/").rsplit("/", 1)[-1]
        self.invoke = invoke
        self.concurrency = max(1, concurrency)
        self.visibility_scale = visibility_scale
        self.stopping = threading.Event()
        self._slots = threading.Semaphore(self.concurrency)
        self._visibility: int | None = None

    def run(self) -> None:
        while not self.stopping.is_set():
            if not self._slots.acquire(timeout=0.5):
                continue
            try:
                messages, received_at = self.receive_batch(), time.monotonic()
            except Exception:  # moto restarting or going away: say so, then retry
                self._slots.release()
                if self.stopping.is_set():
                    return
                traceback.print_exc(file=sys.stderr)
                self.stopping.wait(1)
                continue
            if not messages:
                self._slots.release()
                continue
            threading.Thread(
                target=self._run_batch, args=(messages, received_at), name=f"batch-{self.source.queue}", daemon=True
            ).start()

    def _run_batch(self, messages: list[dict[str, Any]], received_at: float) -> None:
        try:
            self.handle(messages, received_at)
        except Exception:
            if not self.stopping.is_set():
                traceback.print_exc(file=sys.stderr)
        finally:
            self._slots.release()

    def poll_once(self, wait_seconds: int = 1) -> int:
        """Receive one batch, invoke, settle its messages, here and now; answers how many messages it received."""
        messages = self.receive_batch(wait_seconds)
        if messages:
            self.handle(messages, time.monotonic())
        return len(messages)

    def receive_batch(self, wait_seconds: int = 1) -> list[dict[str, Any]]:
        """Up to BatchSize messages: the first receive long-polls; with a batching window, more receives follow
        until the batch is full or the window (counted from the first message) has passed."""
        wanted = max(1, self.source.batch_size)
        messages = self._receive(min(wanted, RECEIVE_MAX), wait_seconds)
        window_ends = time.monotonic() + self.source.batching_window
        while messages and len(messages) < wanted and not self.stopping.is_set():
            left = window_ends - time.monotonic()
            if left <= 0:
                break
            more = self._receive(min(wanted - len(messages), RECEIVE_MAX), int(left))
            if not more:
                self.stopping.wait(min(0.1, max(0.0, window_ends - time.monotonic())))
            messages += more
        return messages

    def _receive(self, count: int, wait_seconds: int) -> list[dict[str, Any]]:
        answer = self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=count,
            WaitTimeSeconds=wait_seconds,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        found: list[dict[str, Any]] = answer.get("Messages", [])
        return found

    def handle(self, messages: list[dict[str, Any]], received_at: float) -> None:
        """Invoke with the batch; delete what succeeded; what failed stays for its visibility timeout."""
        try:
            result = self.invoke(self.source.function, sqs_event(self.queue_name, messages))
        except Exception:
            print(f"{self.source.function} failed on a batch of {self.queue_name}:", file=sys.stderr)
            traceback.print_exc(file=sys.stderr)
            self._failed(messages, received_at)
            return
        failed: set[str] = set()
        if self.source.report_failures and isinstance(result, dict):
            failed = {str(f.get("itemIdentifier")) for f in result.get("batchItemFailures") or []}
        self._failed([m for m in messages if m["MessageId"] in failed], received_at)
        done = [m for m in messages if m["MessageId"] not in failed]
        if done:
            self.sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)],
            )

    def visibility_timeout(self) -> int:
        """The queue's VisibilityTimeout, read once."""
        if self._visibility is None:
            attributes = self.sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["VisibilityTimeout"])
            self._visibility = int(attributes["Attributes"]["VisibilityTimeout"])
        return self._visibility

    def _failed(self, messages: list[dict[str, Any]], received_at: float) -> None:
        """As the queue says, failed messages come back when their visibility timeout ends: nothing to do. Under a
        scale, they come back after that share of the timeout, counted from their receive."""
        if not messages or self.visibility_scale >= 1:
            return
        scaled = self.visibility_timeout() * self.visibility_scale
        seconds = max(0, math.ceil(scaled - (time.monotonic() - received_at)))
        for start in range(0, len(messages), RECEIVE_MAX):
            self.sqs.change_message_visibility_batch(
                QueueUrl=self.queue_url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": seconds}
                    for i, m in enumerate(messages[start : start + RECEIVE_MAX])
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

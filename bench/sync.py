"""Sync's AWS calls per copied revision per downstream, counted exactly on moto in-process.

One upstream project with 10 revisions and 3 approved downstream projects. For each operation that reaches sync
(an initial sync, a publish, a title edit, a delete) the queues are then run to empty, the way Lambda's pollers
would run them, and only the calls the handlers make are counted: the poller's own receives and deletes are not
(Lambda makes those, not the function), nor is the request that started it all (shown beside, for context).

Each call is charged to the step that made it: `fan-out` (sync_fanout: manifests, initial-sync pages), `copy`
(sync_copy, with its batch follow-ups), or `notifications` - anything made under the product's notification
code (queueing and closing digests, dispatching events) and the notify function itself. Notifications are
reported apart from the per-copy figure.
"""

from __future__ import annotations

import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

from bench.calls import Call, operation_name, wrapped_calls

REVISIONS = 10
DOWNSTREAMS = 3
OPERATIONS = ("publish", "edit title", "delete", "initial sync")
# What a step of the pipeline is for: the function the message reached, unless notification code made the call.
NOTIFYING_MODULES = frozenset(
    {
        "connectability.domain.notification_events",
        "connectability.domain.recipients",
        "connectability.domain.mailing",
        "connectability.domain.notifications",
        "notify.app",
    }
)
NOTIFYING_FUNCTIONS = frozenset({"check_digest", "send_digest_checks"})
QUEUES = (
    ("ManifestsDueQueue", "fan-out"),
    ("SyncEventsQueue", "fan-out"),
    ("InitialSyncPagesQueue", "fan-out"),
    ("ReconcilePagesQueue", "fan-out"),
    ("CopyJobsQueue", "copy"),
    ("DigestChecksQueue", "fan-out"),
    ("NotificationsQueue", "notifications"),
)


def _for_notifications(frame: FrameType | None) -> bool:
    while frame is not None:
        if frame.f_code.co_name in NOTIFYING_FUNCTIONS or frame.f_globals.get("__name__") in NOTIFYING_MODULES:
            return True
        frame = frame.f_back
    return False


class Tally:
    """Counts the AWS calls made while a step is set, as `step` -> `service:Operation` -> calls."""

    def __init__(self) -> None:
        self.step: str | None = None
        self.calls: dict[str, Counter[str]] = {}

    @contextmanager
    def installed(self) -> Iterator[Tally]:
        def tallying(real: Call) -> Call:
            def counted(client: Any, operation: str, params: Any) -> Any:
                if self.step is not None:
                    step = "notifications" if _for_notifications(sys._getframe(1)) else self.step
                    self.calls.setdefault(step, Counter())[operation_name(client, operation)] += 1
                return real(client, operation, params)

            return counted

        with wrapped_calls(tallying):
            yield self

    @contextmanager
    def charged_to(self, step: str) -> Iterator[None]:
        self.step = step
        try:
            yield
        finally:
            self.step = None

    def take(self) -> dict[str, Counter[str]]:
        taken, self.calls = self.calls, {}
        return taken


class Runner:
    """Delivers the sync and notification queues' messages to their functions until every queue is empty."""

    def __init__(self, stack: Any, api: Any, tally: Tally) -> None:
        import boto3

        self.sqs: Any = boto3.client("sqs")
        self.stack, self.api, self.tally = stack, api, tally
        self.urls = {q: self.sqs.get_queue_url(QueueName=stack.physical_name(q))["QueueUrl"] for q, _ in QUEUES}

    def deliver(self, queue: str, step: str | None) -> int:
        """One batch from `queue` to its function (its calls charged to `step`); answers how many messages."""
        from local.events import LambdaContext, sqs_event

        source = next(s for s in self.stack.queue_sources if s.queue == queue)
        messages = self.sqs.receive_message(
            QueueUrl=self.urls[queue], MaxNumberOfMessages=source.batch_size, AttributeNames=["All"]
        ).get("Messages", [])
        if not messages:
            return 0
        handler = self.api.handler(source.function)
        event = sqs_event(self.stack.physical_name(queue), messages)
        if step is None:
            response = handler(event, LambdaContext(source.function))
        else:
            with self.tally.charged_to(step):
                response = handler(event, LambdaContext(source.function))
        if response.get("batchItemFailures"):
            raise RuntimeError(f"{source.function} failed on {response['batchItemFailures']}: the figures would lie")
        self.sqs.delete_message_batch(
            QueueUrl=self.urls[queue],
            Entries=[{"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(messages)],
        )
        return len(messages)

    def waiting(self) -> int:
        names = [f"ApproximateNumberOfMessages{kind}" for kind in ("", "NotVisible", "Delayed")]
        total = 0
        for url in self.urls.values():
            attributes = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
            total += sum(int(v) for v in attributes.values())
        return total

    def run(self, counted: bool = True, timeout: float = 60.0) -> None:
        """Until every queue is empty, delayed digest checks included (they wait out the quiet period). Queue by
        queue, each until empty (fan-out, copies, mails): a digest check never runs between two copies of one
        burst, so the counts do not depend on how fast the machine is."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            moved = 0
            for queue, step in QUEUES:
                while delivered := self.deliver(queue, step if counted else None):
                    moved += delivered
            if not moved:
                if not self.waiting():
                    return
                time.sleep(0.1)
        raise RuntimeError("the sync pipeline did not settle")

    def drop_notifications(self) -> None:
        """Deliver the mails a request queued before sync ran (connection mails), uncounted."""
        while self.deliver("NotificationsQueue", None):
            pass


@dataclass
class Measured:
    operation: str
    copies: int  # revisions x downstreams
    steps: dict[str, Counter[str]]
    request: Counter[str] = field(default_factory=Counter)  # the request(s) that started it, not in the figures

    def sync_calls(self) -> Counter[str]:
        return self.steps.get("fan-out", Counter()) + self.steps.get("copy", Counter())

    def per_copy(self, calls: Counter[str] | int) -> float:
        total = calls if isinstance(calls, int) else sum(calls.values())
        return total / self.copies


def measure() -> list[Measured]:
    """Runs the four operations on a fresh moto account; answers their tallies, in OPERATIONS order."""
    quiet = os.environ.get("SYNC_DIGEST_QUIET_SECONDS")
    os.environ["SYNC_DIGEST_QUIET_SECONDS"] = "1"  # the quiet period before a digest: 30 s in AWS
    try:
        return _measure()
    finally:
        if quiet is None:
            os.environ.pop("SYNC_DIGEST_QUIET_SECONDS", None)
        else:
            os.environ["SYNC_DIGEST_QUIET_SECONDS"] = quiet


def _measure() -> list[Measured]:
    from moto import mock_aws

    from connectability.aws import reset_clients
    from connectability.config import get_settings
    from local.template import create_resources, load
    from local.world import PDF, Api, Builder, DrawingsWorld, set_environment

    set_environment()
    get_settings.cache_clear()
    reset_clients()
    stack = load()
    tally = Tally()
    results: dict[str, Measured] = {}
    with mock_aws(), tally.installed():
        create_resources(stack)
        api = Api(stack)
        build = Builder(api)
        apex = build.company("Apex", "a-admin")
        volt = build.company("Volt", "v-admin", connected_drawings_beta=True)
        build.user(apex, "a-cm")
        for user in ("req", "v-cm"):
            build.user(volt, user)
        build.user(apex, "req")
        up = build.project(apex, "Tower", "a-admin")
        build.member(up, "a-cm", "a-admin", cm="admin", drawings="admin")
        build.member(up, "req", "a-admin", drawings="read_only")
        downs = []
        for n in range(DOWNSTREAMS):
            down = build.project(volt, f"Tower trade {n}", "v-admin")
            build.member(down, "req", "v-admin", cm="admin", drawings="standard")
            build.member(down, "v-cm", "v-admin", cm="admin", drawings="admin")
            downs.append(down)
        world = DrawingsWorld(api, apex, up, uploader="a-cm", admin="a-cm")
        runner = Runner(stack, api, tally)
        runner.run(counted=False)  # the buckets' s3:TestEvents

        def sheets(prefix: str) -> list[dict[str, Any]]:
            made = [world.revision(f"{prefix}-{n:03d}", data=PDF, area={"name": "Level 1"}) for n in range(REVISIONS)]
            _expect(all(r.status == 201 for r in made), f"new revisions: {[r.body for r in made]}")
            return [r.body for r in made]

        def review(down: str) -> list[dict[str, Any]]:
            answer = api("GET", f"/projects/{down}/connected-drawings/review", "v-cm", query={"limit": "200"})
            _expect(answer.status == 200, f"review queue: {answer.body}")
            return list(answer.body["items"])

        def run(operation: str, request: Counter[str], check: Callable[[], None]) -> None:
            tally.take()
            runner.run()
            results[operation] = Measured(operation, REVISIONS * DOWNSTREAMS, tally.take(), request)
            check()

        def requests(action: Callable[[], None]) -> Counter[str]:
            with tally.charged_to("request"):
                action()
            return sum(tally.take().values(), Counter())

        # an initial sync: 10 revisions published before the connections, copied when each is approved
        first = sheets("A")
        _expect(world.publish(*[r["id"] for r in first]).status == 200, "publish")
        runner.run(counted=False)  # no connection yet: nothing to copy

        def connect() -> None:
            for down in downs:
                asked = api("POST", f"/projects/{down}/connections", "req", {"upstream_project_id": up})
                _expect(asked.status == 201, f"connection request: {asked.body}")
                approved = api("POST", f"/connections/{asked.body['id']}/approve", "a-cm")
                _expect(approved.status == 200, f"approval: {approved.body}")

        request = requests(connect)
        runner.drop_notifications()  # connection_requested / connection_created: not sync's
        run("initial sync", request, lambda: _expect(all(len(review(d)) == REVISIONS for d in downs), "initial"))

        # a publish of 10 new drawings, then an edit of each one's title, then their delete
        second = sheets("B")
        request = requests(lambda: _expect(world.publish(*[r["id"] for r in second]).status == 200, "publish"))
        run("publish", request, lambda: _expect(all(len(review(d)) == 2 * REVISIONS for d in downs), "publish"))

        def edit() -> None:
            for r in second:
                answer = api("PATCH", f"/projects/{up}/drawings/{r['drawing_id']}", "a-cm", {"title": "Renamed"})
                _expect(answer.status == 200, f"edit: {answer.body}")

        run(
            "edit title",
            requests(edit),
            lambda: _expect(
                all(sum(c["title"] == "Renamed" for c in review(d)) == REVISIONS for d in downs), "edit title"
            ),
        )

        def delete() -> None:
            for r in second:
                answer = api("DELETE", f"/projects/{up}/drawings/{r['drawing_id']}", "a-cm")
                _expect(answer.status == 204, f"delete: {answer.body}")

        def deleted(down: str) -> int:
            answer = api("GET", f"/projects/{down}/reports/deleted-drawing-revisions", "v-cm", query={"limit": "200"})
            return len(answer.body["items"])

        run("delete", requests(delete), lambda: _expect(all(deleted(d) == REVISIONS for d in downs), "delete"))
    reset_clients()
    get_settings.cache_clear()
    return [results[name] for name in OPERATIONS]


def _expect(ok: bool, what: str) -> None:
    """A bench of a pipeline that did not do its job would print meaningless figures: stop instead."""
    if not ok:
        raise RuntimeError(f"{what}: not as expected")


def report(measured: list[Measured]) -> list[str]:
    copies = measured[0].copies
    width = 34
    head = f"  {'per copy':<{width}}" + "".join(f"{m.operation:>14}" for m in measured)
    lines = [
        f"Sync: AWS calls per copied revision per downstream (moto in-process; exact; "
        f"{REVISIONS} revisions x {DOWNSTREAMS} downstreams = {copies} copies per operation)",
        head,
    ]

    def row(label: str, values: list[float]) -> str:
        return f"  {label:<{width}}" + "".join(f"{v:14.2f}" for v in values)

    operations = sorted(set().union(*(m.sync_calls() for m in measured)))
    for op in operations:
        lines.append(row(op, [m.per_copy(m.sync_calls()[op]) for m in measured]))
    lines.append(row("= sync calls per copy", [m.per_copy(m.sync_calls()) for m in measured]))
    for step in ("fan-out", "copy"):
        lines.append(row(f"    of which {step}", [m.per_copy(m.steps.get(step, Counter())) for m in measured]))
    lines.append(
        row(
            "notification calls per copy (apart)",
            [m.per_copy(m.steps.get("notifications", Counter())) for m in measured],
        )
    )
    lines.append(f"  {'sync calls in all':<{width}}" + "".join(f"{sum(m.sync_calls().values()):14d}" for m in measured))
    lines.append(
        f"  {'the request(s) themselves':<{width}}" + "".join(f"{sum(m.request.values()):14d}" for m in measured)
    )
    lines.append(
        f"  {'within the target (<= 3.00)?':<{width}}"
        + "".join(f"{'yes' if m.per_copy(m.sync_calls()) <= 3 else 'no':>14}" for m in measured)
    )
    lines.append("  floor: 1 CopyObject + 1 DynamoDB write = 2.00 for a new file (1.00 without one); target <= 3.00")
    for m in measured:
        notes = m.steps.get("notifications")
        if notes:
            detail = ", ".join(f"{op} {n}" for op, n in sorted(notes.items()))
            lines.append(f"  notifications, {m.operation}: {detail}")
    return lines

"""Faults at every step of the pipeline (publish → manifest → fan-out → copy → notify): each AWS call of a
scenario fails in turn, as an AWS error (throttling, a 500, a timeout) or as the function dying right there;
then the queues redeliver, the outbox relay and reconcile run as in AWS, and the end state must be exact:
every revision once, every file copied once, every mail once, counters equal to a recount.

`make faults` (FAULT_POINTS=all) tries every point of the scenario; `make test` the day's seventh of them
(fault_rotation.py: seven days in a row try every point), named at the end of its output.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import boto3
import botocore.client
import pytest
import requests
from botocore.exceptions import ClientError, ReadTimeoutError

from connectability.db.drawings import RevisionItem
from connectability.db.projects import project_key
from connectability.models.common import utcnow
from local.events import LambdaContext, sqs_event
from local.world import PDF, SYNC_QUEUES, Pipeline
from tests.integration import fault_rotation
from tests.integration.conftest import Connected, relay_as_scheduled
from tests.integration.sync_world import DOWN_ADMIN, UP_ADMIN, Sync, fresh_pair


class Crash(BaseException):
    """The function dies between two AWS calls: nothing of it catches this, the whole invocation fails."""


@dataclass
class Injector:
    """Counts the pipeline's AWS calls, and fails the one numbered `at` in the way `kind` says."""

    at: int = 0
    kind: str = "crash"
    seen: int = 0
    armed: bool = False
    copies: int = 0
    fired: list[str] = field(default_factory=list)

    @contextmanager
    def live(self) -> Iterator[None]:
        """Faults apply only to what the product does inside this block, never to the test's own calls."""
        self.armed, was = True, self.armed
        try:
            yield
        finally:
            self.armed = was

    def __call__(self, operation: str) -> None:
        if not self.armed:
            return
        self.seen += 1
        if self.seen != self.at:
            return
        self.fired.append(operation)
        if self.kind == "crash":
            raise Crash(operation)
        if self.kind == "timeout":
            raise ReadTimeoutError(endpoint_url=f"https://aws/{operation}")
        code = {"throttle": "ThrottlingException", "error": "InternalError"}[self.kind]
        raise ClientError({"Error": {"Code": code, "Message": f"injected for {operation}"}}, operation)


@pytest.fixture
def injector(monkeypatch: pytest.MonkeyPatch) -> Injector:
    found = Injector()
    real = botocore.client.BaseClient._make_api_call

    def call(self: Any, operation: str, params: dict[str, Any]) -> Any:
        found(operation)
        answer = real(self, operation, params)
        if operation in ("CopyObject", "UploadPartCopy"):
            found.copies += 1
        return answer

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", call)
    return found


def settle(pipeline: Pipeline, injector: Injector | None = None, rounds: int = 60) -> None:
    """Run every queue until empty, as Lambda's pollers would, a crashed invocation's batch coming back whole."""
    sqs = boto3.client("sqs")
    for _ in range(rounds):
        busy = False
        for logical_id in SYNC_QUEUES:
            url = pipeline.queues.url(logical_id)
            source = next(s for s in pipeline.queues.stack.queue_sources if s.queue == logical_id)
            handler = pipeline.queues.api.handler(source.function)
            messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"]).get(
                "Messages", []
            )
            if not messages:
                continue
            busy = True
            name = pipeline.queues.stack.physical_name(logical_id)
            try:
                with injector.live() if injector else _nothing():
                    answer = handler(sqs_event(name, messages), LambdaContext(source.function))
                failed = {f["itemIdentifier"] for f in answer.get("batchItemFailures", [])}
            except (Crash, ClientError, ReadTimeoutError) as exc:
                failed = {m["MessageId"] for m in messages}  # the invocation died: the batch comes back
                if isinstance(exc, Crash):
                    past_the_timeout()
            for m in messages:
                if m["MessageId"] in failed:
                    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=0)
                else:
                    sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        if not busy and not any(pipeline.waiting(q) for q in SYNC_QUEUES):
            return
        if not busy:
            import time

            time.sleep(0.2)  # a digest check waits out its quiet second


@contextmanager
def _nothing() -> Iterator[None]:
    yield


def past_the_timeout() -> None:
    """SQS gives a dead invocation's batch again only after its visibility timeout, longer than the function's:
    by then the idempotency records the invocation left in progress have expired. Here the batch comes back at
    once, so they are expired here (deleted: what Powertools does with an expired one is write it anew)."""
    from connectability.config import get_settings

    table = get_settings().idempotency_table_name
    dynamodb = boto3.client("dynamodb")
    for item in dynamodb.scan(TableName=table).get("Items", []):
        if item.get("status", {}).get("S") == "INPROGRESS":
            dynamodb.delete_item(TableName=table, Key={"id": item["id"]})


def call_api(sync: Sync, injector: Injector, method: str, path: str, user: str, body: Any = None) -> Any:
    """A request whose function may die midway: the client sees a 5xx (API Gateway's), the change's duties
    wait in the outbox."""
    try:
        with injector.live():
            return sync.api(method, path, user, body)
    except (Crash, ClientError, ReadTimeoutError):
        return None


def scenario(sync: Sync, injector: Injector) -> bool:
    """The story every fault point is tried on: publish two sheets, then edit one, delete the other and add a
    revision; faults apply to every AWS call the product makes (requests, manifests, fan-out, copies, mails)."""
    a = _publish(sync, injector, "E-1", area={"name": "Level 1"})
    b = _publish(sync, injector, "E-2")
    settle(sync.pipeline, injector)
    if a:
        path = f"/projects/{sync.two.up}/drawings/{a['drawing_id']}"
        retried(lambda: call_api(sync, injector, "PATCH", path, UP_ADMIN, {"title": "Edited"}))
    # a publish that died after its commit leaves its manifest to the outbox relay, a minute later: a delete
    # before that reaches a downstream that never held the drawing, and no deletion is announced to it
    announced = any(c["number"] == "E-2" for c in sync.review())
    if b:
        path = f"/projects/{sync.two.up}/drawings/{b['drawing_id']}"
        retried(lambda: call_api(sync, injector, "DELETE", path, UP_ADMIN))
    _publish(sync, injector, "E-1", revision_number="2", area={"name": "Level 1"})
    settle(sync.pipeline, injector)
    return announced


def retried(request: Callable[[], Any]) -> Any:
    """A user tries again when the answer says AWS was busy (429, 503) or none came (the function died)."""
    answer = None
    for _ in range(3):
        answer = request()
        if answer is not None and answer.status not in (429, 503):
            return answer
    return answer


def _publish(sync: Sync, injector: Injector, number: str, **given: Any) -> dict[str, Any] | None:
    """Create and publish a sheet; when the function dies, the user tries again, as a user would."""
    for _ in range(3):
        revision = _create(sync, injector, number, dict(given))
        if revision is None:
            continue
        path = f"/projects/{sync.two.up}/drawing-revisions/publish"
        for _ in range(3):
            answer = call_api(sync, injector, "POST", path, UP_ADMIN, {"revision_ids": [revision.body["id"]]})
            if answer is not None and answer.status == 200:
                return dict(revision.body)
            assert answer is None or answer.status in (429, 503), answer.body  # AWS trouble, said so
            drawing = sync.api("GET", f"/projects/{sync.two.up}/drawings/{revision.body['drawing_id']}", UP_ADMIN)
            states = {r["id"]: r["state"] for r in (drawing.body or {}).get("revisions", [])}
            if states.get(revision.body["id"]) == "published":
                return dict(revision.body)  # it committed before the function died
        return None
    return None


def _create(sync: Sync, injector: Injector, number: str, fields: dict[str, Any]) -> Any:
    """Upload a sheet and make a revision of it, as a client does; None when a request failed (it retries)."""
    size = len(PDF)
    body = {"filename": f"{number}.pdf", "content_type": "application/pdf", "size": size}
    upload = call_api(sync, injector, "POST", f"/projects/{sync.two.up}/drawing-uploads", UP_ADMIN, body)
    if upload is None or upload.status != 201:
        return None
    assert requests.put(upload.body["url"], data=PDF, headers=upload.body["headers"], timeout=10).status_code == 200
    body = {
        "upload_id": upload.body["upload_id"],
        "number": number,
        "title": f"Plan {number}",
        "revision_number": fields.pop("revision_number", "1"),
        "discipline": {"name": "Electrical"},
        **fields,
    }
    revision = call_api(sync, injector, "POST", f"/projects/{sync.two.up}/drawing-revisions", UP_ADMIN, body)
    return revision if revision is not None and revision.status == 201 else None


def heal(sync: Sync) -> None:
    """What AWS does next: the outbox relay runs every minute; reconcile runs every hour."""
    relay_as_scheduled(utcnow() + timedelta(minutes=2))
    settle(sync.pipeline)
    relay_as_scheduled(utcnow() + timedelta(minutes=2))  # what a relayed duty left (a failed send)
    settle(sync.pipeline)
    assert sync.api("POST", f"/connections/{sync.connection_id}/reconcile", DOWN_ADMIN).status == 202
    settle(sync.pipeline)


def outcome(sync: Sync) -> dict[str, Any]:
    """What a user or an auditor can observe, with ids and times taken out."""
    status = sync.api("GET", f"/connections/{sync.connection_id}/sync-status", DOWN_ADMIN).body
    copies = [r for r in RevisionItem.query(project_key(sync.two.down)) if getattr(r, "connected", False)]
    states = Counter(r.state for r in copies)
    return {
        "state": sync.state(),
        "copies per upstream revision": Counter(Counter(r.source_revision_id for r in copies).values()),
        "counters": (status["copied"], status["pending_review"], status["published_downstream"], status["failed"]),
        "recount": (states["pending_review"] + states["published"], states["pending_review"], states["published"], 0),
        "mails": sorted(told(sync).items()),
    }


DIGESTS = ("drawings_published", "drawings_deleted")


def never_held(told: list[tuple[tuple[str, bool], int]]) -> list[tuple[tuple[str, bool], int]]:
    """What the downstream is told when E-2's publish died after its commit: its manifest waits for the outbox
    relay, so E-2 is deleted upstream before the downstream heard of it, and neither its publish nor its delete
    is news there (one revision fewer published, no deletion)."""
    fewer = {("drawings_published", True): 1}
    return [(key, n - fewer.get(key, 0)) for key, n in told if key != ("drawings_deleted", True)]


def told(sync: Sync) -> Counter[tuple[str, bool]]:
    """By event and side (downstream: True): how many messages were sent, and for a digest of news how many
    revisions or drawings its messages told of. A burst is one digest, or two when a copy retried after a fault
    lands after the first one went out (how long a retry takes is the machine's): what must equal the fault-free
    run is what each side was told, every piece of news once, and every other mail once."""
    found: Counter[tuple[str, bool]] = Counter()
    for event, project, subject in sync.mails():
        if project in (sync.two.up, sync.two.down):
            found[(event, project == sync.two.down)] += int(subject.split(" ", 1)[0]) if event in DIGESTS else 1
    return found


def points(total: int) -> list[int]:
    """Which call numbers to fail: every one with FAULT_POINTS=all (`make faults`), those listed (FAULT_POINTS=82
    replays one), else the day's rotation: every seventh, so the runs of seven days in a row try them all."""
    chosen = os.environ.get("FAULT_POINTS", "")
    if chosen == "all":
        return list(range(1, total + 1))
    if chosen:
        return [int(p) for p in chosen.split(",")]
    return fault_rotation.today().points(total)


def kind_of(point: int) -> str:
    """How a point fails: FAULT_KIND if set; in the day's rotation, its kinds (shifted each week); otherwise the
    kinds in turn by point, as `make faults` tries them (so FAULT_POINTS=82 replays point 82 as it failed there)."""
    if os.environ.get("FAULT_KIND"):
        return os.environ["FAULT_KIND"]
    if os.environ.get("FAULT_POINTS"):
        return KINDS[(point - 1) % len(KINDS)]
    return fault_rotation.today().kind(point)


KINDS = fault_rotation.KINDS


def test_every_fault_point_of_the_pipeline_ends_exact(
    two: Connected, pipeline: Pipeline, injector: Injector, record_property: Callable[[str, object], None]
) -> None:
    reference = fresh_pair(two, pipeline, 0)
    settle(pipeline)
    assert scenario(reference, injector)
    heal(reference)
    total, copies = injector.seen, injector.copies
    expected = outcome(reference)
    assert expected["state"]["register"] == []
    assert len(expected["state"]["review"]) == 2
    assert expected["counters"][:3] == expected["recount"][:3]

    tried: list[tuple[int, str, str]] = []
    for n, at in enumerate(points(total)):
        kind = kind_of(at)
        sync = fresh_pair(two, pipeline, n + 1)
        settle(pipeline)
        injector.at, injector.kind, injector.seen, injector.copies, injector.fired = at, kind, 0, 0, []
        held_before_delete = scenario(sync, injector)
        heal(sync)
        got = outcome(sync)
        mails = expected["mails"] if held_before_delete else never_held(expected["mails"])
        where = f"fault {kind} at call {at} ({injector.fired}); {fault_rotation.chosen()}"
        assert got["state"] == expected["state"], where
        assert got["copies per upstream revision"] == expected["copies per upstream revision"], where
        assert got["counters"] == got["recount"], where
        assert got["mails"] == mails, where
        assert injector.copies == copies, where  # every file copied once
        tried.append((at, kind, injector.fired[0] if injector.fired else "-"))
    record_property("fault points", f"{len(tried)} tried of {total} AWS calls in the scenario: {tried}")
    print(f"\n{len(tried)} fault points tried of {total} AWS calls in the scenario:", tried)
    assert len(tried) == len(points(total)) > 0

"""AWS calls per operation, counted on moto (counts, not times: exact on any machine). Each count is pinned at
what the code makes today: a change that adds calls fails here, and one that saves calls should lower its pin.

The routes are those `make bench` exercises; the sync steps count every call the pipeline's functions make (the
queues' own receives and deletes are Lambda's poller's, not ours), per copied revision per downstream project.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from tests.integration.conftest import PDF, Api, Builder, DrawingsWorld, Queues
from tests.integration.sync_world import UP_ADMIN, Sync


class Counted:
    """Every AWS call a handler makes (boto3 and PynamoDB alike), by function, service and operation."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.function: str | None = None

    def during(self, action: Callable[[], Any]) -> Counter[str]:
        """The calls handlers made while `action` ran."""
        before = self.calls.copy()
        action()
        return self.calls - before


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> Counted:
    import botocore.client

    counts = Counted()
    real_call, real_handler = botocore.client.BaseClient._make_api_call, Api.handler

    def call(self: Any, operation: str, params: dict[str, Any]) -> Any:
        if counts.function is not None:
            counts.calls[f"{counts.function} {self.meta.service_model.service_name}:{operation}"] += 1
        return real_call(self, operation, params)

    def handler(self: Api, function: str) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
        handle = real_handler(self, function)

        def run(event: dict[str, Any], context: Any) -> dict[str, Any]:
            counts.function = function
            try:
                return handle(event, context)
            finally:
                counts.function = None

        return run

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", call)
    monkeypatch.setattr(Api, "handler", handler)
    return counts


def total(calls: Counter[str]) -> int:
    return sum(calls.values())


def over(pins: dict[str, tuple[int, str]], counts: dict[str, Counter[str]]) -> list[str]:
    """Every operation whose count grew past its pin, with what it called."""
    return [
        f"{name}: {total(counts[name])} calls, pinned at {pin} ({why}): {dict(sorted(counts[name].items()))}"
        for name, (pin, why) in pins.items()
        if total(counts[name]) > pin
    ]


# -- API routes, as `make bench` drives them ------------------------------------------------------------------
ROUTES: dict[str, tuple[int, str]] = {
    "GET /companies/{id}": (2, "the company and the caller's membership of it"),
    "POST /companies": (7, "the company; its bucket: create, versioning, encryption, public block, lifecycle, notify"),
    "POST /projects/{id}/connections": (13, "10 reads of both projects, companies and roles; 1 transaction; outbox"),
    "notify: connection_requested": (12, "recipients' settings and users (8 reads), idempotency record, 1 mail, log"),
    "POST /connections/{id}/approve": (17, "12 reads of both sides; 1 transaction; outbox; mail and initial sync sent"),
    "notify: connection_created": (24, "a connection_requested's calls twice: one mail to each side"),
    "POST /projects/{id}/drawing-revisions": (19, "9 reads; upload read, hashed, tagged (4 S3); 3 writes"),
    "publish 1 revision": (13, "5 reads; outbox in and out; 1 transaction with its version; 4 reads back; 1 manifest"),
    "publish 19 revisions at once": (31, "the same 12 shared calls, then 1 manifest per revision, 16 at a time"),
    "GET /projects/{id}/drawings (20)": (9, "8 reads of the caller's rights and the project; 1 query of the register"),
    "PATCH /projects/{id}/drawings/{id} (title)": (24, "17 reads; 1 transaction, counter and manifest; outbox"),
}


def test_api_routes_make_no_more_calls_than_today(api: Api, queues: Queues, counted: Counted) -> None:
    build = Builder(api)
    apex = build.company("Apex", "a-admin")
    volt = build.company("Volt", "v-admin", connected_drawings_beta=True)
    for user in ("a-cm", "req"):
        build.user(apex, user)
    build.user(volt, "req")
    up = build.project(apex, "Tower", "a-admin")
    down = build.project(volt, "Tower E", "v-admin")
    build.member(up, "a-cm", "a-admin", cm="admin", drawings="admin")
    build.member(up, "req", "a-admin", drawings="read_only")
    build.member(down, "req", "v-admin", cm="admin", drawings="admin")
    counts: dict[str, Counter[str]] = {}
    answers: dict[str, Any] = {}

    def measure(name: str, action: Callable[[], Any]) -> None:
        counts[name] = counted.during(lambda: answers.__setitem__(name, action()))

    measure("GET /companies/{id}", lambda: api("GET", f"/companies/{apex}", "a-admin"))
    measure("POST /companies", lambda: api("POST", "/companies", "platform-admin", {"name": "X"}))
    request = "POST /projects/{id}/connections"
    measure(request, lambda: api("POST", f"/projects/{down}/connections", "req", {"upstream_project_id": up}))
    measure("notify: connection_requested", lambda: queues.drain("NotificationsQueue"))
    connection = answers[request].body["id"]
    measure("POST /connections/{id}/approve", lambda: api("POST", f"/connections/{connection}/approve", "a-cm"))
    measure("notify: connection_created", lambda: queues.drain("NotificationsQueue"))
    world = DrawingsWorld(api, apex, up)
    uploads = [world.upload(PDF, user="a-cm") for _ in range(20)]

    def revision(n: int) -> str:
        body = {
            "upload_id": uploads[n],
            "number": f"A-{n}",
            "title": "Plan",
            "revision_number": "1",
            "discipline": {"name": "Architectural"},
            "area": {"name": "Level 1"},
        }
        answer = api("POST", f"/projects/{up}/drawing-revisions", "a-cm", body)
        assert answer.status == 201, answer.body
        return str(answer.body["id"])

    measure("POST /projects/{id}/drawing-revisions", lambda: revision(0))
    ids = [answers["POST /projects/{id}/drawing-revisions"]] + [revision(n) for n in range(1, 20)]
    measure("publish 1 revision", lambda: world.publish(ids[0], user="a-cm"))
    measure("publish 19 revisions at once", lambda: world.publish(*ids[1:], user="a-cm"))
    measure("GET /projects/{id}/drawings (20)", lambda: api("GET", f"/projects/{up}/drawings", "req"))
    drawing = api("GET", f"/projects/{up}/drawings", "req").body["items"][0]["id"]
    measure(
        "PATCH /projects/{id}/drawings/{id} (title)",
        lambda: api("PATCH", f"/projects/{up}/drawings/{drawing}", "a-cm", {"title": "New"}),
    )
    for name, answer in answers.items():
        assert getattr(answer, "status", 200) < 300, (name, answer)
    assert not over(ROUTES, counts)
    assert set(ROUTES) == set(counts)


# -- sync steps: every call of the pipeline's functions, per copied revision per downstream --------------------
SHEETS = 3  # revisions per step: one batch of each queue, so the counts do not hang on batching
DOWNSTREAMS = 2
STEPS: dict[str, tuple[int, str]] = {
    # 3 revisions x 2 downstreams = 6 copies: 10.7 calls per copied revision per downstream, mails included
    "initial sync": (64, "pages and progress; per batch one read; per copy a CopyObject, a transaction; mails"),
    "publish (the request)": (14, "the shared reads; 1 transaction for the set; 1 manifest per revision"),
    # 6 copies: 9.5 per copied revision per downstream, of which notify's mails are 25 calls in all
    "publish (the pipeline)": (
        57,
        "per manifest a read; per batch the jobs, one read; per copy a CopyObject, a transaction",
    ),
    "edit (the request)": (20, "15 reads; 1 transaction, counter and manifest; outbox"),
    "edit (the pipeline)": (7, "1 manifest read and fan-out; one read for the batch; per downstream a transaction"),
    "delete (the request)": (12, "8 reads; 1 transaction, counter and manifest; outbox"),
    # 2 downstreams: 22.5 per downstream, of which notify's deletion mails are 21 calls in all
    "delete (the pipeline)": (45, "1 manifest read and fan-out; one read; per downstream a transaction, a digest"),
}


def test_sync_steps_make_no_more_calls_than_today(sync: Sync, counted: Counted) -> None:
    pipeline, up = sync.pipeline, sync.up
    first = [up.published(f"E-{n}") for n in range(SHEETS)]
    pipeline.run()
    sync.connect()
    other = sync.two.downstream_project("Harbor Tower - Lighting")
    requested = sync.two.request(down=other)
    assert requested.status == 201, requested.body
    assert sync.api("POST", f"/connections/{requested.body['id']}/approve", UP_ADMIN).status == 200
    pipeline.queues.drain("NotificationsQueue")  # the connections' own mails are not a sync step
    counts = {"initial sync": counted.during(pipeline.run)}

    drafts = [up.revision(f"E-{SHEETS + n}").body["id"] for n in range(SHEETS)]
    counts["publish (the request)"] = counted.during(lambda: up.publish(*drafts))
    counts["publish (the pipeline)"] = counted.during(pipeline.run)

    drawing = first[0]["drawing_id"]
    edit = f"/projects/{sync.two.up}/drawings/{drawing}"
    counts["edit (the request)"] = counted.during(lambda: sync.api("PATCH", edit, UP_ADMIN, {"title": "Renamed"}))
    counts["edit (the pipeline)"] = counted.during(pipeline.run)

    counts["delete (the request)"] = counted.during(lambda: sync.api("DELETE", edit, UP_ADMIN))
    counts["delete (the pipeline)"] = counted.during(pipeline.run)

    assert len(sync.review()) == 2 * SHEETS - 1  # every copy landed, the deleted one left the review list
    assert not over(STEPS, counts)
    assert set(STEPS) == set(counts)

"""AWS calls per operation, counted on moto (counts, not times: exact on any machine). Each count is pinned at
what the code makes today (bench/budgets.py, which `make bench` reports too): a change that adds calls fails here,
and one that saves calls should lower its pin.

Besides calls, each API route's sequential round trips are pinned: the longest chain of its calls each made only
after the one before it had answered, whatever AWS's latency. Calls made together (tasks of a thread pool, one
BatchGetItem) count once, however many; what a request waits for is its round trips, and none may need more than
MAX_ROUND_TRIPS. They are counted from the code's structure, not from times (exact on any machine too), as if
every call took as long: in one thread, each call follows the one before; a task given to a thread pool follows
what its submitter had waited for, and, in a pool of N workers, the task given N before it, whose worker it
takes (16 workers make 19 calls in two round trips); waiting for a task's result waits for its calls.

The routes are those `make bench` exercises; the sync steps count every call the pipeline's functions make (the
queues' own receives and deletes are Lambda's poller's, not ours), per copied revision per downstream project.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pytest

from bench.budgets import MAX_ROUND_TRIPS, MORE_ROUTES, ROUTES, SHEETS, STEPS, Pin
from local.world import PDF, Api, Builder, DrawingsWorld, Queues
from tests.integration.sync_world import DOWN_ADMIN, UP_ADMIN, Sync

Chain = tuple[str, ...]  # calls each made after the one before it had answered


@dataclass
class Measured:
    """The calls an action made, by function, service and operation, and the longest chain of them."""

    calls: Counter[str] = field(default_factory=Counter)
    chain: Chain = ()

    @property
    def total(self) -> int:
        return sum(self.calls.values())

    @property
    def round_trips(self) -> int:
        return len(self.chain)


class Counted:
    """Every AWS call a handler makes (boto3 and PynamoDB alike), by function, service and operation; and, for
    each thread, the longest chain of calls it has waited for."""

    def __init__(self) -> None:
        self.function: str | None = None
        self.measured: Measured | None = None
        self.lock = threading.Lock()
        self.waited = threading.local()

    def chain(self) -> Chain:
        """The longest chain of calls this thread has waited for."""
        return getattr(self.waited, "chain", ())

    def reach(self, chain: Chain) -> None:
        """This thread has now waited for `chain` too."""
        if len(chain) > len(self.chain()):
            self.waited.chain = chain

    def during(self, action: Callable[[], Any]) -> Measured:
        """The calls handlers made while `action` ran."""
        self.measured, self.waited.chain = (measured := Measured()), ()
        try:
            action()
        finally:
            self.measured = None
        return measured


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> Counted:
    import botocore.client

    counts = Counted()
    real_call, real_handler = botocore.client.BaseClient._make_api_call, Api.handler
    real_submit, real_result = ThreadPoolExecutor.submit, Future.result

    def call(self: Any, operation: str, params: dict[str, Any]) -> Any:
        measured, function = counts.measured, counts.function
        if measured is None or function is None:
            return real_call(self, operation, params)
        name = f"{self.meta.service_model.service_name}:{operation}"
        chain = (*counts.chain(), name)
        try:
            return real_call(self, operation, params)
        finally:
            counts.waited.chain = chain
            with counts.lock:
                measured.calls[f"{function} {name}"] += 1
                measured.chain = max(measured.chain, chain, key=len)

    def submit(self: ThreadPoolExecutor, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        submitted, done, finished = counts.chain(), {}, threading.Event()
        with counts.lock:
            given = self.__dict__.setdefault("given", [])  # (finished, done) of each task, in order
            before = given[-self._max_workers] if len(given) >= self._max_workers else None
            given.append((finished, done))

        def task() -> Any:
            counts.waited.chain = submitted
            if before is not None:  # the task whose worker this one takes
                before[0].wait()
                counts.reach(before[1]["chain"])
            try:
                return fn(*args, **kwargs)
            finally:
                done["chain"] = counts.chain()
                finished.set()

        future = real_submit(self, task)
        future.done_chain = done  # type: ignore[attr-defined]
        return future

    def result(self: Future[Any], timeout: float | None = None) -> Any:
        try:
            return real_result(self, timeout)
        finally:
            counts.reach(getattr(self, "done_chain", {}).get("chain", ()))

    def handler(self: Api, function: str) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
        handle = real_handler(self, function)

        def run(event: dict[str, Any], context: Any) -> dict[str, Any]:
            counts.function = function
            try:
                return handle(event, context)
            finally:
                counts.function = None

        return run

    monkeypatch.setattr(ThreadPoolExecutor, "submit", submit)
    monkeypatch.setattr(Future, "result", result)
    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", call)
    monkeypatch.setattr(Api, "handler", handler)
    return counts


def over(pins: dict[str, Pin], measured: dict[str, Measured]) -> list[str]:
    """Every operation whose calls or round trips grew past their pins, with what it called."""
    return [
        f"{name}: {m.total} calls in {m.round_trips} round trips, pinned at {calls} in {trips} ({why}): "
        f"{dict(sorted(m.calls.items()))}; in turn: {m.chain}"
        for name, (calls, trips, why) in pins.items()
        if (m := measured[name]).total > calls or (trips is not None and m.round_trips > trips)
    ]


# -- API routes, as `make bench` drives them ------------------------------------------------------------------
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
    counts: dict[str, Measured] = {}
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


# -- more API routes, in a connected pair: those whose round trips were found over MAX_ROUND_TRIPS ---------------
def test_more_api_routes_make_no_more_calls_than_today(sync: Sync, counted: Counted) -> None:
    pipeline, up, two, api = sync.pipeline, sync.up, sync.two, sync.api
    sheets = [up.published(f"E-{n}", area={"name": "Level 1"}) for n in range(3)]
    pipeline.run()
    sync.connect()
    pipeline.run()
    by_id = [c["id"] for c in sync.review()]  # published by id below; the "all" publish takes the next three
    assert len(by_id) == 3
    for n in range(3, 6):
        up.published(f"E-{n}")
    pipeline.run()
    connection, drawing, revision = sync.connection_id, sheets[0]["drawing_id"], sheets[0]["id"]
    area = api("GET", f"/projects/{two.up}/drawing-areas", UP_ADMIN).body["items"][0]["id"]
    rejected = two.request(down=two.downstream_project("Harbor Tower - Lighting")).body["id"]
    cancelled = two.request(down=two.downstream_project("Harbor Tower - Plumbing")).body["id"]
    routes: dict[str, Callable[[], Any]] = {
        "GET /connections/{id} (downstream CM admin)": lambda: api("GET", f"/connections/{connection}", DOWN_ADMIN),
        "GET /connections/{id}/sync-status": lambda: api("GET", f"/connections/{connection}/sync-status", DOWN_ADMIN),
        "GET /projects/{id}/drawings/{id}": lambda: api("GET", f"/projects/{two.up}/drawings/{drawing}", UP_ADMIN),
        "GET /projects/{id}/drawing-revisions/{id}/deliveries": lambda: api(
            "GET", f"/projects/{two.up}/drawing-revisions/{revision}/deliveries", UP_ADMIN
        ),
        "PATCH /projects/{id}/drawing-areas/{id} (3 published)": lambda: api(
            "PATCH", f"/projects/{two.up}/drawing-areas/{area}", UP_ADMIN, {"description": "Ground floor"}
        ),
        "POST /projects/{id}/connected-drawings/publish (3 ids)": lambda: sync.down(
            "POST", "/connected-drawings/publish", body={"revision_ids": by_id}
        ),
        "POST /projects/{id}/connected-drawings/publish (3, all)": lambda: sync.down(
            "POST", "/connected-drawings/publish", body={"all": True}
        ),
        "POST /connections/{id}/reject": lambda: api("POST", f"/connections/{rejected}/reject", UP_ADMIN, {}),
        "POST /connections/{id}/cancel": lambda: api("POST", f"/connections/{cancelled}/cancel", "req"),
        "POST /connections/{id}/disconnect": lambda: api(
            "POST", f"/connections/{connection}/disconnect", DOWN_ADMIN, {"reason": "Finished"}
        ),
    }
    counts: dict[str, Measured] = {}
    answered: dict[str, Any] = {}
    for name, route in routes.items():
        answers: list[Any] = []
        counts[name] = counted.during(lambda route=route, answers=answers: answers.append(route()))
        assert answers[0].status < 300, (name, answers[0].body)
        answered[name] = answers[0].body
    assert answered["POST /projects/{id}/connected-drawings/publish (3 ids)"] == {"published": by_id}
    assert len(answered["POST /projects/{id}/connected-drawings/publish (3, all)"]["published"]) == 3
    assert not over(MORE_ROUTES, counts)
    assert set(MORE_ROUTES) == set(counts)


# -- sync steps: every call of the pipeline's functions, per copied revision per downstream --------------------
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


# -- the most round trips an API request may make ----------------------------------------------------------------
def test_no_api_request_waits_for_more_than_max_round_trips() -> None:
    """Every API route is pinned at MAX_ROUND_TRIPS or fewer (a change's manifests: intents, versions, drawings and
    records, objects in one wave, intents done; more than one wave's worth are handed off to sync_fanout)."""
    pinned = {name: trips for pins in (ROUTES, MORE_ROUTES, STEPS) for name, (_, trips, _) in pins.items()}
    over_max = {name for name, trips in pinned.items() if trips is not None and trips > MAX_ROUND_TRIPS}
    assert not over_max, over_max

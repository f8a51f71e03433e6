"""Events for integrators (R44): every fact on the stack's bus, through the outbox, once per fact, each valid
against its JSON Schema in docs/events/."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from local.world import SYNC_QUEUES, DrawingsWorld, Pipeline
from tests.integration.bus_world import Bus, validate
from tests.integration.conftest import Connected, Faults
from tests.integration.sync_world import DOWN_ADMIN, UP_ADMIN, Sync, sync_of

EVERY_TYPE = {
    "connection.requested",
    "connection.approved",
    "connection.rejected",
    "connection.cancelled",
    "connection.disconnected",
    "initial_sync.completed",
    "copies.landed",
    "drawings.deleted_upstream",
    "copies.published",
    "copy.failed",
    "reconcile.repaired",
}


def run_before(pipeline: Pipeline, stop: str, timeout: float = 120.0) -> None:
    """Run the pipeline up to one queue, left full: every other queue is drained until all of them are empty."""
    deadline = time.monotonic() + timeout
    while True:
        others = [q for q in SYNC_QUEUES if q != stop]
        for queue in others:
            pipeline.queues.drain(queue, rounds=100)
        left = {q: n for q in others if (n := pipeline.waiting(q))}
        if not left:
            return
        assert time.monotonic() < deadline, f"the pipeline did not settle before {stop}; left: {left}"
        time.sleep(0.2)


def test_r44_every_kind_of_fact_is_on_the_bus_once_and_valid_against_its_schema(
    sync: Sync, bus: Bus, faults: Faults
) -> None:
    # Given a connection requested and approved while one drawing is published upstream (its initial sync)
    sync.up.published("E-101")
    sync.connect()
    sync.pipeline.run()
    # When more is published, copies are published downstream, a drawing is deleted upstream
    second = sync.up.published("E-102")
    sync.pipeline.run()
    assert sync.publish_all()
    sync.api("DELETE", f"/projects/{sync.two.up}/drawings/{second['drawing_id']}", UP_ADMIN)
    sync.pipeline.run()
    # and a copy fails on its last attempt, and a reconcile repairs it
    sync.up.published("E-103")
    run_before(sync.pipeline, "CopyJobsQueue")
    [job] = sync.pipeline.take("CopyJobsQueue")
    job["Attributes"]["ApproximateReceiveCount"] = "10"
    faults.fail("CopyObject", times=5)
    [response] = sync.pipeline.deliver("CopyJobsQueue", [job])
    assert response["batchItemFailures"], "the copy was meant to fail"
    faults.rules.clear()
    reconcile = sync.api("POST", f"/connections/{sync.connection_id}/reconcile", DOWN_ADMIN)
    assert reconcile.status in (200, 202), reconcile.body
    sync.pipeline.run()
    # and other requests are rejected, cancelled, and the connection is disconnected
    rejected = sync.two.request(down=sync.two.downstream_project("Rejected one"))
    assert sync.api("POST", f"/connections/{rejected.body['id']}/reject", UP_ADMIN, {"reason": "No"}).status == 200
    cancelled = sync.two.request(down=sync.two.downstream_project("Cancelled one"))
    assert sync.api("POST", f"/connections/{cancelled.body['id']}/cancel", "req").status == 200
    gone = sync.api("POST", f"/connections/{sync.connection_id}/disconnect", DOWN_ADMIN, {"reason": "Done"})
    assert gone.status == 200, gone.body
    sync.pipeline.run()

    # Then every kind of fact is on the bus, each valid against its schema, each fact once
    events = [e["detail"] for e in bus.events()]
    assert {e["type"] for e in events} == EVERY_TYPE
    for event in events:
        validate(event)
    assert [i for i, n in Counter(e["id"] for e in events).items() if n > 1] == []
    # and each names the companies and projects it concerns
    landed = [e for e in events if e["type"] == "copies.landed"]
    assert {tuple(sorted(e["company_ids"])) for e in landed} == {tuple(sorted([sync.two.apex, sync.two.volt]))}
    published = [e for e in events if e["type"] == "copies.published"]
    assert published[0]["company_ids"] == [sync.two.volt]
    assert published[0]["project_ids"] == [sync.two.down]
    repaired = next(e for e in events if e["type"] == "reconcile.repaired")
    assert repaired["data"]["repairs"] >= 1


def test_r44_a_fact_is_told_once_when_every_sync_event_comes_twice_and_out_of_order(
    two: Connected, pipeline: Pipeline, bus: Bus
) -> None:
    def story(sync: Sync, badly: bool) -> list[dict[str, Any]]:
        sync.connect()
        first = sync.up.published("E-101")
        sync.up.published("E-102")
        if badly:
            for queue in ("SyncEventsQueue", "CopyJobsQueue"):
                messages = sync.pipeline.take(queue)
                sync.pipeline.deliver(queue, [m for m in reversed(messages) for _ in range(2)])
        run_before(sync.pipeline, "NotificationsQueue")
        if badly:  # the notify function sees every notification event twice too
            messages = sync.pipeline.take("NotificationsQueue")
            sync.pipeline.deliver("NotificationsQueue", [m for m in reversed(messages) for _ in range(2)])
        sync.pipeline.run()
        sync.api("DELETE", f"/projects/{sync.two.up}/drawings/{first['drawing_id']}", UP_ADMIN)
        sync.pipeline.run()
        return [e["detail"] for e in bus.events() if sync.two.down in e["detail"]["project_ids"]]

    good = story(sync_of(two, pipeline), badly=False)
    down2 = two.downstream_project("Harbor Tower - Electrical 2")
    up2 = two.upstream_project("Harbor Tower 2")
    second = Connected(two.build, two.apex, two.volt, up2, down2)
    bad = story(
        Sync(second, DrawingsWorld(two.build.api, two.apex, up2, uploader=UP_ADMIN, admin=UP_ADMIN), pipeline),
        badly=True,
    )
    # Then both stories told the same facts, each once
    assert sorted(e["type"] for e in bad) == sorted(e["type"] for e in good)
    assert {"connection.requested", "connection.approved", "copies.landed", "drawings.deleted_upstream"} <= {
        e["type"] for e in good
    }
    assert len({e["id"] for e in bad}) == len(bad)
    for event in bad:
        validate(event)


def test_r44_a_fact_whose_telling_failed_is_told_by_the_outbox_relay(sync: Sync, bus: Bus, faults: Faults) -> None:
    from datetime import timedelta

    from connectability.models.common import utcnow
    from tests.integration.conftest import relay_as_scheduled

    # Given copies waiting downstream, published while EventBridge fails the request's telling of it
    sync.connect()
    sync.up.published("E-1")
    sync.up.published("E-2")
    sync.pipeline.run()
    faults.fail("PutEvents", times=1)  # the request's one put
    published = sync.publish_all()
    assert len(published) == 2
    assert [e for e in bus.details() if e["type"] == "copies.published"] == []
    # When the outbox relay runs
    assert relay_as_scheduled(utcnow() + timedelta(minutes=1)) == 1
    # Then the fact is on the bus, once, naming the copies published
    [told] = [e for e in bus.details() if e["type"] == "copies.published"]
    assert sorted(told["data"]["revision_ids"]) == sorted(published)
    assert relay_as_scheduled(utcnow() + timedelta(minutes=2)) == 0

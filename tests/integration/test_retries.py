"""Safe retries (R43): a request sent again with its Idempotency-Key gets its first answer and changes nothing;
the key with another request is refused; a repeat while the first still runs is refused; a request that did not
run (invalid, or failed by AWS) leaves nothing, so its retry runs."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import pytest

from connectability.config import get_settings
from local.world import Answer, Api
from tests.integration.conftest import Directory, Faults


def _key() -> dict[str, str]:
    return {"Idempotency-Key": str(uuid.uuid4())}


def _projects(api: Api, world: Directory) -> list[str]:
    listed = api("GET", f"/companies/{world.company_id}/projects", world.admin, query={"limit": "200"})
    return sorted(p["name"] for p in listed.body["items"])


def test_r43_two_identical_posts_with_one_key_make_one_project(api: Api, world: Directory) -> None:
    # Given a client that sends a POST with a key, times out, and sends it again
    key, path = _key(), f"/companies/{world.company_id}/projects"
    first = api("POST", path, world.admin, {"name": "Annex"}, headers=key)
    again = api("POST", path, world.admin, {"name": "Annex"}, headers=key)

    # Then the second gets the first answer, says it is a replay, and only one project exists
    assert first.status == 201, first.body
    assert (again.status, again.body) == (201, first.body)
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert _projects(api, world).count("Annex") == 1
    # and the same body in another key order is the same request
    reordered = api("POST", path, world.admin, '{"name":   "Annex"}', headers=key)
    assert reordered.body == first.body


def test_r43_the_same_key_with_another_body_is_refused_and_changes_nothing(api: Api, world: Directory) -> None:
    key, path = _key(), f"/companies/{world.company_id}/projects"
    assert api("POST", path, world.admin, {"name": "Annex"}, headers=key).status == 201
    other = api("POST", path, world.admin, {"name": "Parking"}, headers=key)
    assert other.status == 422
    assert (other.error["code"], other.error["rule"]) == ("idempotency_key_reused", "R43")
    assert "Parking" not in _projects(api, world)
    # and so is the key on another path (another project's route is another request)
    elsewhere = api("PATCH", f"/companies/{world.company_id}", world.admin, {"name": "Apex"}, headers=key)
    assert elsewhere.status == 200  # another route: another key space
    project = api("POST", path, world.admin, {"name": "Yard"}, headers=_key()).body["id"]
    renamed = api("PATCH", f"/projects/{project}", world.admin, {"name": "Yard 1"}, headers=key)
    assert renamed.status == 200


def test_r43_each_caller_has_keys_of_their_own(api: Api, world: Directory) -> None:
    key, path = _key(), f"/companies/{world.company_id}/projects"
    api(
        "PUT",
        f"/companies/{world.company_id}/users/admin2",
        "platform-admin",
        {"email": "a2@x.example", "name": "A2", "is_company_admin": True},
    )
    mine = api("POST", path, world.admin, {"name": "Annex"}, headers=key)
    theirs = api("POST", path, "admin2", {"name": "Annex"}, headers=key)
    assert mine.status == theirs.status == 201
    assert mine.body["id"] != theirs.body["id"]


def test_r43_a_repeat_while_the_first_still_runs_is_refused(
    api: Api, world: Directory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a first request held inside its write (the project's creation waits until the test lets it go)
    from connectability.db import projects as projects_db

    entered, release = threading.Event(), threading.Event()
    real = projects_db.put_project

    def held(*args: Any, **kwargs: Any) -> Any:
        entered.set()
        release.wait(10)
        return real(*args, **kwargs)

    monkeypatch.setattr(projects_db, "put_project", held)
    key, path = _key(), f"/companies/{world.company_id}/projects"
    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(api, "POST", path, world.admin, {"name": "Annex"}, None, key)
        assert entered.wait(10)
        # When the client retries meanwhile
        repeat = api("POST", path, world.admin, {"name": "Annex"}, headers=key)
        release.set()
        done: Answer = first.result(timeout=20)

    # Then the repeat is told the first still runs; the first finishes; one project exists; a later retry reads it
    assert repeat.status == 409
    assert (repeat.error["code"], repeat.error["rule"]) == ("request_in_progress", "R43")
    assert done.status == 201
    assert api("POST", path, world.admin, {"name": "Annex"}, headers=key).body == done.body
    assert _projects(api, world).count("Annex") == 1


def test_r43_a_request_that_did_not_run_leaves_nothing_so_its_retry_runs(
    api: Api, world: Directory, faults: Faults
) -> None:
    key, path = _key(), f"/companies/{world.company_id}/projects"
    # an invalid body is refused, and the corrected body with the same key then runs
    assert api("POST", path, world.admin, {"name": ""}, headers=key).status == 422
    # AWS failing the write (the project and its audit record, one transaction) answers 503, and the same request
    # retried runs and succeeds
    faults.fail("TransactWriteItems", times=1, code="InternalServerError")
    failed = api("POST", path, world.admin, {"name": "Annex"}, headers=key)
    assert failed.status == 503, failed.body
    retried = api("POST", path, world.admin, {"name": "Annex"}, headers=key)
    assert retried.status == 201, retried.body
    assert _projects(api, world).count("Annex") == 1


def test_r43_a_refusal_by_a_rule_is_the_first_answer_too(api: Api, world: Directory) -> None:
    # a rule's refusal is an answer: retried with its key, it is given again, not run again
    key = _key()
    refused = api(
        "POST",
        f"/projects/{world.project_id}/connections",
        world.admin,
        {"upstream_project_id": world.project_id},
        headers=key,
    )
    again = api(
        "POST",
        f"/projects/{world.project_id}/connections",
        world.admin,
        {"upstream_project_id": world.project_id},
        headers=key,
    )
    assert refused.status in (403, 404, 409)
    assert (again.status, again.body, again.headers.get("Idempotent-Replayed")) == (
        refused.status,
        refused.body,
        "true",
    )


@pytest.mark.parametrize("bad", ["", "x" * 256, "clé-é", "a\tb"])
def test_r43_a_key_that_is_not_one_is_refused_naming_the_header(api: Api, world: Directory, bad: str) -> None:
    answer = api(
        "POST",
        f"/companies/{world.company_id}/projects",
        world.admin,
        {"name": "Annex"},
        headers={"Idempotency-Key": bad},
    )
    assert answer.status == 422
    assert answer.error["details"] == [{"field": "Idempotency-Key", "message": "not a valid idempotency key"}]
    assert "Annex" not in _projects(api, world)


def test_r43_answers_are_kept_24_hours(api: Api, world: Directory) -> None:
    import time

    api("POST", f"/companies/{world.company_id}/projects", world.admin, {"name": "Annex"}, headers=_key())
    table = boto3.resource("dynamodb").Table(get_settings().idempotency_table_name)
    kept = [i for i in table.scan()["Items"] if i.get("status") == "COMPLETED"]
    assert kept
    for item in kept:
        assert abs(int(item["expiration"]) - (time.time() + 24 * 3600)) < 300


def test_without_a_key_nothing_is_kept(api: Api, world: Directory) -> None:
    path = f"/companies/{world.company_id}/projects"
    assert api("POST", path, world.admin, {"name": "Annex"}).status == 201
    assert api("POST", path, world.admin, {"name": "Annex"}).status == 201  # two projects, as asked twice
    assert _projects(api, world).count("Annex") == 2
    table = boto3.resource("dynamodb").Table(get_settings().idempotency_table_name)
    assert table.scan()["Items"] == []

"""The audit trail (R46): every change a user makes is recorded with who, when, what changed (before and after) and
the request id, in the transaction of the change itself; company admins read their company's trail and a project's
CM admins that project's, filtered, a page at a time, as JSON or CSV."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime
from typing import Any

import pytest

from connectability.config import get_settings
from connectability.db import projects as projects_db
from connectability.db import publishing as publishing_db
from tests.integration.conftest import Api, Connected, Directory, DrawingsWorld, Faults
from tests.integration.sync_world import DOWN_ADMIN, UP_ADMIN, Sync
from tests.integration.test_guards_alone import hold

Entry = dict[str, Any]


def trail(api: Api, path: str, user: str, **query: str) -> list[Entry]:
    """Every entry of a trail (`/companies/{id}` or `/projects/{id}`), newest first, following every page."""
    entries: list[Entry] = []
    token: str | None = None
    while True:
        asked = {**query, **({"next_token": token} if token else {})}
        answer = api("GET", f"{path}/audit", user, query=asked or None)
        assert answer.status == 200, answer.body
        entries += answer.body["items"]
        token = answer.body["next_token"]
        if token is None:
            return entries


def by_request(entries: list[Entry]) -> dict[str, list[tuple[str, Any, Any]]]:
    """What each request recorded: (action, before, after) of each of its entries."""
    found: dict[str, list[tuple[str, Any, Any]]] = defaultdict(list)
    for e in entries:
        found[e["request_id"]].append((e["action"], e["before"], e["after"]))
    return dict(found)


def test_r46_each_directory_change_is_recorded_once_with_who_its_before_and_after_and_its_request(
    api: Api, world: Directory
) -> None:
    company, project, admin = world.company_id, world.project_id, world.admin
    # Given the Apex company, its admin Ada and its project
    # When Ada renames the company, adds Sam and makes him an admin, creates and renames a project, adds Sam to
    # Harbor Tower's directory, changes his levels, removes him from it, adds him again, then removes him from
    # the company, each in a request of its own
    steps: list[tuple[str, str, str, Any]] = [
        ("r-company", "PATCH", f"/companies/{company}", {"name": "Apex Group"}),
        ("r-user-add", "PUT", f"/companies/{company}/users/sam", {"email": "sam@apex.example", "name": "Sam"}),
        (
            "r-user-admin",
            "PUT",
            f"/companies/{company}/users/sam",
            {"email": "sam@apex.example", "name": "Sam", "is_company_admin": True},
        ),
        ("r-project", "POST", f"/companies/{company}/projects", {"name": "Annex"}),
        ("r-project-off", "PATCH", f"/projects/{project}", {"status": "inactive"}),
        ("r-entry-add", "PUT", f"/projects/{project}/directory/sam", {"permissions": {"connection_manager": "admin"}}),
        (
            "r-entry-change",
            "PUT",
            f"/projects/{project}/directory/sam",
            {"permissions": {"connection_manager": "admin", "drawings": "read_only"}},
        ),
        ("r-entry-remove", "DELETE", f"/projects/{project}/directory/sam", None),
        ("r-entry-again", "PUT", f"/projects/{project}/directory/sam", {"permissions": {"drawings": "admin"}}),
        ("r-user-remove", "DELETE", f"/companies/{company}/users/sam", None),
    ]
    answers = {rid: api(method, path, admin, body, request_id=rid) for rid, method, path, body in steps}
    assert all(a.status < 300 for a in answers.values()), {rid: a.body for rid, a in answers.items()}
    annex = answers["r-project"].body

    # Then the company's trail holds one entry per change, each with exactly the fields it changed
    recorded = by_request(trail(api, f"/companies/{company}", admin))
    no_levels = {"connection_manager": "none", "drawings": "none"}
    assert {rid: recorded[rid] for rid, *_ in steps} == {
        "r-company": [("company.update", {"name": "Apex Builders"}, {"name": "Apex Group"})],
        "r-user-add": [
            ("company_user.put", {}, {"email": "sam@apex.example", "name": "Sam", "is_company_admin": False})
        ],
        "r-user-admin": [("company_user.put", {"is_company_admin": False}, {"is_company_admin": True})],
        "r-project": [
            (
                "project.create",
                {},
                {
                    "project_id": annex["id"],
                    "company_id": company,
                    "name": "Annex",
                    "status": "active",
                    "created_at": recorded["r-project"][0][2]["created_at"],
                },
            )
        ],
        "r-project-off": [("project.update", {"status": "active"}, {"status": "inactive"})],
        "r-entry-add": [("directory_entry.put", {}, {**no_levels, "connection_manager": "admin"})],
        "r-entry-change": [("directory_entry.put", {"drawings": "none"}, {"drawings": "read_only"})],
        "r-entry-remove": [("directory_entry.remove", {"connection_manager": "admin", "drawings": "read_only"}, {})],
        "r-entry-again": [("directory_entry.put", {}, {**no_levels, "drawings": "admin"})],
        "r-user-remove": [
            ("company_user.remove", {"email": "sam@apex.example", "name": "Sam", "is_company_admin": True}, {}),
            ("directory_entry.remove", {**no_levels, "drawings": "admin"}, {}),
        ],
    }
    # And each names who made it (Ada, by name as the company knows her), what it changed, and where
    entries = {
        e["request_id"]: e for e in trail(api, f"/companies/{company}", admin) if e["action"] != "project.create"
    }
    assert {(e["user_id"], e["user_name"]) for rid, e in entries.items() if rid.startswith("r-")} == {
        (admin, "Ada Admin")
    }
    assert entries["r-user-admin"]["target_type"] == "company_user"
    assert entries["r-user-admin"]["target_ids"] == ["sam"]
    assert entries["r-entry-change"]["project_ids"] == [project]
    # And a project's changes are in its own trail too, the company's alone are not
    add_member(api, world, "ada-cm", cm="admin")
    in_project = by_request(trail(api, f"/projects/{project}", "ada-cm"))
    assert {"r-project-off", "r-entry-add", "r-entry-change", "r-entry-remove", "r-user-remove"} <= set(in_project)
    assert not {"r-company", "r-user-add", "r-user-admin", "r-project"} & set(in_project)
    assert in_project["r-user-remove"] == [("directory_entry.remove", {**no_levels, "drawings": "admin"}, {})]


def add_member(api: Api, world: Directory, user: str, cm: str = "none", drawings: str = "none") -> None:
    added = api(
        "PUT",
        f"/companies/{world.company_id}/users/{user}",
        world.admin,
        {"email": f"{user}@apex.example", "name": user.title()},
    )
    assert added.status in (200, 201), added.body
    entry = {"permissions": {"connection_manager": cm, "drawings": drawings}}
    answer = api("PUT", f"/projects/{world.project_id}/directory/{user}", world.admin, entry)
    assert answer.status == 200, answer.body


def test_r46_a_request_that_changes_nothing_records_nothing(api: Api, world: Directory) -> None:
    # Given Harbor Tower with Cy in its directory
    add_member(api, world, "cy", cm="admin")
    before = trail(api, f"/companies/{world.company_id}", world.admin)
    # When the same values are sent again: the company's name, Cy's levels, the project's status
    same = [
        api("PATCH", f"/companies/{world.company_id}", world.admin, {"name": "Apex Builders"}),
        api(
            "PUT",
            f"/projects/{world.project_id}/directory/cy",
            world.admin,
            {"permissions": {"connection_manager": "admin"}},
        ),
        api("PATCH", f"/projects/{world.project_id}", world.admin, {"status": "active"}),
    ]
    # Then each answers as usual and the trail is as it was
    assert [a.status for a in same] == [200, 200, 200]
    assert trail(api, f"/companies/{world.company_id}", world.admin) == before


def test_r46_webhook_changes_are_recorded_and_no_secret_ever_is(
    api: Api, world: Directory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WEBHOOK_ALLOW_LOOPBACK", "true")  # an endpoint on this machine, as the local stack allows
    get_settings.cache_clear()
    company, admin = world.company_id, world.admin
    hooks = f"/companies/{company}/webhooks"
    # Given Ada registers an endpoint for landed copies
    made = api(
        "POST", hooks, admin, {"url": "http://127.0.0.1:9/in", "event_types": ["copies.landed"]}, request_id="r-wh"
    )
    assert made.status == 201, made.body
    hook, secrets = f"{hooks}/{made.body['id']}", [made.body["secret"]]
    # When she changes its events and description, sends the same again, turns it off, rotates its secret and
    # deletes it, each in a request of its own
    steps: list[tuple[str, str, str, Any]] = [
        (
            "r-wh-edit",
            "PATCH",
            hook,
            {"event_types": ["copies.landed", "drawings.deleted_upstream"], "description": "ERP"},
        ),
        (
            "r-wh-same",
            "PATCH",
            hook,
            {"event_types": ["copies.landed", "drawings.deleted_upstream"], "description": "ERP"},
        ),
        ("r-wh-off", "PATCH", hook, {"enabled": False}),
        ("r-wh-rotate", "POST", f"{hook}/rotate-secret", None),
        ("r-wh-delete", "DELETE", hook, None),
    ]
    answers = {rid: api(method, path, admin, body, request_id=rid) for rid, method, path, body in steps}
    assert [a.status for a in answers.values()] == [200, 200, 200, 200, 204], {r: a.body for r, a in answers.items()}
    secrets.append(answers["r-wh-rotate"].body["secret"])
    rotated_until = answers["r-wh-rotate"].body["previous_secret_valid_until"]

    # Then the company's trail holds one entry per change with exactly what it changed, none for the repeat
    entries = trail(api, f"/companies/{company}", admin)
    recorded = by_request(entries)
    created = recorded["r-wh"][0][2]
    assert recorded["r-wh"] == [
        (
            "webhook.create",
            {},
            {
                "company_id": company,
                "webhook_id": made.body["id"],
                "url": "http://127.0.0.1:9/in",
                "event_types": ["copies.landed"],
                "enabled": True,
                "failures": 0,
                "created_at": created["created_at"],
            },
        )
    ]
    assert {rid: recorded.get(rid) for rid, *_ in steps} == {
        "r-wh-edit": [
            (
                "webhook.update",
                {"event_types": ["copies.landed"], "description": None},
                {"event_types": ["copies.landed", "drawings.deleted_upstream"], "description": "ERP"},
            )
        ],
        "r-wh-same": None,
        "r-wh-off": [("webhook.update", {"enabled": True}, {"enabled": False})],
        "r-wh-rotate": [
            (
                "webhook.rotate_secret",
                {"secrets": "(previous)", "previous_secret_until": None},
                {
                    "secrets": "(rotated)",
                    "previous_secret_until": recorded["r-wh-rotate"][0][2]["previous_secret_until"],
                },
            )
        ],
        "r-wh-delete": [
            (
                "webhook.delete",
                {
                    "company_id": company,
                    "webhook_id": made.body["id"],
                    "url": "http://127.0.0.1:9/in",
                    "event_types": ["copies.landed", "drawings.deleted_upstream"],
                    "description": "ERP",
                    "enabled": False,
                    "failures": 0,
                    "created_at": created["created_at"],
                    "previous_secret_until": recorded["r-wh-rotate"][0][2]["previous_secret_until"],
                },
                {},
            )
        ],
    }
    assert datetime.fromisoformat(recorded["r-wh-rotate"][0][2]["previous_secret_until"]) == datetime.fromisoformat(
        rotated_until
    )
    # And each entry names Ada and the endpoint; no secret, old or new, is anywhere in the trail or its CSV
    mine = [e for e in entries if e["target_type"] == "webhook"]
    assert {(e["user_id"], e["user_name"], tuple(e["target_ids"])) for e in mine} == {
        (admin, "Ada Admin", (made.body["id"],))
    }
    csv = api("GET", f"/companies/{company}/audit", admin, query={"format": "csv"}).body
    assert all(secret not in json.dumps(entries) and secret not in csv for secret in secrets)
    get_settings.cache_clear()


def test_r46_connection_changes_are_recorded_in_both_companies_and_both_projects(two: Connected) -> None:
    api = two.build.api
    # Given a pending request from Volt's Electrical project to Apex's Harbor Tower
    requested = api(
        "POST", f"/projects/{two.down}/connections", "req", {"upstream_project_id": two.up}, request_id="r-req"
    )
    connection = requested.body["id"]
    # When Apex approves it, a reconcile is asked for, and Volt disconnects; and two other requests are rejected
    # and cancelled
    steps = {
        "r-approve": ("POST", f"/connections/{connection}/approve", "apex-cm", None),
        "r-reconcile": ("POST", f"/connections/{connection}/reconcile", "volt-cm", None),
        "r-disconnect": ("POST", f"/connections/{connection}/disconnect", "volt-cm", {"reason": "Done"}),
    }
    answers = {rid: api(m, p, u, b, request_id=rid) for rid, (m, p, u, b) in steps.items()}
    lighting = two.downstream_project("Harbor Tower - Lighting")
    rejected = two.request(down=lighting).body["id"]
    plumbing = two.downstream_project("Harbor Tower - Plumbing")
    cancelled = two.request(down=plumbing).body["id"]
    answers["r-reject"] = api(
        "POST", f"/connections/{rejected}/reject", "apex-cm", {"reason": "No"}, request_id="r-reject"
    )
    answers["r-cancel"] = api("POST", f"/connections/{cancelled}/cancel", "req", request_id="r-cancel")
    assert all(a.status < 300 for a in answers.values()), {rid: a.body for rid, a in answers.items()}

    # Then both companies' trails and both projects' hold each change of the first connection once
    trails = {
        "apex": trail(api, f"/companies/{two.apex}", "apex-admin"),
        "volt": trail(api, f"/companies/{two.volt}", "volt-admin"),
        "up": trail(api, f"/projects/{two.up}", "apex-cm"),
        "down": trail(api, f"/projects/{two.down}", "volt-cm"),
    }
    first = {"r-req", "r-approve", "r-reconcile", "r-disconnect"}
    for name, entries in trails.items():
        mine = [e for e in entries if e["target_ids"] == [connection]]
        assert sorted(e["request_id"] for e in mine) == sorted(first), name
    recorded = {e["request_id"]: e for e in trails["apex"] if e["request_id"] in first | {"r-reject", "r-cancel"}}
    # And each says who acted, and what the change made of the connection
    request, approve = recorded["r-req"], recorded["r-approve"]
    assert (request["action"], request["user_id"], request["before"]) == ("connection.request", "req", {})
    assert request["after"]["status"] == "pending"
    assert (request["after"]["upstream_project_id"], request["after"]["downstream_project_id"]) == (two.up, two.down)
    assert (approve["action"], approve["user_id"], approve["user_name"]) == ("connection.approve", "apex-cm", "apex-cm")
    assert (approve["before"]["status"], approve["after"]["status"]) == ("pending", "active")
    assert (approve["before"]["decided_by"], approve["after"]["decided_by"]) == (None, "apex-cm")
    assert approve["after"]["initial_sync_status"] == "running"
    reconcile = recorded["r-reconcile"]
    assert (reconcile["action"], reconcile["user_id"], reconcile["before"]["reconcile_run_id"]) == (
        "connection.reconcile",
        "volt-cm",
        None,
    )
    assert reconcile["after"]["reconcile_run_id"]
    disconnect = recorded["r-disconnect"]
    assert (disconnect["before"]["status"], disconnect["after"]["status"]) == ("active", "disconnected")
    assert disconnect["after"]["disconnect_reason"] == "Done"
    reject, cancel = recorded["r-reject"], recorded["r-cancel"]
    assert (reject["action"], reject["before"]["status"], reject["after"]["status"]) == (
        "connection.reject",
        "pending",
        "rejected",
    )
    assert reject["after"]["reason"] == "No"
    assert (cancel["action"], cancel["user_id"], cancel["after"]["status"]) == ("connection.cancel", "req", "cancelled")
    assert reject["project_ids"] == [two.up, lighting]


def test_r46_notification_recipients_are_recorded(two: Connected) -> None:
    api = two.build.api
    # When Apex's CM admin selects who is mailed of connection events, then Drawings events
    cm = {"notification_recipients": {"mode": "selected", "user_ids": ["apex-cm"]}}
    drawings = {"notification_recipients": {"mode": "selected", "user_ids": ["apex-cm"]}}
    assert api("PUT", f"/projects/{two.up}/settings/connection-manager", "apex-cm", cm, request_id="r-cm").status == 200
    assert api("PUT", f"/projects/{two.up}/settings/drawings", "apex-cm", drawings, request_id="r-dr").status == 200
    # Then each is recorded, from the defaults to the choice
    recorded = {e["request_id"]: e for e in trail(api, f"/projects/{two.up}", "apex-cm")}
    for rid, tool in (("r-cm", "connection_manager"), ("r-dr", "drawings")):
        e = recorded[rid]
        assert (e["action"], e["target_type"], e["target_ids"]) == (
            "notification_recipients.put",
            "notification_settings",
            [tool],
        )
        assert (e["before"], e["after"]) == (
            {"mode": "default", "user_ids": []},
            {"mode": "selected", "user_ids": ["apex-cm"]},
        )


def test_r46_drawing_changes_are_recorded(drawings_world: DrawingsWorld) -> None:
    w, api = drawings_world, drawings_world.api
    path = f"/projects/{w.project_id}"
    # Given a Drawings admin's revision of A-101 in area Level 1
    made = api(
        "POST",
        f"{path}/drawing-revisions",
        "dr-std",
        {
            "upload_id": w.upload(),
            "number": "A-101",
            "title": "Plan",
            "revision_number": "1",
            "discipline": {"name": "Architectural"},
            "area": {"name": "Level 1"},
        },
        request_id="r-create",
    ).body
    drawing, revision = made["drawing_id"], made["id"]
    area = api("GET", f"{path}/drawing-areas", "dr-admin").body["items"][0]["id"]
    # When it is published, edited, its area described, marked up, and deleted
    steps = {
        "r-publish": ("POST", f"{path}/drawing-revisions/publish", {"revision_ids": [revision]}),
        "r-edit": ("PATCH", f"{path}/drawings/{drawing}", {"title": "Ground plan", "status": "For construction"}),
        "r-area": ("PATCH", f"{path}/drawing-areas/{area}", {"description": "Ground floor"}),
        "r-markup": ("POST", f"{path}/drawings/{drawing}/markups", {"revision_id": revision, "data": {"note": "here"}}),
        "r-delete": ("DELETE", f"{path}/drawings/{drawing}", None),
    }
    answers = {rid: api(m, p, "dr-admin", b, request_id=rid) for rid, (m, p, b) in steps.items()}
    assert all(a.status < 300 for a in answers.values()), {rid: a.body for rid, a in answers.items()}

    # Then the project's trail (read by its CM admin) holds one entry for each, with what it changed
    recorded = by_request(trail(api, path, "dr-none"))
    [(action, before, after)] = recorded["r-create"]
    assert (action, before) == ("revision.create", {})
    assert {k: after[k] for k in ("drawing_id", "number", "title", "revision_number", "state")} == {
        "drawing_id": drawing,
        "number": "A-101",
        "title": "Plan",
        "revision_number": "1",
        "state": "draft",
    }
    [(action, before, after)] = recorded["r-publish"]
    assert (action, before, after["state"]) == ("revision.publish", {"state": "draft"}, "published")
    assert recorded["r-edit"] == [
        ("drawing.update", {"title": "Plan", "status": None}, {"title": "Ground plan", "status": "For construction"})
    ]
    assert recorded["r-area"] == [("area.update", {"description": None}, {"description": "Ground floor"})]
    [(action, before, after)] = recorded["r-markup"]
    assert (action, before, after) == (
        "markup.create",
        {},
        {"drawing_id": drawing, "revision_id": revision, "data": {"note": "here"}},
    )
    assert recorded["r-delete"] == [("drawing.delete", {"deleted": False}, {"deleted": True})]
    targets = {e["request_id"]: e["target_ids"] for e in trail(api, path, "dr-none")}
    assert targets["r-publish"] == [revision]
    assert targets["r-edit"] == [drawing, revision]  # the drawing, and its current revision's own fields
    assert targets["r-delete"] == [drawing]
    assert targets["r-markup"] == [answers["r-markup"].body["id"]]


def test_r46_a_publish_in_several_transactions_records_each_with_the_revisions_it_published(
    drawings_world: DrawingsWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = drawings_world
    drafts = [w.revision(f"A-{n}").body["id"] for n in range(5)]
    # Given transactions that hold two drafts of two drawings each (their count's shards and record besides)
    monkeypatch.setattr(
        publishing_db, "TRANSACTION_ITEMS", publishing_db.SHARDS + publishing_db.PROJECT_CHANGE_ITEMS + 4
    )
    # When five drafts are published in one request
    answer = w.api(
        "POST",
        f"/projects/{w.project_id}/drawing-revisions/publish",
        "dr-admin",
        {"revision_ids": drafts},
        request_id="r-many",
    )
    assert answer.status == 200, answer.body
    assert sorted(answer.body["published"]) == sorted(drafts)
    # Then each of its three transactions left one record, naming the revisions it published
    records = [e for e in trail(w.api, f"/projects/{w.project_id}", "dr-none") if e["request_id"] == "r-many"]
    assert sorted(len(e["target_ids"]) for e in records) == [1, 2, 2]
    assert sorted(i for e in records for i in e["target_ids"]) == sorted(drafts)
    assert {e["action"] for e in records} == {"revision.publish"}


def test_r46_connected_copies_published_downstream_are_recorded_one_each(sync: Sync) -> None:
    up, pipeline = sync.up, sync.pipeline
    # Given two upstream revisions copied into Volt's project, waiting for review
    for number in ("E-1", "E-2"):
        up.published(number)
    sync.connect()
    pipeline.run()
    copies = sorted(c["id"] for c in sync.review())
    assert len(copies) == 2
    # When Volt's Drawings admin publishes every copy waiting
    answer = sync.api(
        "POST",
        f"/projects/{sync.two.down}/connected-drawings/publish",
        DOWN_ADMIN,
        {"all": True},
        request_id="r-copies",
    )
    assert answer.status == 200, answer.body
    # Then each copy's publish is recorded in Volt's project's trail, not in Apex's
    down = [e for e in trail(sync.api, f"/projects/{sync.two.down}", DOWN_ADMIN) if e["request_id"] == "r-copies"]
    assert sorted(i for e in down for i in e["target_ids"]) == copies
    assert {(e["action"], json.dumps(e["before"])) for e in down} == {("copy.publish", '{"state": "pending_review"}')}
    assert not [e for e in trail(sync.api, f"/projects/{sync.two.up}", UP_ADMIN) if e["request_id"] == "r-copies"]


def test_r46_a_change_landing_between_a_read_and_its_write_is_the_before_recorded(
    api: Api, world: Directory, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_member(api, world, "cy", cm="admin")
    add_member(api, world, "dan", drawings="read_only")
    entry = f"/projects/{world.project_id}/directory/dan"

    def meanwhile() -> None:
        changed = api("PUT", entry, world.admin, {"permissions": {"drawings": "standard"}}, request_id="r-between")
        assert changed.status == 200, changed.body

    # Given another admin's change to Dan's entry landing after this request read it (read_only) and before it
    # writes
    held = hold(monkeypatch, projects_db, "put_entry", meanwhile)
    answer = api("PUT", entry, world.admin, {"permissions": {"drawings": "admin"}}, request_id="r-late")
    # Then its write, made only to the entry as read, is refused and made again from a fresh read: each record's
    # before is what its change replaced
    assert answer.status == 200, answer.body
    assert len(held) == 1
    recorded = by_request(trail(api, f"/projects/{world.project_id}", "cy"))
    assert recorded["r-between"] == [("directory_entry.put", {"drawings": "read_only"}, {"drawings": "standard"})]
    assert recorded["r-late"] == [("directory_entry.put", {"drawings": "standard"}, {"drawings": "admin"})]


# -- the change and its record: both or neither ------------------------------------------------------------------
WRITES = ("PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems")


def fail_the_record_of(faults: Faults, request_id: str) -> None:
    """DynamoDB fails the first write that carries the record of this request (found by its request id),
    whichever call that is: the change's own, if the record travels with it."""
    for operation in WRITES:
        faults.fail(operation, times=1, code="InternalServerError", when=lambda p: request_id in json.dumps(p))


def fired(faults: Faults) -> list[str]:
    return [rule[0] for rule in faults.rules if rule[1] == 0]


def test_r46_a_fault_between_a_change_and_its_record_leaves_neither_and_a_retry_makes_one_of_each(
    api: Api, world: Directory, faults: Faults
) -> None:
    add_member(api, world, "cy", cm="admin")
    entry = f"/projects/{world.project_id}/directory/dan"
    api("PUT", f"/companies/{world.company_id}/users/dan", world.admin, {"email": "d@apex.example", "name": "Dan"})
    before = trail(api, f"/projects/{world.project_id}", "cy")
    # Given DynamoDB failing the write that carries the record of the next request
    fail_the_record_of(faults, "r-dan")
    # When Dan is added to the directory
    failed = api("PUT", entry, world.admin, {"permissions": {"drawings": "admin"}}, request_id="r-dan")
    # Then the request fails, and neither the entry nor its record exists: the change was that very write
    assert failed.status == 503, failed.body
    assert fired(faults) == ["TransactWriteItems"]
    assert api("GET", entry, world.admin).status == 404
    assert trail(api, f"/projects/{world.project_id}", "cy") == before
    # And retried, it makes the entry and exactly one record of it
    assert api("PUT", entry, world.admin, {"permissions": {"drawings": "admin"}}, request_id="r-dan-2").status == 200
    assert api("GET", entry, world.admin).body["permissions"]["drawings"] == "admin"
    recorded = by_request(trail(api, f"/projects/{world.project_id}", "cy"))
    assert recorded["r-dan-2"] == [("directory_entry.put", {}, {"connection_manager": "none", "drawings": "admin"})]
    assert "r-dan" not in recorded


def test_r46_a_fault_in_a_connections_transaction_leaves_neither_the_approval_nor_its_record(
    two: Connected, faults: Faults
) -> None:
    api = two.build.api
    connection = two.request().body["id"]
    fail_the_record_of(faults, "r-approve")
    # When the write carrying the approval's record fails
    assert api("POST", f"/connections/{connection}/approve", "apex-cm", request_id="r-approve").status == 503
    # Then the connection is still pending and no trail holds an approval
    assert fired(faults) == ["TransactWriteItems"]
    assert api("GET", f"/connections/{connection}", "apex-cm").body["status"] == "pending"
    assert not [e for e in trail(api, f"/projects/{two.up}", "apex-cm") if e["action"] == "connection.approve"]
    # And the retry approves it, recorded once
    assert api("POST", f"/connections/{connection}/approve", "apex-cm", request_id="r-again").status == 200
    approvals = [e for e in trail(api, f"/projects/{two.up}", "apex-cm") if e["action"] == "connection.approve"]
    assert [e["request_id"] for e in approvals] == ["r-again"]


def test_r46_a_fault_in_a_publishs_transaction_leaves_the_draft_unpublished_and_unrecorded(
    drawings_world: DrawingsWorld, faults: Faults
) -> None:
    w = drawings_world
    draft = w.revision("A-1").body["id"]
    path = f"/projects/{w.project_id}/drawing-revisions/publish"
    fail_the_record_of(faults, "r-pub")
    # When the write carrying the publish's record fails
    failed = w.api("POST", path, "dr-admin", {"revision_ids": [draft]}, request_id="r-pub")
    # Then the draft is still a draft, and no record says otherwise
    assert failed.status == 503, failed.body
    assert fired(faults) == ["TransactWriteItems"]
    assert w.api("GET", f"/projects/{w.project_id}/drawing-revisions/{draft}", "dr-admin").body["state"] == "draft"
    assert not [e for e in trail(w.api, f"/projects/{w.project_id}", "dr-none") if e["action"] == "revision.publish"]
    # And the retry publishes it, recorded once
    assert w.api("POST", path, "dr-admin", {"revision_ids": [draft]}, request_id="r-pub-2").status == 200
    published = [e for e in trail(w.api, f"/projects/{w.project_id}", "dr-none") if e["action"] == "revision.publish"]
    assert [(e["request_id"], e["target_ids"]) for e in published] == [("r-pub-2", [draft])]

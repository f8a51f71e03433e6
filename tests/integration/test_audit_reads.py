"""The audit trail as its readers see it (R46): company admins read their company's trail and a project's CM
admins that project's, filtered by who, what and when, a page at a time, as JSON or CSV; bad filters are a 422."""

from __future__ import annotations

import csv
import io
import json

import pytest

from tests.integration.conftest import PLATFORM_ADMIN, Api, Connected, Directory
from tests.integration.test_audit import add_member, trail


def test_r46_a_company_trail_is_for_its_company_admins_alone(two: Connected) -> None:
    api = two.build.api
    path = f"/companies/{two.apex}/audit"
    # Then Apex's admin reads it; Apex's users who are not admins are refused; Volt's admin, platform admins
    # and nobody signed in are refused as every company route refuses them
    assert api("GET", path, "apex-admin").status == 200
    assert (api("GET", path, "apex-cm").status, api("GET", path, "apex-cm").error["code"]) == (403, "not_permitted")
    assert api("GET", path, "volt-admin").status == 404
    assert api("GET", path, PLATFORM_ADMIN).status == 403
    assert api("GET", path, None).status == 401
    # And Volt's trail never shows Apex's changes
    apex_only = {e["id"] for e in trail(api, f"/companies/{two.apex}", "apex-admin") if e["company_ids"] == [two.apex]}
    assert apex_only
    assert not apex_only & {e["id"] for e in trail(api, f"/companies/{two.volt}", "volt-admin")}


def test_r46_a_project_trail_is_for_its_connection_manager_admins_alone(two: Connected) -> None:
    api = two.build.api
    path = f"/projects/{two.up}/audit"
    # Then Harbor Tower's CM admins read it; a CM read-only member is refused; its company's admin, who is not
    # in its directory, another company's users and members without a CM level see no such project
    assert api("GET", path, "apex-cm").status == 200
    assert api("GET", path, "apex-reader").status == 403
    assert api("GET", path, "req").status == 403  # Drawings read-only, no CM level
    assert api("GET", path, "apex-admin").status == 404
    assert api("GET", path, "volt-cm").status == 404


def test_r46_filters_by_user_action_and_time_and_pages(api: Api, world: Directory) -> None:
    company = world.company_id
    # Given Ada's and Ben's changes, Ben made a company admin, then three renames by Ben
    add_member(api, world, "ben")
    api(
        "PUT",
        f"/companies/{company}/users/ben",
        world.admin,
        {"email": "ben@apex.example", "name": "Ben", "is_company_admin": True},
    )
    everything = trail(api, f"/companies/{company}", world.admin)
    middle = everything[0]["at"]
    for name in ("One", "Two", "Three"):
        assert api("PATCH", f"/companies/{company}", "ben", {"name": name}).status == 200
    path = f"/companies/{company}"
    # Then who: Ben's changes alone; what: renames alone; when: from the middle on, up to it
    by_ben = trail(api, path, world.admin, user_id="ben")
    assert [(e["user_id"], e["after"]) for e in by_ben] == [("ben", {"name": n}) for n in ("Three", "Two", "One")]
    assert {e["action"] for e in trail(api, path, world.admin, action="company_user.put")} == {"company_user.put"}
    assert [e["after"]["name"] for e in trail(api, path, world.admin, action="company.update")] == [
        "Three",
        "Two",
        "One",
    ]
    since = trail(api, path, world.admin, **{"from": middle})
    until = trail(api, path, world.admin, to=middle)
    assert [e["id"] for e in since][-1] == everything[0]["id"]  # `from` includes the moment given
    assert [e["id"] for e in until] == [e["id"] for e in everything]  # `to` too
    assert len(since) == 4
    # And pages of two hold every entry once, newest first
    paged = trail(api, path, world.admin, limit="2")
    full = trail(api, path, world.admin)
    assert [e["id"] for e in paged] == [e["id"] for e in full]
    assert [e["at"] for e in full] == sorted((e["at"] for e in full), reverse=True)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"action": "company.explode"}, "action"),
        ({"from": "yesterday"}, "from"),
        ({"to": "2026-13-45T00:00:00Z"}, "to"),
        ({"from": "2026-02-02T00:00:00Z", "to": "2026-01-01T00:00:00Z"}, "from"),
        ({"user_id": "a b"}, "user_id"),
        ({"format": "xml"}, "format"),
        ({"limit": "0"}, "limit"),
        ({"next_token": "not-a-token"}, "next_token"),
    ],
)
def test_r46_bad_filters_are_a_422_in_the_error_shape(
    api: Api, world: Directory, query: dict[str, str], field: str
) -> None:
    answer = api("GET", f"/companies/{world.company_id}/audit", world.admin, query=query)
    assert answer.status == 422, answer.body
    assert answer.error["code"] in ("validation_error", "invalid_input")
    assert field in [d["field"] for d in answer.error["details"]]


def test_r46_a_token_of_another_trail_is_refused(api: Api, world: Directory) -> None:
    add_member(api, world, "cy", cm="admin")
    token = api("GET", f"/companies/{world.company_id}/audit", world.admin, query={"limit": "1"}).body["next_token"]
    answer = api("GET", f"/projects/{world.project_id}/audit", "cy", query={"next_token": token})
    assert answer.status == 422, answer.body


def test_r46_the_trail_as_csv_holds_the_same_rows(api: Api, world: Directory) -> None:
    # Given a change by an admin whose name a spreadsheet would take for a formula
    eve = {"email": "e@apex.example", "name": "=HYPERLINK(1)", "is_company_admin": True}
    assert api("PUT", f"/companies/{world.company_id}/users/eve", world.admin, eve).status == 201
    assert api("PATCH", f"/companies/{world.company_id}", "eve", {"name": "Apex Group"}).status == 200
    path = f"/companies/{world.company_id}/audit"
    as_json = api("GET", path, world.admin, query={"limit": "3"})
    # When the same page is asked for as CSV, by name or by the Accept header
    by_name = api("GET", path, world.admin, query={"limit": "3", "format": "csv"})
    by_accept = api("GET", path, world.admin, query={"limit": "3"}, headers={"Accept": "text/csv"})
    # Then it is a CSV attachment: a header, then one row per entry of the JSON page, before and after as JSON
    assert by_name.status == 200
    assert by_name.headers["Content-Type"].startswith("text/csv")
    assert by_name.headers["Content-Disposition"] == f'attachment; filename="audit-{world.company_id}.csv"'
    assert by_name.headers["Next-Token"] == as_json.body["next_token"]
    assert by_accept.body == by_name.body
    rows = list(csv.DictReader(io.StringIO(by_name.body)))
    assert [r["id"] for r in rows] == [e["id"] for e in as_json.body["items"]]
    for row, entry in zip(rows, as_json.body["items"], strict=True):
        assert (row["action"], row["user_id"], row["request_id"]) == (
            entry["action"],
            entry["user_id"],
            entry["request_id"],
        )
        assert (json.loads(row["before"]), json.loads(row["after"])) == (entry["before"], entry["after"])
        assert row["target_ids"].split() == entry["target_ids"]
    # And the name is shown as text, never run: after an apostrophe in its cell, as given in the JSON
    assert (rows[0]["user_name"], as_json.body["items"][0]["user_name"]) == ("'=HYPERLINK(1)", "=HYPERLINK(1)")

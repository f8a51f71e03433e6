"""What the console's Drawings tool leans on: a register in order, revision numbers that mean one thing, text
that shows something, refusals that say why, and people named by name."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from local.world import DrawingsWorld
from tests.integration.conftest import Connected
from tests.integration.sync_world import Sync


def test_the_register_is_by_discipline_then_number_in_natural_order(drawings_world: DrawingsWorld) -> None:
    w = drawings_world
    # Given sheets published in no order, across two disciplines, with numbers that sort wrongly as text
    sheets = [("S-2", "Structural"), ("A-10", "Architectural"), ("S-1", "Structural"), ("A-2", "Architectural")]
    sheets += [("A-1", "Architectural"), ("a-3", "Architectural")]
    for number, discipline in sheets:
        w.published(number, discipline={"name": discipline})

    # When a reader pages through the register, two at a time
    seen, token = [], None
    while True:
        query = {"limit": "2", **({"next_token": token} if token else {})}
        page = w.api("GET", f"/projects/{w.project_id}/drawings", "dr-reader", query=query).body
        seen += [(d["discipline"]["name"], d["number"]) for d in page["items"]]
        token = page["next_token"]
        if token is None:
            break

    # Then it reads by discipline, then by number as a person counts
    assert seen == [
        ("Architectural", "A-1"),
        ("Architectural", "A-2"),
        ("Architectural", "a-3"),
        ("Architectural", "A-10"),
        ("Structural", "S-1"),
        ("Structural", "S-2"),
    ]
    # and a discipline asked for alone keeps that order
    structural = w.api(
        "GET", f"/projects/{w.project_id}/drawings", "dr-reader", query={"discipline": "structural"}
    ).body
    assert [d["number"] for d in structural["items"]] == ["S-1", "S-2"]


def test_a_drawing_that_changes_discipline_moves_in_the_register(drawings_world: DrawingsWorld) -> None:
    w = drawings_world
    first = w.published("A-1", discipline={"name": "Architectural"})
    w.published("M-1", discipline={"name": "Mechanical"})
    path = f"/projects/{w.project_id}/drawings/{first['drawing_id']}"
    assert w.api("PATCH", path, "dr-admin", {"discipline": {"name": "Plumbing"}}).status == 200
    register = w.api("GET", f"/projects/{w.project_id}/drawings", "dr-reader").body["items"]
    assert [(d["discipline"]["name"], d["number"]) for d in register] == [("Mechanical", "M-1"), ("Plumbing", "A-1")]


def test_a_drawings_revision_numbers_are_unique(drawings_world: DrawingsWorld) -> None:
    w = drawings_world
    # Given A-101 with its revision 1
    first = w.published("A-101", revision_number="1")

    # When a second revision "1" of A-101 is created (spelt another way)
    again = w.revision("a-101", revision_number=" 1 ")

    # Then it is refused, naming the revision that holds the number, and nothing is stored
    assert again.status == 409, again.body
    assert again.error["code"] == "already_exists"
    assert first["id"] in again.error["message"]
    assert again.error["details"][0]["field"] == "revision_number"
    drawing = w.api("GET", f"/projects/{w.project_id}/drawings/{first['drawing_id']}", "dr-admin").body
    assert [r["revision_number"] for r in drawing["revisions"]] == ["1"]
    # and its upload can make the right revision instead
    assert w.revision("A-101", revision_number="2").status == 201


def test_a_revision_number_raced_by_several_requests_is_taken_once(drawings_world: DrawingsWorld) -> None:
    w = drawings_world
    first = w.published("A-101", revision_number="1")
    uploads = [w.upload() for _ in range(6)]
    body = {"number": "A-101", "title": "Plan", "revision_number": "2", "discipline": {"name": "Architectural"}}

    def create(upload_id: str) -> int:
        answer = w.api(
            "POST", f"/projects/{w.project_id}/drawing-revisions", w.uploader, {**body, "upload_id": upload_id}
        )
        return answer.status

    with ThreadPoolExecutor(len(uploads)) as pool:
        statuses = sorted(pool.map(create, uploads))

    assert statuses == [201] + [409] * (len(uploads) - 1)
    drawing = w.api("GET", f"/projects/{w.project_id}/drawings/{first['drawing_id']}", "dr-admin").body
    assert sorted(r["revision_number"] for r in drawing["revisions"]) == ["1", "2"]


@pytest.mark.parametrize("blank", ["\u200b", "\u200b\u200b \u2060", " \u200c ", "\u3164"])
def test_text_that_shows_nothing_is_refused_like_empty_text(drawings_world: DrawingsWorld, blank: str) -> None:
    w = drawings_world
    answer = w.revision("A-1", title=blank)
    assert answer.status == 422
    assert [d["field"] for d in answer.error["details"]] == ["title"]
    # while a zero-width joiner inside real text is kept (emoji and many scripts need it)
    kept = w.revision("A-1", title="Plan \U0001f468\u200d\U0001f527")
    assert kept.status == 201
    assert kept.body["title"] == "Plan \U0001f468\u200d\U0001f527"


def test_publishing_a_deleted_revision_says_it_was_deleted(drawings_world: DrawingsWorld) -> None:
    w = drawings_world
    draft = w.revision("A-1").body
    assert w.api("DELETE", f"/projects/{w.project_id}/drawings/{draft['drawing_id']}", "dr-admin").status == 204
    answer = w.publish(draft["id"])
    assert answer.status == 409
    assert "deleted" in answer.error["message"]
    assert draft["id"] in answer.error["message"]


def test_a_connection_names_the_people_who_acted_on_it(two: Connected) -> None:
    api = two.build.api
    # Given a request that is approved and then disconnected
    connection = two.request().body
    assert connection["requested_by"] == "req"
    assert connection["requested_by_name"] == "req"  # the builder names each user by their id
    api("PUT", f"/companies/{two.apex}/users/apex-cm", "apex-admin", {"email": "cm@apex.example", "name": "Ana Apex"})
    approved = api("POST", f"/connections/{connection['id']}/approve", "apex-cm").body
    # Then each step carries the actor's name as their company knows it, beside their id
    assert (approved["decided_by"], approved["decided_by_name"]) == ("apex-cm", "Ana Apex")
    ended = api("POST", f"/connections/{connection['id']}/disconnect", "volt-cm", {"reason": "Done"}).body
    assert (ended["disconnected_by"], ended["disconnected_by_name"]) == ("volt-cm", "volt-cm")
    listed = api("GET", f"/projects/{two.down}/connections", "volt-cm").body["items"][0]
    assert (listed["requested_by_name"], listed["decided_by_name"]) == ("req", "Ana Apex")


def test_the_register_with_drafts_carries_each_drafts_revision_for_admins_only(drawings_world: DrawingsWorld) -> None:
    w = drawings_world
    # Given A-1 published with a newer draft, and B-1 only drafted (twice)
    w.published("A-1")
    a_draft = w.revision("A-1", revision_number="2").body
    b_first = w.revision("B-1").body
    b_second = w.revision("B-1", revision_number="2").body
    path = f"/projects/{w.project_id}/drawings"

    # When an admin asks for the register with drafts
    register = w.api("GET", path, "dr-admin", query={"include_drafts": "true"}).body["items"]

    # Then every draft is there with its revision, newest first, in the one answer
    listed = {d["number"]: d for d in register}
    assert [r["id"] for r in listed["A-1"]["drafts"]] == [a_draft["id"]]
    assert listed["A-1"]["current_revision"]["revision_number"] == "1"
    assert [r["id"] for r in listed["B-1"]["drafts"]] == [b_second["id"], b_first["id"]]
    assert listed["B-1"]["current_revision"] is None
    assert listed["B-1"]["drafts"][0]["thumbnail"]["state"] == "pending"
    # and a reader asking the same sees the published set alone, with no drafts
    read = w.api("GET", path, "dr-reader", query={"include_drafts": "true"}).body["items"]
    assert [(d["number"], d["drafts"]) for d in read] == [("A-1", None)]


def test_one_revision_is_shown_as_its_drawing_is_and_a_draft_to_its_uploader(drawings_world: DrawingsWorld) -> None:
    w = drawings_world
    draft = w.revision("A-1", user="dr-std").body
    path = f"/projects/{w.project_id}/drawing-revisions/{draft['id']}"
    # the uploader follows their draft's checks; an admin sees it; a reader does not
    mine = w.api("GET", path, "dr-std")
    assert (mine.status, mine.body["state"], mine.body["file"]["state"]) == (200, "draft", "ready")
    assert w.api("GET", path, "dr-admin").status == 200
    assert w.api("GET", path, "dr-reader").status == 404
    assert w.api("GET", path, "dr-none").status == 403
    # once published, every reader sees it
    assert w.publish(draft["id"]).status == 200
    assert w.api("GET", path, "dr-reader").body["state"] == "published"


def test_the_projects_own_disciplines_and_sets_are_listed_to_choose_from(drawings_world: DrawingsWorld) -> None:
    w = drawings_world
    w.published(
        "A-1", discipline={"name": "Architectural", "position": 1}, drawing_set={"name": "IFC", "date": "2026-11-01"}
    )
    w.published("E-1", discipline={"name": "Electrical", "position": 3})
    disciplines = w.api("GET", f"/projects/{w.project_id}/drawing-disciplines", "dr-reader").body["items"]
    assert disciplines == [{"name": "Architectural", "position": 1}, {"name": "Electrical", "position": 3}]
    sets = w.api("GET", f"/projects/{w.project_id}/drawing-sets", "dr-reader").body["items"]
    assert sets == [{"name": "IFC", "date": "2026-11-01"}]
    assert w.api("GET", f"/projects/{w.project_id}/drawing-sets", "dr-none").status == 403


def test_a_copy_waiting_for_review_says_whether_it_is_a_new_sheet_or_its_next_revision(sync: Sync) -> None:
    # Given a connection whose downstream has published E-101's first revision
    sync.connect()
    sync.up.published("E-101")
    sync.pipeline.run()
    sync.publish_all()
    # When the upstream publishes E-101's next revision and a new sheet E-102
    sync.up.published("E-101", revision_number="2")
    sync.up.published("E-102")
    sync.pipeline.run()
    # Then the review queue tells them apart
    assert {(r["number"], r["revision_number"], r["arrival"]) for r in sync.review()} == {
        ("E-101", "2", "new_revision"),
        ("E-102", "1", "new_drawing"),
    }

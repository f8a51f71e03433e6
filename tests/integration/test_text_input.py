"""Text as a new user types it: any Unicode is welcome in names, numbers, titles, descriptions, reasons and file
names, and its download works; control characters are refused (422, the field named); path ids are ids."""

from __future__ import annotations

import itertools
import re
import unicodedata
from typing import Any
from urllib.parse import unquote

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from local.world import PDF, PLATFORM_ADMIN, Api, DrawingsWorld
from tests.integration.conftest import Directory

CONTROLS = ["\x00", "\r", "\n", "\t", "\x1b", "\x7f", "\x85", "\u2028", "\u2029", "\u202e", "\u2066", "\ufeff"]

# Odd but fair text: every script, emoji with joiners, combining marks, private use; never a control character.
odd = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cc", "Cs", "Zl", "Zp"),
        blacklist_characters="\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff",
    ),
    min_size=1,
    max_size=16,
).filter(lambda t: t.strip() != "")

BOUNDED = settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)


def _set(body: dict[str, Any], path: str, value: str) -> dict[str, Any]:
    """The body with the field at a dotted path set to value."""
    target = body
    *parents, last = path.split(".")
    for part in parents:
        target = target[part]
    target[last] = value
    return body


def _text_fields(w: DrawingsWorld, api: Api, world: Directory) -> list[tuple[str, str, str | None, Any, str]]:
    """(method, path, user, body, field) for every text field the API takes."""
    revision = {
        "upload_id": "upl_x",
        "number": "A-1",
        "title": "Plan",
        "revision_number": "1",
        "status": "For construction",
        "discipline": {"name": "Architectural"},
        "area": {"name": "Level 1", "description": "Lobby"},
        "drawing_set": {"name": "Tender", "date": "2026-01-01"},
    }
    drawings = f"/projects/{w.project_id}"
    rows: list[tuple[str, str, str | None, Any, str]] = [
        (
            "POST",
            f"{drawings}/drawing-uploads",
            w.uploader,
            {"filename": "a.pdf", "content_type": "application/pdf", "size": 3},
            "filename",
        ),
        *[
            ("POST", f"{drawings}/drawing-revisions", w.uploader, revision, f)
            for f in (
                "number",
                "title",
                "revision_number",
                "status",
                "discipline.name",
                "area.name",
                "area.description",
                "drawing_set.name",
            )
        ],
        *[
            ("PATCH", f"{drawings}/drawings/drw_x", w.admin, {"title": "T", "status": "S"}, f)
            for f in ("title", "status")
        ],
        ("PATCH", f"{drawings}/drawing-areas/area_x", w.admin, {"name": "N", "description": "D"}, "name"),
        ("PATCH", f"{drawings}/drawing-areas/area_x", w.admin, {"name": "N", "description": "D"}, "description"),
        ("POST", "/companies", PLATFORM_ADMIN, {"name": "Co"}, "name"),
        ("PATCH", f"/companies/{world.company_id}", world.admin, {"name": "Co"}, "name"),
        (
            "PUT",
            f"/companies/{world.company_id}/users/someone",
            world.admin,
            {"email": "someone@example.com", "name": "Some One"},
            "name",
        ),
        (
            "PUT",
            f"/companies/{world.company_id}/users/someone",
            world.admin,
            {"email": "someone@example.com", "name": "Some One"},
            "email",
        ),
        ("POST", f"/companies/{world.company_id}/projects", world.admin, {"name": "P"}, "name"),
        ("PATCH", f"/projects/{world.project_id}", world.admin, {"name": "P"}, "name"),
        ("POST", "/connections/con_x/reject", world.admin, {"reason": "No"}, "reason"),
        ("POST", "/connections/con_x/disconnect", world.admin, {"reason": "Done"}, "reason"),
    ]
    return rows


def test_control_characters_are_refused_in_every_text_field_with_the_field_named(
    drawings_world: DrawingsWorld, api: Api, world: Directory
) -> None:
    rows = _text_fields(drawings_world, api, world)

    @BOUNDED
    @given(row=st.sampled_from(rows), control=st.sampled_from(CONTROLS), where=st.integers(0, 3))
    def refused(row: tuple[str, str, str | None, Any, str], control: str, where: int) -> None:
        import copy

        method, path, user, body, field = row
        sent = copy.deepcopy(body)
        value = "Name-1" if field != "email" else "someone@example.com"
        value = value[:where] + control + value[where:]
        answer = api(method, path, user, _set(sent, field, value))
        assert answer.status == 422, (field, repr(value), answer.body)
        assert field in [d["field"] for d in answer.error["details"]], answer.body

    refused()
    # every row was tried at least once, whatever hypothesis drew
    for method, path, user, body, field in rows:
        import copy

        value = "N\r\nX-Evil: 1" if field != "email" else "a\x00@example.com"
        answer = api(method, path, user, _set(copy.deepcopy(body), field, value))
        assert (answer.status, [d["field"] for d in answer.error["details"]]) == (422, [field]), (field, answer.body)


def _disposition(header: str) -> tuple[str, str]:
    """The ASCII fallback and the UTF-8 name of an RFC 6266 Content-Disposition."""
    fallback = re.search(r'filename="([^"]*)"', header)
    utf8 = re.search(r"filename\*=UTF-8''([^;\s]+)", header)
    assert fallback, header
    assert utf8, header
    return fallback.group(1), unquote(utf8.group(1), encoding="utf-8", errors="strict")


def _download_name(w: DrawingsWorld, revision_id: str, user: str = "dr-reader") -> tuple[str, str]:
    link = w.api("GET", f"/projects/{w.project_id}/drawing-revisions/{revision_id}/file", user)
    assert link.status == 200, link.body
    got = requests.get(link.body["url"], timeout=10)
    assert (got.status_code, got.content) == (200, PDF)
    header = got.headers["Content-Disposition"]
    header.encode("latin-1")  # a header that is not Latin-1 hangs or breaks clients and servers
    return _disposition(header)


def _a_safe_name(name: str, fallback: str) -> None:
    for shown in (name, fallback):
        for part in ("/", "\\", ".."):
            assert part not in shown, shown
        assert not any(unicodedata.category(c) in ("Cc", "Cs", "Zl", "Zp") for c in shown), shown
    assert fallback.isascii(), fallback


def test_any_other_unicode_is_kept_as_typed_and_its_download_works(drawings_world: DrawingsWorld) -> None:
    w = drawings_world
    counter = itertools.count()

    @BOUNDED
    @given(number=odd, title=odd, revision_number=odd, status=odd, area=odd, description=odd, record=odd)
    def round_trip(
        number: str, title: str, revision_number: str, status: str, area: str, description: str, record: str
    ) -> None:
        n = next(counter)
        number = f"{number.strip()}~{n}"  # one drawing per example: a known number would join another drawing
        fields = {
            "title": title,
            "revision_number": revision_number,
            "status": status,
            "discipline": {"name": f"{record.strip()}~d{n}"},
            "area": {"name": f"{area.strip()}~a{n}", "description": description},
            "drawing_set": {"name": f"{record.strip()}~s{n}", "date": "2026-02-03"},
        }
        created = w.revision(number, **fields)
        assert created.status == 201, created.body
        assert w.publish(created.body["id"]).status == 200
        drawing = w.api("GET", f"/projects/{w.project_id}/drawings/{created.body['drawing_id']}", "dr-reader").body
        seen = drawing["current_revision"]
        assert (drawing["number"], drawing["title"]) == (number, title.strip())
        assert (seen["revision_number"], seen["status"]) == (revision_number.strip(), status.strip())
        assert seen["discipline"]["name"] == fields["discipline"]["name"]
        assert (seen["area"]["name"], seen["area"]["description"]) == (fields["area"]["name"], description.strip())
        assert seen["drawing_set"]["name"] == fields["drawing_set"]["name"]
        fallback, name = _download_name(w, created.body["id"])
        _a_safe_name(name, fallback)
        typed = f"{number}-{revision_number.strip()}.pdf"
        if not any(c in typed[:-4] for c in "/\\."):
            assert name == typed

    round_trip()


@pytest.mark.parametrize(
    ("number", "revision_number", "expected"),
    [
        ("図面-1", "1", "図面-1-1.pdf"),
        ("🏗", "A", "🏗-A.pdf"),
        ("👷\u200d♀️ Ünïcødé", "2", "👷\u200d♀️ Ünïcødé-2.pdf"),
        ("../../etc/passwd", "1", "_._etc_passwd-1.pdf"),
        ("A\\B/C", "..", "A_B_C-.pdf"),
        ('Say "hi"; ok', "%41", 'Say "hi"; ok-%41.pdf'),
    ],
)
def test_a_download_is_named_in_utf8_with_an_ascii_fallback_and_no_path(
    drawings_world: DrawingsWorld, number: str, revision_number: str, expected: str
) -> None:
    w = drawings_world
    revision = w.published(number, revision_number=revision_number)
    fallback, name = _download_name(w, revision["id"])
    assert name == expected
    _a_safe_name(name, fallback)


def test_the_issue_inputs_are_refused_or_served(drawings_world: DrawingsWorld, api: Api, world: Directory) -> None:
    w = drawings_world
    evil = w.revision("N1\r\nX-Evil: 1")
    assert (evil.status, evil.error["details"][0]["field"]) == (422, "number")
    nul = api("POST", f"/companies/{world.company_id}/projects", world.admin, {"name": "Tower\x00"})
    assert (nul.status, nul.error["details"][0]["field"]) == (422, "name")
    upload = w.api(
        "POST",
        f"/projects/{w.project_id}/drawing-uploads",
        w.uploader,
        {"filename": "../sheet.pdf", "content_type": "application/pdf", "size": 3},
    )
    assert (upload.status, upload.error["details"][0]["field"]) == (422, "filename")


@pytest.mark.parametrize("bad", ["%0A", "\n", "drw 1", "a\x00b", "..", "é"])
def test_path_ids_are_checked_by_their_own_pattern(drawings_world: DrawingsWorld, bad: str) -> None:
    w = drawings_world
    w.published("A-1")
    for method, path in (
        ("GET", f"/projects/{w.project_id}/drawings/{bad}"),
        ("GET", f"/projects/{w.project_id}/drawing-revisions/{bad}/file"),
        ("DELETE", f"/projects/{w.project_id}/drawings/{bad}"),
        ("GET", f"/projects/{bad}/drawings"),
    ):
        answer = w.api(method, path, "dr-admin")
        assert answer.status == 422, (method, path, answer.body)
        assert answer.error["details"][0]["field"] in ("drawing_id", "revision_id", "project_id")
    member = w.api("PUT", f"/projects/{w.project_id}/directory/{bad}", "dr-company-admin", {"permissions": {}})
    assert member.status == 422


def test_a_value_of_the_wrong_form_is_refused_in_plain_words_not_as_a_pattern(api: Api, world: Directory) -> None:
    company, admin = world.company_id, world.admin
    # When a user id with a space, an e-mail address without its domain, and an id no one gave out are sent
    asked = [
        ("GET", f"/companies/{company}/audit", None, {"user_id": "not an id"}),
        ("PUT", f"/companies/{company}/users/sam", {"email": "sam@", "name": "Sam"}, None),
        ("GET", f"/projects/{world.project_id}/drawings", None, {"area_id": "area*1"}),
    ]
    answers = [api(method, path, admin, body, query=query) for method, path, body, query in asked]
    # Then each is a 422 naming its field, saying what the field takes in words, never the regular expression
    assert [a.status for a in answers] == [422, 422, 422], [a.body for a in answers]
    said = {d["field"]: d["message"] for a in answers for d in a.error["details"]}
    assert said == {
        "user_id": "is not a user id: letters, digits and . _ @ + = : - only, no spaces",
        "email": "is not an e-mail address (name@example.com)",
        "area_id": "is not an id this API gave out (letters, digits, _ and - only)",
    }
    assert not any("pattern" in message or "^" in message for message in said.values())

"""The Directory API through its handler on moto (R01, R02)."""

from __future__ import annotations

import pytest

from local.world import PLATFORM_ADMIN, Api
from tests.integration.conftest import Directory


def add_user(api: Api, world: Directory, user: str, admin: bool = False) -> None:
    answer = api(
        "PUT",
        f"/companies/{world.company_id}/users/{user}",
        world.admin,
        {"email": f"{user}@apex.example", "name": user.title(), "is_company_admin": admin},
    )
    assert answer.status in (200, 201), answer.body


def add_member(api: Api, world: Directory, user: str, cm: str = "none", drawings: str = "none") -> None:
    answer = api(
        "PUT",
        f"/projects/{world.project_id}/directory/{user}",
        world.admin,
        {"permissions": {"connection_manager": cm, "drawings": drawings}},
    )
    assert answer.status == 200, answer.body


def test_r01_platform_admin_creates_a_company_with_defaults(api: Api) -> None:
    # When a platform admin creates a company without options
    answer = api("POST", "/companies", PLATFORM_ADMIN, {"name": "  Apex Builders "})
    # Then it exists, manual approval and no beta by default (R08)
    assert answer.status == 201
    assert answer.body["name"] == "Apex Builders"
    assert answer.body["connection_approval"] == "manual"
    assert answer.body["connected_drawings_beta"] is False
    assert api("GET", f"/companies/{answer.body['id']}", PLATFORM_ADMIN).body == answer.body


def test_only_platform_admins_create_companies(api: Api, world: Directory) -> None:
    answer = api("POST", "/companies", world.admin, {"name": "Sneaky Co"})
    assert answer.status == 403
    assert answer.error["code"] == "not_permitted"


def test_no_identity_is_401(api: Api) -> None:
    answer = api("GET", "/companies/cmp_x", None)
    assert answer.status == 401
    assert answer.error["code"] == "unauthenticated"


def test_r01_a_user_can_belong_to_several_companies(api: Api, world: Directory) -> None:
    # Given a second company that also takes on Apex's admin as a plain user
    other = api("POST", "/companies", PLATFORM_ADMIN, {"name": "Volt Electric"}).body
    answer = api(
        "PUT",
        f"/companies/{other['id']}/users/admin",
        PLATFORM_ADMIN,
        {"email": "admin@apex.example", "name": "Ada Admin"},
    )
    assert answer.status == 201
    # Then they see both companies, and are admin of only one of them
    assert api("GET", f"/companies/{other['id']}", "admin").status == 200
    assert api("GET", f"/companies/{world.company_id}", "admin").status == 200
    assert api("PATCH", f"/companies/{other['id']}", "admin", {"name": "Mine now"}).status == 403


def test_r01_a_user_lists_their_own_companies_and_nobody_elses(api: Api, world: Directory) -> None:
    # Given Apex's admin, also a plain user of a second company, and a third company they are not in
    other = api("POST", "/companies", PLATFORM_ADMIN, {"name": "Volt Electric"}).body
    api("PUT", f"/companies/{other['id']}/users/admin", PLATFORM_ADMIN, {"email": "a@apex.example", "name": "Ada"})
    api("POST", "/companies", PLATFORM_ADMIN, {"name": "Elsewhere Ltd"})

    # When they ask for their companies
    answer = api("GET", "/me/companies", world.admin)

    # Then both of theirs are listed, by name, with their role in each, and no other
    assert answer.status == 200, answer.body
    assert [(m["company_name"], m["is_company_admin"]) for m in answer.body["items"]] == [
        ("Apex Builders", True),
        ("Volt Electric", False),
    ]
    assert api("GET", "/me/companies", "stranger").body["items"] == []


def test_put_company_user_answers_201_then_200(api: Api, world: Directory) -> None:
    first = api(
        "PUT",
        f"/companies/{world.company_id}/users/bob",
        world.admin,
        {"email": "bob@apex.example", "name": "Bob"},
    )
    again = api(
        "PUT",
        f"/companies/{world.company_id}/users/bob",
        world.admin,
        {"email": "robert@apex.example", "name": "Robert"},
    )
    assert (first.status, again.status) == (201, 200)
    assert again.body == {
        "company_id": world.company_id,
        "user_id": "bob",
        "email": "robert@apex.example",
        "name": "Robert",
        "is_company_admin": False,
    }


def test_company_of_others_is_404_not_403(api: Api, world: Directory) -> None:
    # Given a user of another company only
    other = api("POST", "/companies", PLATFORM_ADMIN, {"name": "Volt Electric"}).body
    api(
        "PUT",
        f"/companies/{other['id']}/users/stranger",
        PLATFORM_ADMIN,
        {"email": "s@volt.example", "name": "Stranger", "is_company_admin": True},
    )
    # Then Apex's company, projects and directory are invisible to them
    for method, path in [
        ("GET", f"/companies/{world.company_id}"),
        ("PATCH", f"/companies/{world.company_id}"),
        ("GET", f"/companies/{world.company_id}/projects"),
        ("GET", f"/projects/{world.project_id}"),
        ("GET", f"/projects/{world.project_id}/directory"),
        ("PATCH", f"/projects/{world.project_id}"),
    ]:
        answer = api(method, path, "stranger", {} if method == "PATCH" else None)
        assert answer.status == 404, (method, path, answer.body)
        assert answer.error["code"] == "not_found"
        assert (
            world.company_id not in answer.error["message"] or method != "GET" or "visible" in answer.error["message"]
        )


def test_company_admin_updates_company_settings(api: Api, world: Directory) -> None:
    answer = api(
        "PATCH",
        f"/companies/{world.company_id}",
        world.admin,
        {"connection_approval": "automatic", "connected_drawings_beta": True},
    )
    assert answer.status == 200
    assert answer.body["connection_approval"] == "automatic"
    assert api("GET", f"/companies/{world.company_id}", world.admin).body["connected_drawings_beta"] is True


def test_plain_user_cannot_update_company(api: Api, world: Directory) -> None:
    add_user(api, world, "carol")
    answer = api("PATCH", f"/companies/{world.company_id}", "carol", {"name": "Carol Co"})
    assert answer.status == 403
    assert api("GET", f"/companies/{world.company_id}", "carol").body["name"] == "Apex Builders"


def test_r02_project_directory_with_permissions_per_tool(api: Api, world: Directory) -> None:
    # Given a company user added to the project's directory
    add_user(api, world, "dave")
    add_member(api, world, "dave", cm="admin", drawings="read_only")
    # Then the directory lists them with one level per tool, and they can read the project
    directory = api("GET", f"/projects/{world.project_id}/directory", "dave").body
    assert directory["items"] == [
        {
            "project_id": world.project_id,
            "user_id": "dave",
            "name": "Dave",
            "email": "dave@apex.example",
            "permissions": {"connection_manager": "admin", "drawings": "read_only"},
        }
    ]
    project = api("GET", f"/projects/{world.project_id}", "dave").body
    assert project["status"] == "active"
    assert project["company_id"] == world.company_id


def test_r02_a_project_is_active_or_inactive(api: Api, world: Directory) -> None:
    answer = api("PATCH", f"/projects/{world.project_id}", world.admin, {"status": "inactive"})
    assert answer.status == 200
    assert answer.body["status"] == "inactive"
    bad = api("PATCH", f"/projects/{world.project_id}", world.admin, {"status": "archived"})
    assert bad.status == 422
    assert bad.error["details"][0]["field"] == "status"


def test_directory_needs_a_company_user_first(api: Api, world: Directory) -> None:
    answer = api(
        "PUT",
        f"/projects/{world.project_id}/directory/nobody",
        world.admin,
        {"permissions": {"connection_manager": "admin"}},
    )
    assert answer.status == 422
    assert "add them to the company first" in answer.error["message"]
    assert api("GET", f"/projects/{world.project_id}/directory", world.admin).body["items"] == []


def test_non_member_of_directory_cannot_see_project(api: Api, world: Directory) -> None:
    add_user(api, world, "erin")
    assert api("GET", f"/projects/{world.project_id}", "erin").status == 404
    # and the company's project list of a plain user holds only their projects
    assert api("GET", f"/companies/{world.company_id}/projects", "erin").body["items"] == []
    add_member(api, world, "erin", drawings="read_only")
    listed = api("GET", f"/companies/{world.company_id}/projects", "erin").body["items"]
    assert [p["id"] for p in listed] == [world.project_id]


def test_member_without_company_admin_cannot_manage_directory(api: Api, world: Directory) -> None:
    add_user(api, world, "fay")
    add_member(api, world, "fay", cm="admin", drawings="admin")
    answer = api(
        "PUT",
        f"/projects/{world.project_id}/directory/fay",
        "fay",
        {"permissions": {"connection_manager": "admin", "drawings": "admin"}},
    )
    assert answer.status == 403
    assert api("DELETE", f"/projects/{world.project_id}/directory/fay", "fay").status == 403
    assert api("PATCH", f"/projects/{world.project_id}", "fay", {"name": "x"}).status == 403
    assert api("POST", f"/companies/{world.company_id}/projects", "fay", {"name": "x"}).status == 403


def test_removing_a_directory_member(api: Api, world: Directory) -> None:
    add_user(api, world, "gus")
    add_member(api, world, "gus", drawings="read_only")
    assert api("DELETE", f"/projects/{world.project_id}/directory/gus", world.admin).status == 204
    assert api("GET", f"/projects/{world.project_id}", "gus").status == 404
    again = api("DELETE", f"/projects/{world.project_id}/directory/gus", world.admin)
    assert again.status == 404


def test_removing_a_company_user_removes_their_directory_entries(api: Api, world: Directory) -> None:
    add_user(api, world, "hal")
    add_member(api, world, "hal", drawings="read_only")
    assert api("DELETE", f"/companies/{world.company_id}/users/hal", world.admin).status == 204
    assert api("GET", f"/companies/{world.company_id}", "hal").status == 404
    members = api("GET", f"/projects/{world.project_id}/directory", world.admin).body["items"]
    assert "hal" not in [m["user_id"] for m in members]


def test_company_project_list_pages(api: Api, world: Directory) -> None:
    for n in range(4):
        api("POST", f"/companies/{world.company_id}/projects", world.admin, {"name": f"Project {n}"})
    seen: list[str] = []
    token = None
    while True:
        query = {"limit": "2", **({"next_token": token} if token else {})}
        page = api("GET", f"/companies/{world.company_id}/projects", world.admin, query=query).body
        assert len(page["items"]) <= 2
        seen += [p["name"] for p in page["items"]]
        token = page["next_token"]
        if not token:
            break
    assert sorted(seen) == sorted(["Harbor Tower"] + [f"Project {n}" for n in range(4)])


def test_bad_paging_parameters_are_422(api: Api, world: Directory) -> None:
    for query in ({"limit": "0"}, {"limit": "201"}, {"limit": "ten"}, {"next_token": "garbage!"}):
        answer = api("GET", f"/companies/{world.company_id}/projects", world.admin, query=query)
        assert answer.status == 422, (query, answer.body)
        assert answer.error["details"][0]["field"] in ("limit", "next_token")


def test_malformed_json_is_400(api: Api) -> None:
    answer = api("POST", "/companies", PLATFORM_ADMIN, "{not json")
    assert answer.status == 400
    assert answer.error["code"] == "malformed_json"


def test_invalid_and_unknown_fields_are_422_with_details(api: Api) -> None:
    missing = api("POST", "/companies", PLATFORM_ADMIN, {"connection_approval": "sometimes"})
    assert missing.status == 422
    fields = {d["field"] for d in missing.error["details"]}
    assert fields == {"name", "connection_approval"}
    unknown = api("POST", "/companies", PLATFORM_ADMIN, {"name": "X", "owner": "me"})
    assert unknown.status == 422
    assert [d["field"] for d in unknown.error["details"]] == ["owner"]


def test_oversized_body_is_413(api: Api) -> None:
    answer = api("POST", "/companies", PLATFORM_ADMIN, {"name": "x" * (257 * 1024)})
    assert answer.status == 413
    assert answer.error["code"] == "payload_too_large"


def test_error_shape_is_the_same_everywhere(api: Api) -> None:
    answer = api("GET", "/companies/cmp_missing", PLATFORM_ADMIN)
    assert answer.status == 404
    assert set(answer.body) == {"error"}
    assert set(answer.error) == {"code", "message", "rule", "details"}


def test_the_console_origin_may_read_answers_and_no_other(
    api: Api, world: Directory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the API, told the console's origin (template.yaml: CONSOLE_ORIGIN, CloudFront's address)
    from connectability.api import _console_may_read
    from connectability.config import get_settings

    monkeypatch.setenv("CONSOLE_ORIGIN", "https://console.example")  # put back as it was after the test
    get_settings.cache_clear()
    try:
        # When the console's browser, or another site's, reads an answer
        ours = _console_may_read({"headers": {"Origin": "https://console.example"}}, {"statusCode": 404})
        theirs = _console_may_read({"headers": {"origin": "https://elsewhere.example"}}, {"statusCode": 404})
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()

    # Then only the console's origin is allowed to read it, with the header a CSV page names the next one in
    assert ours["headers"]["Access-Control-Allow-Origin"] == "https://console.example"
    assert ours["headers"]["Access-Control-Expose-Headers"] == "Next-Token"
    assert "headers" not in theirs


def test_one_directory_entry_is_read_by_the_projects_people_only(api: Api, world: Directory) -> None:
    # Given a member added to the project, and a user of the company who is not in its directory
    for user, level in (("member", "read_only"), ("outsider", None)):
        api(
            "PUT",
            f"/companies/{world.company_id}/users/{user}",
            world.admin,
            {"email": f"{user}@x.example", "name": user.title()},
        )
        if level:
            entry = {"permissions": {"connection_manager": "none", "drawings": level}}
            api("PUT", f"/projects/{world.project_id}/directory/{user}", world.admin, entry)
    path = f"/projects/{world.project_id}/directory"
    # Then a member reads their own entry, with their name, and a company admin reads anyone's
    mine = api("GET", f"{path}/member", "member")
    assert mine.status == 200
    assert (mine.body["name"], mine.body["permissions"]["drawings"]) == ("Member", "read_only")
    assert api("GET", f"{path}/member", world.admin).status == 200
    # and someone not in the directory is told so; an outsider of the project reads nothing
    assert api("GET", f"{path}/outsider", world.admin).status == 404
    assert api("GET", f"{path}/member", "outsider").status == 404

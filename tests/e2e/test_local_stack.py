"""The local stack over HTTP: tokens, the gateway's own answers, the directory API, and the /_local tools."""

from __future__ import annotations

import base64
import re
import signal
import subprocess
import uuid
from typing import Any

import pytest
import requests

from local.client import LocalStackClient, running_stack
from tests.e2e.conftest import unique_fixture

pytestmark = pytest.mark.e2e


def assert_error_shape(answer: requests.Response, status: int, code: str) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    body: dict[str, Any] = answer.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "rule", "details"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    return body["error"]


def test_seeded_demo_answers_ids_and_a_company_user_reads_their_company(local_stack: LocalStackClient) -> None:
    # Given the demo directory, seeded with ids unique to this test
    fixture, sfx = unique_fixture()

    # When it is seeded
    ids = local_stack.seed(fixture)

    # Then the answer maps every key to an id and lists every user once
    assert set(ids["companies"]) == {f"gc-{sfx}", f"sub-{sfx}"}
    assert set(ids["projects"]) == {f"gc-tower-{sfx}", f"sub-tower-{sfx}"}
    assert sorted(ids["users"]) == sorted(
        f"{u}-{sfx}" for u in ("gc-admin", "gc-pm", "gc-viewer", "sub-pm", "sub-admin", "sub-site")
    )
    # and a company user reads their company with their token, named as the answer says (apart from other copies)
    answer = local_stack.call("GET", f"/companies/{ids['companies'][f'gc-{sfx}']}", user=f"gc-viewer-{sfx}")
    assert answer.status_code == 200, answer.text
    assert answer.json()["name"] == ids["company_names"][f"gc-{sfx}"]
    assert answer.json()["name"].startswith("Apex Builders")
    assert answer.json()["connection_approval"] == "manual"


@pytest.mark.parametrize("authorization", [None, "Bearer not-a-token", "Bearer a.b.c", "expired", "forged"])
def test_requests_without_a_valid_token_answer_401(local_stack: LocalStackClient, authorization: str | None) -> None:
    # Given a request with no token, a malformed one, an expired one or one with a changed claim
    if authorization == "expired":
        authorization = f"Bearer {local_stack.token('platform-admin', expires_in=-1)}"
    elif authorization == "forged":
        head, _, signature = local_stack.token("someone").split(".")
        other_claims = local_stack.token("platform-admin").split(".")[1]
        authorization = f"Bearer {head}.{other_claims}.{signature}"
    headers = {"Authorization": authorization} if authorization else {}

    # When it asks for a company
    answer = local_stack.call("GET", "/companies/cmp_whatever", headers=headers)

    # Then the gateway refuses it as the Cognito authorizer would, in the API's error shape
    assert_error_shape(answer, 401, "unauthenticated")


def test_an_unknown_route_answers_404_in_the_error_shape(local_stack: LocalStackClient) -> None:
    # Given a path that no route of template.yaml serves
    # When it is requested, with or without a token
    anonymous = local_stack.call("GET", "/no/such/thing")
    signed_in = local_stack.call("GET", "/no/such/thing", user="platform-admin")

    # Then both answer 404 in the error shape
    assert_error_shape(anonymous, 404, "not_found")
    assert_error_shape(signed_in, 404, "not_found")


def test_a_known_path_with_another_method_answers_405(local_stack: LocalStackClient) -> None:
    # Given /companies, which only takes POST
    # When it is deleted
    answer = local_stack.call("DELETE", "/companies", user="platform-admin")

    # Then the gateway says which methods it takes
    assert_error_shape(answer, 405, "method_not_allowed")
    assert answer.headers["Allow"] == "POST"


def test_directory_flow(local_stack: LocalStackClient) -> None:
    sfx = uuid.uuid4().hex[:8]
    admin, member, outsider = f"admin-{sfx}", f"member-{sfx}", f"outsider-{sfx}"

    # Given a company the platform admin creates
    created = local_stack.call("POST", "/companies", user="platform-admin", json={"name": f"Flow {sfx}"})
    assert created.status_code == 201, created.text
    company_id = created.json()["id"]

    # When the platform admin adds its first admin, twice
    admin_body = {"email": f"{admin}@flow.example", "name": "Fran Admin", "is_company_admin": True}
    first = local_stack.call("PUT", f"/companies/{company_id}/users/{admin}", user="platform-admin", json=admin_body)
    again = local_stack.call("PUT", f"/companies/{company_id}/users/{admin}", user="platform-admin", json=admin_body)

    # Then the first PUT creates (201) and the second replaces (200)
    assert first.status_code == 201, first.text
    assert again.status_code == 200, again.text
    assert again.json()["is_company_admin"] is True

    # When the admin creates a project, adds a user to the company and puts them in the directory
    project = local_stack.call("POST", f"/companies/{company_id}/projects", user=admin, json={"name": "Flow One"})
    assert project.status_code == 201, project.text
    project_id = project.json()["id"]
    user_body = {"email": f"{member}@flow.example", "name": "Max Member"}
    assert local_stack.call("PUT", f"/companies/{company_id}/users/{member}", user=admin, json=user_body).ok
    permissions = {"permissions": {"connection_manager": "read_only", "drawings": "standard"}}
    entry = local_stack.call("PUT", f"/projects/{project_id}/directory/{member}", user=admin, json=permissions)

    # Then the entry holds those permissions
    assert entry.status_code == 200, entry.text
    assert entry.json()["permissions"] == permissions["permissions"]

    # And a member reads the project but may not change it, while a non-member cannot even see it
    assert local_stack.call("GET", f"/projects/{project_id}", user=member).status_code == 200
    patch = local_stack.call("PATCH", f"/projects/{project_id}", user=member, json={"name": "Mine now"})
    assert_error_shape(patch, 403, "not_permitted")
    assert_error_shape(local_stack.call("GET", f"/projects/{project_id}", user=outsider), 404, "not_found")


def test_malformed_json_answers_400(local_stack: LocalStackClient) -> None:
    # Given a body that is not JSON
    # When it is posted as JSON
    answer = local_stack.call(
        "POST", "/companies", user="platform-admin", data='{"name": ', headers={"Content-Type": "application/json"}
    )

    # Then the API says so
    assert_error_shape(answer, 400, "malformed_json")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "Ok", "connection_approval": "sometimes"}, "connection_approval"),
        ({"name": "Ok", "colour": "red"}, "colour"),
    ],
    ids=["invalid", "bad-enum", "unknown-field"],
)
def test_invalid_or_unknown_fields_answer_422_naming_the_field(
    local_stack: LocalStackClient, body: dict[str, Any], field: str
) -> None:
    # Given a company body with an invalid or unknown field
    # When the platform admin posts it
    answer = local_stack.call("POST", "/companies", user="platform-admin", json=body)

    # Then 422 names the field
    error = assert_error_shape(answer, 422, "validation_error")
    assert field in [d["field"] for d in error["details"]]


def test_a_body_over_256_kib_answers_413(local_stack: LocalStackClient) -> None:
    # Given a body just over 256 KiB
    body = {"name": "x" * (256 * 1024)}

    # When it is posted
    answer = local_stack.call("POST", "/companies", user="platform-admin", json=body)

    # Then it is refused as too large
    assert_error_shape(answer, 413, "payload_too_large")


def test_local_tools_need_no_token_and_check_their_input(local_stack: LocalStackClient) -> None:
    # Given no token at all
    # When the tools are asked for a token without a user, and for an invalid fixture
    no_user = local_stack.http.post(f"{local_stack.url}/_local/tokens", json={}, timeout=10)
    bad_fixture = local_stack.http.post(f"{local_stack.url}/_local/seed", json={"companies": [{}]}, timeout=10)

    # Then both answer 422 in the error shape, and the outbox is a list
    assert_error_shape(no_user, 422, "validation_error")
    assert_error_shape(bad_fixture, 422, "validation_error")
    assert isinstance(local_stack.outbox(), list)


def test_settle_answers_settled(local_stack: LocalStackClient) -> None:
    # Given a stack with nothing queued
    # When asked to settle
    answer = local_stack.settle()

    # Then it answers settled, and how long it waited (how long is the machine's, not asserted)
    assert answer["settled"] is True, answer
    assert isinstance(answer["seconds"], int | float), answer
    assert 0 <= answer["seconds"] <= 60, answer


def test_demo_startup_prints_export_lines_and_one_curl_line_per_user() -> None:
    # Given a second stack started with the demo seed
    with running_stack(seed="demo") as demo:
        # When its startup output is read
        exports = dict(re.findall(r"^export (\w+)=(\S+)$", demo.stdout, flags=re.MULTILINE))
        lines = re.findall(r'curl -s -H "Authorization: Bearer ([^"]+)" (\S+)', demo.stdout)
        users = re.findall(r"^# (\S+) @ (.+)$", demo.stdout, flags=re.MULTILINE)

        # Then the demo's ids are there as export lines a shell can paste, and they are the real ids
        assert exports["API"] == demo.url
        assert set(exports) == {"API", "COMPANY_GC", "COMPANY_SUB", "PROJECT_GC_TOWER", "PROJECT_SUB_TOWER"}
        project = demo.call("GET", f"/projects/{exports['PROJECT_SUB_TOWER']}", "sub-pm")
        assert project.json()["name"] == "Harbor Tower - Electrical"
        # and every user has one line, once (sub-pm works for both companies and is listed once, with both)
        assert [u for u, _ in users] == [
            "platform-admin",
            "gc-admin",
            "gc-pm",
            "gc-viewer",
            "sub-pm",
            "sub-admin",
            "sub-site",
        ]
        assert dict(users)["sub-pm"] == "Apex Builders, Volt Electric"
        assert len(lines) == len(users)
        assert demo.aws_url in demo.stdout
        assert f"{demo.url}/docs" in demo.stdout
        # and each printed request answers that user's first company
        for (token, url), (_, companies) in zip(lines, users, strict=True):
            answer = requests.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=10)
            assert answer.status_code == 200, answer.text
            assert answer.json()["name"] == companies.split(", ")[0].replace("platform admin", "Apex Builders")


def test_two_answers_of_the_local_tools_print_apart(local_stack: LocalStackClient) -> None:
    # Given `curl -s -X POST $API/_local/settle && curl -s $API/_local/outbox` in a shell
    # When both answers are printed one after the other
    settled = local_stack.http.post(f"{local_stack.url}/_local/settle", timeout=70).content
    outbox = local_stack.http.get(f"{local_stack.url}/_local/outbox", timeout=10).content

    # Then each ends its own line, so they never print glued together
    assert settled.endswith(b"}\n")
    assert outbox.endswith(b"}\n")


def test_sigint_stops_the_stack_with_exit_code_0() -> None:
    # Given a running stack
    with running_stack() as stack:
        # When it gets SIGINT (Ctrl-C)
        stack.process.send_signal(signal.SIGINT)

        # Then it exits 0 within a few seconds and its ports are closed
        try:
            code = stack.process.wait(timeout=8)
        except subprocess.TimeoutExpired:
            pytest.fail(f"still running 8 s after SIGINT:\n{stack.stderr}")
        assert code == 0, stack.stderr
        with pytest.raises(requests.ConnectionError):
            requests.get(f"{stack.url}/_local/outbox", timeout=2)


def test_seeding_the_demo_again_gives_copies_named_apart_with_their_drawings(local_stack: LocalStackClient) -> None:
    # Given the demo seeded by its short form (the README's command works from any folder)
    first = local_stack.http.post(f"{local_stack.url}/_local/seed", json={"demo": True}, timeout=60).json()
    second = local_stack.http.post(f"{local_stack.url}/_local/seed", json={"demo": True}, timeout=60).json()

    # Then each copy's companies are named apart from the other's, and it holds the demo's published drawings
    assert first["company_names"]["gc"] != second["company_names"]["gc"]
    for seeded in (first, second):  # "Apex Builders", or with a number after it on a stack that holds copies
        assert re.fullmatch(r"Apex Builders( \d+)?", seeded["company_names"]["gc"])
    for seeded in (first, second):
        upstream = seeded["projects"]["gc-tower"]
        assert len(seeded["published"][upstream]) == 6
        register = local_stack.call("GET", f"/projects/{upstream}/drawings", "gc-viewer").json()["items"]
        assert [d["number"] for d in register] == ["A-101", "A-102", "A-201", "E-101", "E-102", "S-101"]
    # and an empty body says it is empty, and what to send
    empty = local_stack.http.post(f"{local_stack.url}/_local/seed", data=b"", timeout=10)
    error = assert_error_shape(empty, 422, "validation_error")
    assert "empty" in error["message"]
    assert '{"demo": true}' in error["message"]


def test_the_sign_in_list_holds_every_user_of_the_directory(local_stack: LocalStackClient) -> None:
    # Given a company and a user added through the API, not by a fixture
    company = local_stack.call("POST", "/companies", "platform-admin", json={"name": "Grid Mechanical"}).json()
    user_id = f"api-user-{uuid.uuid4().hex[:8]}"
    added = local_stack.call(
        "PUT",
        f"/companies/{company['id']}/users/{user_id}",
        "platform-admin",
        json={"email": f"{user_id}@grid.example", "name": "Uma Added-Later"},
    )
    assert added.status_code == 201, added.text

    # When the console asks for the users to sign in as
    users = local_stack.http.get(f"{local_stack.url}/_local/users", timeout=10).json()["items"]

    # Then that user is there, by name with their company, and a token made for them carries their email
    listed = next(u for u in users if u["user_id"] == user_id)
    assert listed == {
        "user_id": user_id,
        "name": "Uma Added-Later",
        "email": f"{user_id}@grid.example",
        "companies": [company["name"]],
    }
    assert users[0]["user_id"] == "platform-admin"
    claims = local_stack.token(user_id).split(".")[1]
    assert f"{user_id}@grid.example" in base64.urlsafe_b64decode(claims + "=" * (-len(claims) % 4)).decode()

"""The Connection Manager through its handlers on moto: the lifecycle and rules R03-R18, R41."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from connectability.db import connections as connections_db
from connectability.domain import connections
from connectability.domain.permissions import Caller
from connectability.errors import ConnectabilityError
from connectability.models.connections import ConnectionRequest
from tests.integration.conftest import Connected


def test_r08_manual_approval_is_the_default_and_waits(two: Connected) -> None:
    answer = two.request()
    assert answer.status == 201
    assert answer.body["status"] == "pending"
    # Connection responses carry both projects' and companies' names
    assert answer.body["upstream"] == {
        "project_id": two.up,
        "project_name": "Harbor Tower",
        "company_id": two.apex,
        "company_name": "Apex Builders",
    }
    assert answer.body["downstream"]["company_name"] == "Volt Electric"
    assert answer.body["requested_by"] == "req"
    assert answer.body["initial_sync"] == {"status": "not_started", "total": 0, "copied": 0}


def test_r08_automatic_approval_makes_it_active_at_once_and_later_changes_affect_later_requests(
    two: Connected,
) -> None:
    api = two.build.api
    assert api("PATCH", f"/companies/{two.apex}", "apex-admin", {"connection_approval": "automatic"}).status == 200
    first = two.request()
    assert first.body["status"] == "active"
    # When the company goes back to manual, the active connection stays; the next request waits
    api("PATCH", f"/companies/{two.apex}", "apex-admin", {"connection_approval": "manual"})
    assert api("GET", f"/connections/{first.body['id']}", "req").body["status"] == "active"
    second = two.request(down=two.downstream_project("Substation"))
    assert second.body["status"] == "pending"


def test_r03_only_active_projects_connect(two: Connected) -> None:
    api = two.build.api
    api("PATCH", f"/projects/{two.up}", "apex-admin", {"status": "inactive"})
    answer = two.request()
    assert answer.status == 409
    assert (answer.error["code"], answer.error["rule"]) == ("project_inactive", "R03")
    api("PATCH", f"/projects/{two.up}", "apex-admin", {"status": "active"})
    api("PATCH", f"/projects/{two.down}", "volt-admin", {"status": "inactive"})
    assert two.request().error["code"] == "project_inactive"


def test_r03_names_need_not_match(two: Connected) -> None:
    other = two.upstream_project("Completely Different Name")
    assert two.request(up=other).status == 201


def test_r04_a_project_cannot_connect_to_itself_but_two_of_one_company_can(two: Connected) -> None:
    itself = two.request(up=two.down)
    assert itself.status == 409
    assert (itself.error["code"], itself.error["rule"]) == ("same_project", "R04")
    # Two Volt projects connect: the other one is upstream
    sibling = two.build.project(two.volt, "Volt Prefab Shop", "volt-admin")
    two.build.member(sibling, "req", "volt-admin", drawings="read_only")
    answer = two.request(up=sibling)
    assert answer.status == 201
    assert answer.body["upstream"]["company_id"] == answer.body["downstream"]["company_id"] == two.volt


def test_r05_downstream_company_must_opt_in_upstream_need_not(two: Connected) -> None:
    api = two.build.api
    # Apex (upstream) has not opted in, yet the request passes
    assert api("GET", f"/companies/{two.apex}", "apex-admin").body["connected_drawings_beta"] is False
    api("PATCH", f"/companies/{two.volt}", "volt-admin", {"connected_drawings_beta": False})
    answer = two.request()
    assert answer.status == 409
    assert (answer.error["code"], answer.error["rule"]) == ("not_opted_in", "R05")
    api("PATCH", f"/companies/{two.volt}", "volt-admin", {"connected_drawings_beta": True})
    assert two.request().status == 201


def test_r06_only_the_downstream_initiates(two: Connected) -> None:
    # An upstream CM admin cannot push a connection onto the downstream project: they cannot even see it
    pushed = two.build.api("POST", f"/projects/{two.down}/connections", "apex-cm", {"upstream_project_id": two.up})
    assert pushed.status == 404
    # and asking from their own project makes it the downstream, never the upstream
    assert two.build.api("GET", f"/projects/{two.up}/connections", "apex-cm").body["items"] == []


@pytest.mark.parametrize(
    ("setup", "status"),
    [
        ("not_cm_admin_downstream", 403),
        ("not_in_upstream_directory", 403),
        ("no_drawings_upstream", 403),
        ("not_user_of_upstream_company", 404),
    ],
)
def test_r07_requester_needs_both_companies_directories_and_levels(two: Connected, setup: str, status: int) -> None:
    api = two.build.api
    if setup == "not_cm_admin_downstream":
        two.build.member(two.down, "req", "volt-admin", cm="standard", drawings="admin")
    elif setup == "not_in_upstream_directory":
        api("DELETE", f"/projects/{two.up}/directory/req", "apex-admin")
    elif setup == "no_drawings_upstream":
        two.build.member(two.up, "req", "apex-admin", cm="admin", drawings="none")
    else:
        api("DELETE", f"/companies/{two.apex}/users/req", "apex-admin")
    answer = two.request()
    assert answer.status == status, answer.body
    if status == 403:
        assert (answer.error["code"], answer.error["rule"]) == ("not_permitted", "R07")
    assert api("GET", f"/projects/{two.down}/connections", "volt-cm").body["items"] == []


def test_r09_only_upstream_cm_admins_approve_and_only_while_pending(two: Connected) -> None:
    api = two.build.api
    connection = two.request().body["id"]
    for user in ("volt-cm", "req", "apex-reader"):
        refused = api("POST", f"/connections/{connection}/approve", user)
        assert refused.status == 403, user
        assert (refused.error["code"], refused.error["rule"]) == ("not_permitted", "R09")
    assert api("POST", f"/connections/{connection}/reject", "volt-cm").status == 403
    approved = api("POST", f"/connections/{connection}/approve", "apex-cm")
    assert approved.status == 200
    assert approved.body["status"] == "active"
    assert approved.body["decided_by"] == "apex-cm"
    again = api("POST", f"/connections/{connection}/approve", "apex-cm")
    assert again.status == 409
    assert again.error["code"] == "invalid_state"
    assert api("POST", f"/connections/{connection}/reject", "apex-cm").error["code"] == "invalid_state"


def test_r10_a_rejected_request_ends_and_the_downstream_may_ask_again(two: Connected) -> None:
    api = two.build.api
    connection = two.request().body["id"]
    rejected = api("POST", f"/connections/{connection}/reject", "apex-cm", {"reason": "Wrong project"})
    assert rejected.body["status"] == "rejected"
    assert rejected.body["reason"] == "Wrong project"
    again = two.request()
    assert again.status == 201
    assert again.body["id"] != connection


def test_r11_a_downstream_has_at_most_one_upstream(two: Connected) -> None:
    first = two.request()
    other_up = two.upstream_project("Harbor Tower Phase 2")
    for up in (two.up, other_up):
        answer = two.request(up=up)
        assert answer.status == 409
        assert (answer.error["code"], answer.error["rule"]) == ("already_has_upstream", "R11")
    # and once active, still only one
    two.build.api("POST", f"/connections/{first.body['id']}/approve", "apex-cm")
    assert two.request(up=other_up).error["rule"] == "R11"


def test_r12_an_upstream_serves_many_downstreams(two: Connected) -> None:
    ids = [two.request().body["id"]] + [
        two.request(down=two.downstream_project(f"Sub {n}")).body["id"] for n in range(3)
    ]
    for connection in ids:
        assert two.build.api("POST", f"/connections/{connection}/approve", "apex-cm").body["status"] == "active"
    listed = two.build.api("GET", f"/projects/{two.up}/connections", "apex-cm").body["items"]
    assert sorted(c["id"] for c in listed) == sorted(ids)


def test_r13_a_downstream_cannot_be_an_upstream(two: Connected) -> None:
    two.request()
    # Another Volt project tries to take Volt's downstream project as its upstream
    third = two.downstream_project("Volt Site B")
    two.build.member(two.down, "req", "volt-admin", cm="admin", drawings="read_only")
    answer = two.request(down=third, up=two.down)
    assert answer.status == 409
    assert (answer.error["code"], answer.error["rule"]) == ("chain_not_allowed", "R13")


def test_r13_an_upstream_cannot_become_a_downstream(two: Connected) -> None:
    two.request()
    # Apex's upstream project asks to connect to another Apex project
    other = two.upstream_project("Apex HQ")
    two.build.member(two.up, "req", "apex-admin", cm="admin", drawings="read_only")
    two.build.api("PATCH", f"/companies/{two.apex}", "apex-admin", {"connected_drawings_beta": True})
    answer = two.request(down=two.up, up=other)
    assert answer.status == 409
    assert (answer.error["code"], answer.error["rule"]) == ("chain_not_allowed", "R13")


def test_r13_a_disconnected_downstream_can_never_be_an_upstream(two: Connected) -> None:
    api = two.build.api
    connection = two.request().body["id"]
    api("POST", f"/connections/{connection}/approve", "apex-cm")
    api("POST", f"/connections/{connection}/disconnect", "volt-cm", {"reason": "Contract over"})
    third = two.downstream_project("Volt Site C")
    two.build.member(two.down, "req", "volt-admin", cm="admin", drawings="read_only")
    answer = two.request(down=third, up=two.down)
    assert (answer.status, answer.error["code"]) == (409, "chain_not_allowed")


def _race(first: callable, second: callable) -> list[object]:  # type: ignore[valid-type]
    """Hold `first` at its write until `second` has written: both read before either writes."""
    real_create = connections_db.create
    first_read = threading.Event()
    second_wrote = threading.Event()
    results: dict[str, object] = {}

    def gated(connection: connections_db.ConnectionItem, **options: Any) -> bool:
        if threading.current_thread().name == "first":
            first_read.set()
            assert second_wrote.wait(10)
            return real_create(connection, **options)
        try:
            return real_create(connection, **options)
        finally:
            second_wrote.set()

    def run(name: str, call: callable) -> None:  # type: ignore[valid-type]
        try:
            results[name] = call()
        except ConnectabilityError as exc:
            results[name] = exc

    connections_db.create = gated  # type: ignore[assignment]
    try:
        t1 = threading.Thread(target=run, args=("first", first), name="first")
        t1.start()
        assert first_read.wait(10)
        t2 = threading.Thread(target=run, args=("second", second), name="second")
        t2.start()
        t1.join(20)
        t2.join(20)
    finally:
        connections_db.create = real_create  # type: ignore[assignment]
    return [results["first"], results["second"]]


def test_r14_two_racing_requests_of_one_downstream_cannot_both_win(two: Connected) -> None:
    # Given a downstream and two upstream projects, each request passing every check on its own
    other_up = two.upstream_project("Harbor Tower Phase 2")
    req = Caller("req")
    # When both requests read before either writes
    first, second = _race(
        lambda: connections.request_connection(req, two.down, ConnectionRequest(upstream_project_id=two.up)),
        lambda: connections.request_connection(req, two.down, ConnectionRequest(upstream_project_id=other_up)),
    )
    # Then the second (which wrote first) wins, and the first is refused with R11's 409
    assert not isinstance(second, ConnectabilityError)
    assert isinstance(first, ConnectabilityError)
    assert (first.status, first.code, first.rule) == (409, "already_has_upstream", "R11")
    listed = two.build.api("GET", f"/projects/{two.down}/connections", "volt-cm").body["items"]
    assert [c["upstream"]["project_id"] for c in listed] == [other_up]


def test_r14_a_racing_chain_cannot_form(two: Connected) -> None:
    # Given A (Volt) may ask for B (Volt's down project) as upstream, and B may ask Apex's project
    a = two.downstream_project("Volt Site A")
    two.build.member(two.down, "req", "volt-admin", cm="admin", drawings="read_only")
    req = Caller("req")
    # When A -> B and B -> Apex race, both reading before either writes
    first, second = _race(
        lambda: connections.request_connection(req, a, ConnectionRequest(upstream_project_id=two.down)),
        lambda: connections.request_connection(req, two.down, ConnectionRequest(upstream_project_id=two.up)),
    )
    # Then no chain A -> B -> Apex exists: B's request won, A's is refused by R13
    assert not isinstance(second, ConnectabilityError)
    assert isinstance(first, ConnectabilityError)
    assert (first.status, first.code, first.rule) == (409, "chain_not_allowed", "R13")
    assert two.build.api("GET", f"/projects/{a}/connections", "volt-cm").body["items"] == []


def test_r15_either_side_disconnects_an_active_connection_with_a_reason(two: Connected) -> None:
    api = two.build.api
    connection = two.request().body["id"]
    early = api("POST", f"/connections/{connection}/disconnect", "apex-cm", {"reason": "Too soon"})
    assert (early.status, early.error["code"]) == (409, "invalid_state")
    api("POST", f"/connections/{connection}/approve", "apex-cm")
    missing = api("POST", f"/connections/{connection}/disconnect", "apex-cm", {})
    assert missing.status == 422
    assert missing.error["details"][0]["field"] == "reason"
    assert api("POST", f"/connections/{connection}/disconnect", "volt-viewer", {"reason": "x"}).status == 403
    done = api("POST", f"/connections/{connection}/disconnect", "apex-cm", {"reason": "Project handed over"})
    assert done.status == 200
    assert done.body["status"] == "disconnected"
    assert done.body["disconnected_by"] == "apex-cm"
    assert done.body["disconnect_reason"] == "Project handed over"
    # the downstream side could have done it too
    other = two.request(down=two.downstream_project("Sub D")).body["id"]
    api("POST", f"/connections/{other}/approve", "apex-cm")
    assert api("POST", f"/connections/{other}/disconnect", "volt-cm", {"reason": "Done"}).status == 200


def test_r15_a_pending_request_is_withdrawn_by_a_downstream_cm_admin(two: Connected) -> None:
    api = two.build.api
    connection = two.request().body["id"]
    assert api("POST", f"/connections/{connection}/cancel", "apex-cm").status == 403
    cancelled = api("POST", f"/connections/{connection}/cancel", "volt-cm")
    assert cancelled.body["status"] == "cancelled"
    assert api("POST", f"/connections/{connection}/cancel", "volt-cm").error["code"] == "invalid_state"
    assert two.request().status == 201


def test_r16_a_disconnected_downstream_can_never_connect_again(two: Connected) -> None:
    api = two.build.api
    connection = two.request().body["id"]
    api("POST", f"/connections/{connection}/approve", "apex-cm")
    api("POST", f"/connections/{connection}/disconnect", "apex-cm", {"reason": "End of works"})
    other_up = two.upstream_project("Another Tower")
    for up in (two.up, other_up):
        answer = two.request(up=up)
        assert answer.status == 409
        assert (answer.error["code"], answer.error["rule"]) == ("reconnect_forbidden", "R16")
    # not even when the upstream approves everything automatically
    api("PATCH", f"/companies/{two.apex}", "apex-admin", {"connection_approval": "automatic"})
    assert two.request(up=other_up).error["rule"] == "R16"


def test_r18_removing_the_requester_changes_nothing(two: Connected) -> None:
    api = two.build.api
    connection = two.request().body["id"]
    # When the requester leaves both directories and both companies
    api("DELETE", f"/projects/{two.down}/directory/req", "volt-admin")
    api("DELETE", f"/companies/{two.volt}/users/req", "volt-admin")
    api("DELETE", f"/companies/{two.apex}/users/req", "apex-admin")
    # Then the request still stands, can be approved, and stays active
    assert api("GET", f"/connections/{connection}", "volt-cm").body["status"] == "pending"
    approved = api("POST", f"/connections/{connection}/approve", "apex-cm")
    assert approved.body["status"] == "active"
    assert approved.body["requested_by"] == "req"
    assert api("GET", f"/connections/{connection}", "apex-cm").body["status"] == "active"


def test_connection_is_visible_to_cm_members_of_either_side_only(two: Connected) -> None:
    api = two.build.api
    connection = two.request().body["id"]
    for user in ("apex-cm", "apex-reader", "volt-cm", "volt-viewer"):
        assert api("GET", f"/connections/{connection}", user).status == 200, user
    two.build.member(two.down, "volt-viewer", "volt-admin", cm="none", drawings="admin")
    assert api("GET", f"/connections/{connection}", "volt-viewer").status == 404
    assert api("GET", f"/projects/{two.down}/connections", "volt-viewer").status == 403
    assert api("GET", "/connections/con_nope", "apex-cm").status == 404


def test_r41_a_company_admin_lists_every_connection_of_the_company(two: Connected) -> None:
    api = two.build.api
    first = two.request().body["id"]
    second = two.request(down=two.downstream_project("Sub E")).body["id"]
    api("POST", f"/connections/{first}/approve", "apex-cm")
    for company, admin in ((two.apex, "apex-admin"), (two.volt, "volt-admin")):
        listed = api("GET", f"/companies/{company}/connections", admin).body
        assert sorted(c["id"] for c in listed["items"]) == sorted([first, second])
        assert {c["status"] for c in listed["items"]} == {"active", "pending"}
    refused = api("GET", f"/companies/{two.apex}/connections", "apex-cm")
    assert refused.status == 403
    assert api("GET", f"/companies/{two.apex}/connections", "volt-admin").status == 404


def test_connectable_projects_lists_what_the_caller_could_request_now(two: Connected) -> None:
    api = two.build.api
    listed = api("GET", f"/projects/{two.down}/connectable-projects", "req").body["items"]
    assert listed == [
        {"project_id": two.up, "project_name": "Harbor Tower", "company_id": two.apex, "company_name": "Apex Builders"}
    ]
    assert api("GET", f"/projects/{two.down}/connectable-projects", "volt-viewer").status == 403
    two.request()
    assert api("GET", f"/projects/{two.down}/connectable-projects", "req").body["items"] == []


def test_r17_a_disconnect_leaves_every_drawing_the_downstream_had(two: Connected) -> None:
    import requests

    from connectability.db import drawings as drawings_db
    from local.world import PDF, DrawingsWorld

    api = two.build.api
    connection = two.request().body["id"]
    api("POST", f"/connections/{connection}/approve", "apex-cm")
    # Given the downstream holds a connected copy (as sync writes them) and a drawing of its own
    downstream = DrawingsWorld(api, two.volt, two.down, uploader="volt-cm", admin="volt-cm")
    copy = downstream.published("A-101", user="volt-cm")
    own = downstream.published("E-001", user="volt-cm")
    drawing = drawings_db.get_drawing(two.down, copy["drawing_id"])
    assert drawing is not None
    drawings_db.drawing_at(two.down, drawing.drawing_id).update(actions=[drawings_db.DrawingItem.connected.set(True)])
    # When the connection is disconnected
    assert api("POST", f"/connections/{connection}/disconnect", "apex-cm", {"reason": "Done"}).status == 200
    # Then the downstream keeps both, readable and downloadable by its users, and the copy stays marked
    listed = {d["number"]: d for d in api("GET", f"/projects/{two.down}/drawings", "volt-viewer").body["items"]}
    assert set(listed) == {"A-101", "E-001"}
    assert listed["A-101"]["connected"] is True
    for revision in (copy, own):
        link = api("GET", f"/projects/{two.down}/drawing-revisions/{revision['id']}/file", "volt-viewer").body
        assert requests.get(link["url"], timeout=10).content == PDF

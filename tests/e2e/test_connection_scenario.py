"""A connection's whole life over HTTP on the local stack, and the mail it sends (R16, R31, R33, R37)."""

from __future__ import annotations

from local.client import LocalStackClient
from tests.e2e.conftest import unique_fixture


def test_r16_r31_r33_r37_request_approve_disconnect_then_every_reconnect_is_refused(
    local_stack: LocalStackClient,
) -> None:
    # Given the demo: Apex's "Harbor Tower" (manual approval) and Volt's electrical project (opted in)
    fixture, suffix = unique_fixture()
    ids = local_stack.seed(fixture)
    up, down = ids["projects"][f"gc-tower-{suffix}"], ids["projects"][f"sub-tower-{suffix}"]
    gc_admin, gc_pm, sub_admin, sub_pm = (f"{u}-{suffix}" for u in ("gc-admin", "gc-pm", "sub-admin", "sub-pm"))
    call = local_stack.call

    # When Volt's project manager asks to connect
    requested = call("POST", f"/projects/{down}/connections", sub_pm, json={"upstream_project_id": up})
    assert requested.status_code == 201, requested.text
    connection = requested.json()
    assert connection["status"] == "pending"
    assert connection["upstream"]["company_name"] == ids["company_names"][f"gc-{suffix}"]

    # and Apex's project manager approves it
    approved = call("POST", f"/connections/{connection['id']}/approve", gc_pm)
    assert approved.json()["status"] == "active"
    # (its initial sync runs on its own queue: waited for, or the disconnect below may stop it first, as in AWS)
    assert local_stack.settle()["settled"] is True
    assert call("GET", f"/connections/{connection['id']}", sub_pm).json()["initial_sync"]["status"] == "complete"

    # and Volt's admin later disconnects it, with a reason
    ended = call("POST", f"/connections/{connection['id']}/disconnect", sub_admin, json={"reason": "Scope done"})
    assert ended.status_code == 200, ended.text
    assert ended.json()["status"] == "disconnected"

    # Then every attempt to connect again is refused, to the same upstream or to any other (R16)
    other = call("POST", f"/companies/{ids['companies'][f'gc-{suffix}']}/projects", gc_admin, json={"name": "Annex"})
    other_id = other.json()["id"]
    add = call(
        "PUT",
        f"/projects/{other_id}/directory/{sub_pm}",
        gc_admin,
        json={"permissions": {"connection_manager": "none", "drawings": "read_only"}},
    )
    assert add.status_code == 200, add.text
    for target in (up, other_id):
        again = call("POST", f"/projects/{down}/connections", sub_pm, json={"upstream_project_id": target})
        assert again.status_code == 409
        assert again.json()["error"]["code"] == "reconnect_forbidden"
        assert again.json()["error"]["rule"] == "R16"
    assert call("GET", f"/projects/{down}/connectable-projects", sub_pm).json()["items"] == []

    # and the outbox holds exactly the mails R31-R37 ask for, to exactly the right people (the approval started
    # an initial sync of an upstream with nothing published, complete before the disconnect)
    assert local_stack.settle()["settled"] is True
    mails = sorted(
        (m["event"], "up" if m["project_id"] == up else "down", m["to"][0].split("@")[0])
        for m in local_stack.outbox()
        if m["project_id"] in (up, down)
    )
    assert mails == sorted(
        [("connection_requested", "up", u) for u in ("gc-admin", "gc-pm")]
        + [("connection_created", "up", u) for u in ("gc-admin", "gc-pm")]
        + [("connection_created", "down", u) for u in ("sub-admin", "sub-pm")]
        + [("initial_sync_complete", "down", "sub-admin")]  # R34: to the downstream's Drawings admins only
        + [("connection_disabled", "up", u) for u in ("gc-admin", "gc-pm")]
        + [("connection_disabled", "down", u) for u in ("sub-admin", "sub-pm")]
    )
    disabled = next(m for m in local_stack.outbox() if m["event"] == "connection_disabled" and m["project_id"] == down)
    assert "Scope done" in disabled["text"]
    assert disabled["html"].startswith("<p>")
    # and each project's notification log shows what it was sent
    log = call("GET", f"/projects/{up}/notifications", gc_admin).json()["items"]
    assert [n["event"] for n in log] == ["connection_disabled", "connection_created", "connection_requested"]

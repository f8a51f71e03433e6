"""The README's walk-through for integrators, on the local stack: a subcontractor's webhook receives a signed
copies.landed event after an upstream publish, checked by the README's own ten-line receiver; the stack shows
what its bus carried (/_local/events) and what it delivered (/_local/webhooks)."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from local.client import LocalStackClient, free_port
from tests.e2e.conftest import unique_fixture
from tests.e2e.test_sync_scenario import PDF

ROOT = Path(__file__).resolve().parents[2]


def readme_receiver() -> str:
    """The receiver's code as the README shows it: the python block after "A receiver in ten lines"."""
    text = (ROOT / "README.md").read_text()
    found = re.search(r"A receiver in ten lines.*?```python\n(.*?)```", text, re.S)
    assert found, "the README's receiver is gone"
    code = found.group(1)
    assert len([line for line in code.strip().splitlines() if not line.startswith("# fmt:")]) == 10
    return code


def _listening(port: int, deadline: float) -> None:
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError(f"the receiver did not listen on {port}")


def test_r44_r45_a_webhook_receives_a_signed_copies_landed_event_after_an_upstream_publish(
    local_stack: LocalStackClient, tmp_path: Path
) -> None:
    fixture, s = unique_fixture()
    ids = local_stack.seed(fixture)
    up, down = ids["projects"][f"gc-tower-{s}"], ids["projects"][f"sub-tower-{s}"]
    sub_company = ids["companies"][f"sub-{s}"]
    gc, gc_admin, sub, sub_admin = f"gc-pm-{s}", f"gc-admin-{s}", f"sub-pm-{s}", f"sub-admin-{s}"
    call = local_stack.call
    port = free_port()

    # Given the subcontractor's company admin registers an endpoint for copies that land
    url = f"http://127.0.0.1:{port}/hook"
    made = call(
        "POST", f"/companies/{sub_company}/webhooks", sub_admin, json={"url": url, "event_types": ["copies.landed"]}
    )
    assert made.status_code == 201, made.text
    # and runs the README's receiver with the secret it was shown
    script = tmp_path / "receiver.py"
    script.write_text(readme_receiver())
    env = {**os.environ, "WEBHOOK_SECRET": made.json()["secret"], "PORT": str(port)}
    receiver = subprocess.Popen([sys.executable, str(script)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        _listening(port, time.monotonic() + 60)
        # and the two projects are connected
        requested = call("POST", f"/projects/{down}/connections", sub, json={"upstream_project_id": up}).json()
        assert call("POST", f"/connections/{requested['id']}/approve", gc_admin).status_code == 200
        assert local_stack.settle()["settled"]
        # When the general contractor publishes a sheet
        upload = call(
            "POST",
            f"/projects/{up}/drawing-uploads",
            gc,
            json={"filename": "E-101.pdf", "content_type": "application/pdf", "size": len(PDF)},
        ).json()
        assert requests.put(upload["url"], data=PDF, headers=upload["headers"], timeout=10).status_code == 200
        body = {"upload_id": upload["upload_id"], "number": "E-101", "title": "Lighting", "revision_number": "1"}
        revision = call("POST", f"/projects/{up}/drawing-revisions", gc, json={**body, "discipline": {"name": "E"}})
        assert revision.status_code == 201, revision.text
        publish = {"revision_ids": [revision.json()["id"]]}
        assert call("POST", f"/projects/{up}/drawing-revisions/publish", gc, json=publish).status_code == 200
        assert local_stack.settle()["settled"]
    finally:
        receiver.terminate()
        printed, errors = receiver.communicate(timeout=30)

    # Then the receiver checked the signature and printed the event's type, once
    assert printed.decode().splitlines() == ["True copies.landed"], errors.decode()
    # and the stack shows the event on its bus, and the delivery the receiver accepted (204: signature good)
    bus = local_stack.http.get(f"{local_stack.url}/_local/events", timeout=10).json()["items"]
    ours = [e for e in bus if down in e["detail"]["project_ids"]]
    assert {"connection.requested", "connection.approved", "copies.landed"} <= {e["detail-type"] for e in ours}
    [landed] = [e["detail"] for e in ours if e["detail-type"] == "copies.landed"]
    assert (landed["data"]["count"], landed["data"]["downstream_project_id"]) == (1, down)
    sent = local_stack.http.get(f"{local_stack.url}/_local/webhooks", timeout=10).json()["items"]
    mine = [(d["event_id"], d["status"], d["response_code"]) for d in sent if d["webhook_id"] == made.json()["id"]]
    assert mine == [(landed["id"], "delivered", 204)]

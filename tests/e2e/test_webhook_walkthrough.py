"""The README's walk-through for integrators, on the local stack: a subcontractor's webhook receives a signed
copies.landed event after an upstream publish, checked by a ten-line receiver; the stack shows what its bus
carried (/_local/events) and what it delivered (/_local/webhooks)."""

from __future__ import annotations

import hashlib
import hmac
import http.server
import json
import threading
from typing import Any

import requests

from tests.e2e.conftest import LocalStackClient, unique_fixture
from tests.e2e.test_sync_scenario import PDF


def test_r44_r45_a_webhook_receives_a_signed_copies_landed_event_after_an_upstream_publish(
    local_stack: LocalStackClient,
) -> None:
    fixture, s = unique_fixture()
    ids = local_stack.seed(fixture)
    up, down = ids["projects"][f"gc-tower-{s}"], ids["projects"][f"sub-tower-{s}"]
    sub_company = ids["companies"][f"sub-{s}"]
    gc, gc_admin, sub, sub_admin = f"gc-pm-{s}", f"gc-admin-{s}", f"sub-pm-{s}", f"sub-admin-{s}"
    call = local_stack.call
    got: list[tuple[str, bytes]] = []

    class Receiver(http.server.BaseHTTPRequestHandler):  # an integrator's endpoint
        def do_POST(self) -> None:
            got.append((self.headers["Connectability-Signature"], self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        # Given the subcontractor's company admin registers an endpoint for copies that land
        url = f"http://127.0.0.1:{server.server_address[1]}/connectability"
        made = call(
            "POST",
            f"/companies/{sub_company}/webhooks",
            sub_admin,
            json={"url": url, "event_types": ["copies.landed"]},
        )
        assert made.status_code == 201, made.text
        secret = made.json()["secret"]
        # and the two projects connected
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
        revision = call(
            "POST", f"/projects/{up}/drawing-revisions", gc, json={**body, "discipline": {"name": "Electrical"}}
        )
        published = call(
            "POST", f"/projects/{up}/drawing-revisions/publish", gc, json={"revision_ids": [revision.json()["id"]]}
        )
        assert published.status_code == 200, published.text
        assert local_stack.settle()["settled"]
    finally:
        server.shutdown()
        server.server_close()

    # Then the endpoint received one copies.landed event, and its signature checks out with the secret
    [(signature, raw)] = got
    event = json.loads(raw)
    assert (event["type"], event["data"]["count"], event["data"]["downstream_project_id"]) == ("copies.landed", 1, down)
    fields = dict(p.split("=", 1) for p in signature.split(","))
    expected = hmac.new(secret.encode(), f"{fields['t']}.".encode() + raw, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(fields["v1"], expected)
    # and the stack shows the event on its bus and the delivery
    bus = local_stack.http.get(f"{local_stack.url}/_local/events", timeout=10).json()["items"]
    assert event["id"] in {e["detail"]["id"] for e in bus}
    assert {"connection.requested", "connection.approved"} <= {
        e["detail-type"] for e in bus if down in e["detail"]["project_ids"]
    }
    sent = local_stack.http.get(f"{local_stack.url}/_local/webhooks", timeout=10).json()["items"]
    assert [(d["event_id"], d["status"], d["response_code"]) for d in sent if d["webhook_id"] == made.json()["id"]] == [
        (event["id"], "delivered", 204)
    ]

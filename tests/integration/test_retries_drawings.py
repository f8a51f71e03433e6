"""Safe retries (R43) on the drawings API: an upload asked twice with one Idempotency-Key is one upload."""

from __future__ import annotations

import uuid

from tests.integration.conftest import DrawingsWorld


def test_r43_an_upload_asked_twice_with_one_key_is_one_upload(drawings_world: DrawingsWorld) -> None:
    # Given a standard user asking for an upload URL with an Idempotency-Key
    api, path = drawings_world.api, f"/projects/{drawings_world.project_id}/drawing-uploads"
    key = {"Idempotency-Key": str(uuid.uuid4())}
    body = {"filename": "A-101.pdf", "content_type": "application/pdf", "size": 2048}

    # When the request is sent twice, as a client retrying after a lost answer would
    first = api("POST", path, drawings_world.uploader, body, headers=key)
    again = api("POST", path, drawings_world.uploader, body, headers=key)

    # Then both answers are the first one: one upload, the second marked as replayed
    assert (first.status, again.status) == (201, 201)
    assert again.body["upload_id"] == first.body["upload_id"]
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert "Idempotent-Replayed" not in first.headers

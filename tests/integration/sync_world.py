"""A general contractor (Apex) and a subcontractor (Volt) connected for sync, driven as users and pollers would."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import requests

from local.world import Answer, DrawingsWorld, Pipeline
from tests.integration.conftest import Connected

UP_ADMIN = "apex-cm"  # CM and Drawings admin of the upstream project
DOWN_ADMIN = "volt-cm"  # CM and Drawings admin of the downstream project
VIEWER = "volt-viewer"  # Drawings read_only downstream, nothing upstream


@dataclass
class Sync:
    two: Connected
    up: DrawingsWorld
    pipeline: Pipeline
    connection_id: str = ""

    @property
    def api(self) -> Any:
        return self.up.api

    def connect(self) -> dict[str, Any]:
        requested = self.two.request()
        assert requested.status == 201, requested.body
        approved = self.api("POST", f"/connections/{requested.body['id']}/approve", UP_ADMIN)
        assert approved.status == 200, approved.body
        self.connection_id = approved.body["id"]
        return dict(approved.body)

    def connection(self) -> dict[str, Any]:
        return dict(self.api("GET", f"/connections/{self.connection_id}", DOWN_ADMIN).body)

    def down(self, method: str, path: str, user: str = DOWN_ADMIN, body: Any = None, **query: str) -> Answer:
        return self.api(method, f"/projects/{self.two.down}{path}", user, body, query=query or None)

    def review(self) -> list[dict[str, Any]]:
        answer = self.down("GET", "/connected-drawings/review", limit="200")
        assert answer.status == 200, answer.body
        return list(answer.body["items"])

    def publish_all(self) -> list[str]:
        answer = self.down("POST", "/connected-drawings/publish", body={"all": True})
        assert answer.status == 200, answer.body
        return list(answer.body["published"])

    def register(self, user: str = DOWN_ADMIN) -> list[dict[str, Any]]:
        answer = self.down("GET", "/drawings", user, include_obsolete="true", limit="200")
        assert answer.status == 200, answer.body
        return list(answer.body["items"])

    def download(self, revision_id: str, user: str = DOWN_ADMIN) -> bytes:
        link = self.down("GET", f"/drawing-revisions/{revision_id}/file", user)
        assert link.status == 200, link.body
        return bytes(requests.get(link.body["url"], timeout=10).content)

    def mails(self) -> list[tuple[str, str, str]]:
        """(event, project, subject) of every message sent so far, one per recipient."""
        from connectability.domain.notifications import outbox

        return sorted((m.event.value, m.project_id, m.subject) for m in outbox())

    def state(self) -> dict[str, Any]:
        """Everything a downstream admin can see of the connected drawings: to compare two runs."""
        drawings = []
        for d in self.register():
            full = self.down("GET", f"/drawings/{d['id']}").body
            drawings.append({k: v for k, v in full.items() if k != "id"})
        report = self.down("GET", "/reports/deleted-drawing-revisions").body["items"]
        strip = ("id", "drawing_id", "project_id", "published_at", "deleted_at", "source")
        return {
            "register": sorted(json.dumps(_without(d, strip), sort_keys=True) for d in drawings),
            "review": sorted(json.dumps(_without(r, strip), sort_keys=True) for r in self.review()),
            "deleted": sorted(json.dumps(_without(r, strip), sort_keys=True) for r in report),
            "areas": sorted(a["name"] for a in self.down("GET", "/drawing-areas").body["items"]),
        }


def _without(value: Any, keys: tuple[str, ...]) -> Any:
    if isinstance(value, dict):
        return {k: _without(v, keys) for k, v in value.items() if k not in keys}
    if isinstance(value, list):
        return [_without(v, keys) for v in value]
    return value


FULL = {
    "status": "For construction",
    "area": {"name": "Level 1", "description": "Ground floor"},
    "discipline": {"name": "Electrical", "position": 3},
    "drawing_date": "2026-11-02",
    "received_date": "2026-11-03",
    "drawing_set": {"name": "IFC", "date": "2026-11-01"},
}


def storage_bucket(company_id: str) -> str:
    from connectability.storage import bucket_name

    return bucket_name(company_id)


def sync_of(two: Connected, pipeline: Pipeline) -> Sync:
    """Apex's project as the upstream (its CM and Drawings admin publishes), Volt's as the downstream."""
    up = DrawingsWorld(two.build.api, two.apex, two.up, uploader=UP_ADMIN, admin=UP_ADMIN)
    pipeline.run()  # the buckets' s3:TestEvents
    return Sync(two, up, pipeline)


def fresh_pair(two: Connected, pipeline: Pipeline, n: int) -> Sync:
    """A new upstream and downstream project pair in the same companies, connected (its initial sync queued):
    many independent stories in one moto account, each with its own ids."""
    up = two.upstream_project(f"Tower {n}")
    down = two.build.project(two.volt, f"Tower {n} - Electrical", "volt-admin")
    two.build.member(down, "volt-cm", "volt-admin", cm="admin", drawings="admin")
    two.build.member(down, "req", "volt-admin", cm="admin", drawings="standard")
    sync = sync_of(Connected(two.build, two.apex, two.volt, up, down), pipeline)
    sync.connect()
    return sync

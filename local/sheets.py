"""Published drawings for a project, made through the public API as a user would: upload, revision, publish.

`make dev` publishes a few in the demo's upstream project, so the console has something to sync at once;
the browser tests use it too. Standard library only: it runs inside the local stack.
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any

PDF = b"%PDF-1.7\n% a blank sheet\n" + b"0" * 2048 + b"\n%%EOF\n"
DEMO_SHEETS = [
    ("A-101", "Ground floor plan", "Architectural", "Level 1"),
    ("A-102", "First floor plan", "Architectural", "Level 2"),
    ("A-201", "North and south elevations", "Architectural", None),
    ("E-101", "Lighting layout, level 1", "Electrical", "Level 1"),
    ("E-102", "Power layout, level 1", "Electrical", "Level 1"),
    ("S-101", "Foundation plan", "Structural", None),
]


class ApiRefused(RuntimeError):
    pass


def _call(method: str, url: str, token: str, body: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method=method,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            result: dict[str, Any] = json.loads(answer.read())
            return result
    except urllib.error.HTTPError as exc:
        raise ApiRefused(f"{method} {url}: {exc.code} {exc.read().decode(errors='replace')}") from exc


def publish_sheets(
    api_url: str, token: str, project_id: str, sheets: list[tuple[str, str, str, str | None]] = DEMO_SHEETS
) -> list[str]:
    """Upload, create and publish one revision per sheet (number, title, discipline, area); answers their ids."""
    base = f"{api_url}/projects/{project_id}"
    ids = []
    for number, title, discipline, area in sheets:
        upload_body = {"filename": f"{number}.pdf", "content_type": "application/pdf", "size": len(PDF)}
        upload = _call("POST", f"{base}/drawing-uploads", token, upload_body)
        put = urllib.request.Request(upload["url"], data=PDF, method="PUT", headers=upload["headers"])
        with urllib.request.urlopen(put, timeout=30):
            pass
        body: dict[str, Any] = {
            "upload_id": upload["upload_id"],
            "number": number,
            "title": title,
            "revision_number": "1",
            "discipline": {"name": discipline},
        }
        if area:
            body["area"] = {"name": area}
        ids.append(_call("POST", f"{base}/drawing-revisions", token, body)["id"])
    _call("POST", f"{base}/drawing-revisions/publish", token, {"revision_ids": ids})
    return ids

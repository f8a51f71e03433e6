"""Published drawings for a project, made through the public API as a user would: upload (the PUT sends every
header the upload's answer lists), revision, and one publish for them all.

The demo publishes its sheets in the upstream project so the console has something to sync at once; the browser
tests and benches use it too. The files are real PDFs (local/drawing_pdf.py). Standard library only.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from local.drawing_pdf import drawing_pdf

# (number, title, discipline, area)
DEMO_SHEETS = [
    ("A-101", "Ground floor plan", "Architectural", "Level 1"),
    ("A-102", "First floor plan", "Architectural", "Level 2"),
    ("A-201", "North and south elevations", "Architectural", None),
    ("E-101", "Lighting layout, level 1", "Electrical", "Level 1"),
    ("E-102", "Power layout, level 1", "Electrical", "Level 1"),
    ("S-101", "Foundation plan", "Structural", None),
]
DISCIPLINE_POSITIONS = {"Architectural": 1, "Structural": 2, "Mechanical": 3, "Electrical": 4, "Plumbing": 5}


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


def put_file(upload: dict[str, Any], data: bytes) -> None:
    """PUT a file to an upload's presigned URL with exactly the headers its answer lists (they are signed)."""
    put = urllib.request.Request(upload["url"], data=data, method="PUT", headers=upload["headers"])
    try:
        with urllib.request.urlopen(put, timeout=30):
            pass
    except urllib.error.HTTPError as exc:
        raise ApiRefused(f"PUT {upload['url']}: {exc.code} {exc.read().decode(errors='replace')}") from exc


def sheet_pdf(number: str, title: str, project: str, company: str, revision: str = "1") -> bytes:
    return drawing_pdf(number, title, project=project, company=company, revision=revision, size="A1", rooms=8)


def publish_sheets(
    api_url: str,
    token: str,
    project_id: str,
    sheets: list[tuple[str, str, str, str | None]] = DEMO_SHEETS,
    *,
    project: str = "Harbor Tower",
    company: str = "Apex Builders",
    revision: str = "1",
) -> list[str]:
    """Upload, create and publish one revision per sheet (number, title, discipline, area); answers their ids."""
    base = f"{api_url}/projects/{project_id}"
    ids = []
    for number, title, discipline, area in sheets:
        pdf = sheet_pdf(number, title, project, company, revision)
        filename = f"{number} {title}.pdf"
        upload = _call(
            "POST",
            f"{base}/drawing-uploads",
            token,
            {"filename": filename, "content_type": "application/pdf", "size": len(pdf)},
        )
        put_file(upload, pdf)
        body: dict[str, Any] = {
            "upload_id": upload["upload_id"],
            "number": number,
            "title": title,
            "revision_number": revision,
            "discipline": {"name": discipline, "position": DISCIPLINE_POSITIONS.get(discipline)},
        }
        if area:
            body["area"] = {"name": area}
        ids.append(_call("POST", f"{base}/drawing-revisions", token, body)["id"])
    _call("POST", f"{base}/drawing-revisions/publish", token, {"revision_ids": ids})
    return ids

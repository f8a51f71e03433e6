"""The local stack in a subprocess (local.client), started once per session; fixtures made unique per test."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from local.client import ROOT, LocalStackClient, running_stack


@pytest.fixture(scope="session")
def local_stack() -> Iterator[LocalStackClient]:
    with running_stack() as client:
        yield client


def unique_fixture(fixture: dict[str, Any] | None = None, drawings: bool = False) -> tuple[dict[str, Any], str]:
    """A copy of a fixture (the demo by default) whose keys and user ids end in a suffix unique to this call;
    without its drawings unless asked (a test publishes what it needs)."""
    if fixture is None:
        fixture = json.loads((ROOT / "local" / "demo.json").read_text())
    suffix = uuid.uuid4().hex[:8]
    data = json.loads(json.dumps(fixture))
    for company in data["companies"]:
        company["key"] += f"-{suffix}"
        for user in company.get("users", []):
            user["user_id"] += f"-{suffix}"
        for project in company.get("projects", []):
            project["key"] += f"-{suffix}"
            if not drawings:
                project.pop("drawings", None)
            for entry in project.get("directory", []):
                entry["user_id"] += f"-{suffix}"
    return data, suffix

"""A short, bounded load run on the local stack (`make load` runs it for minutes): companies' users at once,
no 5xx, nothing lost, and of fifty simultaneous requests for one downstream project exactly one wins (R14)."""

from __future__ import annotations

import os

from bench.load import report, run
from local.client import LocalStackClient


def test_r11_r14_under_load_nothing_is_lost_and_exactly_one_racing_request_wins(local_stack: LocalStackClient) -> None:
    result = run(local_stack.url, seconds=float(os.environ.get("LOAD_SECONDS", "12")), pairs=4)
    print("\n" + report(result))
    assert result["race"] == {"won": 1, "refused": 49, "other": 0, "connections": 1}
    assert result["server_errors"] == 0, result["statuses"]
    assert result["settled"]["settled"] is True
    assert result["lost"] == []
    assert result["sheets_published"] >= 4  # every pair published something

"""Test-wide setup: the environment every function reads, from template.yaml, before anything imports a handler."""

from __future__ import annotations

from typing import Any

import pytest

from local.world import set_environment

set_environment()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """After a run that tried the pipeline's fault points: which ones (the day's rotation, its seed), to replay."""
    from tests.integration.fault_rotation import chosen

    reports = [r for kind in terminalreporter.stats.values() for r in kind if hasattr(r, "nodeid")]
    ran = [r for r in reports if "test_pipeline_faults" in r.nodeid and r.when == "call"]
    if ran:
        terminalreporter.write_line(chosen())
        for name, value in (p for r in ran for p in r.user_properties):
            terminalreporter.write_line(f"{name}: {value}")


def pytest_configure(config: pytest.Config) -> None:
    """The IAM proof records every call a function makes in any test, and proves them all at the end."""
    from tests.iam.plugin import IamProof

    config.pluginmanager.register(IamProof(config), "iam-proof")

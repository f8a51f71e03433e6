"""Test-wide setup: the environment every function reads, from template.yaml, before anything imports a handler."""

from __future__ import annotations

import os
from typing import Any

import pytest

from local import emulator
from local.template import REGION, load

# Credentials and region for moto; the rest exactly as template.yaml gives every function.
os.environ.update(
    {
        **load().environment(),
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
    }
)
os.environ.pop("AWS_ENDPOINT_URL", None)
os.environ.pop("AWS_PROFILE", None)
# moto copies whole tables for each transaction item; the emulator's journal gives the same answers in less time.
emulator.install()


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

"""What a cold start imports: the X-Ray SDK only where tracing is on, and no pydantic-settings at all."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from connectability.config import from_environment
from connectability.observability import Untraced, tracing_on

ROOT = Path(__file__).resolve().parents[2]
LAMBDA = {"LAMBDA_TASK_ROOT": "/var/task"}


@pytest.mark.parametrize(
    ("environment", "on"),
    [
        (LAMBDA, True),
        ({**LAMBDA, "POWERTOOLS_TRACE_DISABLED": "true"}, False),
        ({**LAMBDA, "AWS_SAM_LOCAL": "true"}, False),
        ({}, False),
    ],
)
def test_tracing_is_on_only_in_lambda_unless_disabled(
    environment: dict[str, str], on: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("LAMBDA_TASK_ROOT", "POWERTOOLS_TRACE_DISABLED", "AWS_SAM_LOCAL", "AWS_CHALICE_CLI_MODE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    assert tracing_on() is on


def test_the_stand_in_gives_functions_back_unchanged() -> None:
    def handler(event: dict, context: object) -> dict:
        return event

    assert Untraced().capture_lambda_handler(handler) is handler
    assert Untraced().capture_method(handler) is handler


def test_settings_read_each_variable_in_any_case() -> None:
    found = from_environment({"TABLE_NAME": "t", "sync_digest_quiet_seconds": "5", "HOME": "/root"})
    assert found == {"table_name": "t", "sync_digest_quiet_seconds": "5"}


@pytest.mark.parametrize("tracing", [False, True])
def test_a_handler_imports_the_xray_sdk_only_where_tracing_is_on(tracing: bool) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("POWERTOOLS_TRACE_DISABLED", "LAMBDA_TASK_ROOT")}
    env["PYTHONPATH"] = os.pathsep.join(str(ROOT / p) for p in ("shared", "functions", "."))
    if tracing:
        env.update(LAMBDA)
    code = "import sys, sync_copy.app; print(sorted({m.split('.')[0] for m in sys.modules}))"
    loaded = subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True, text=True).stdout
    assert ("'aws_xray_sdk'" in loaded) is tracing
    assert "'pydantic_settings'" not in loaded

"""The IAM proof as part of every pytest run: record in each process, merge, prove once at the end.

Under xdist each worker records its own calls and hands them to the controller with its other output; the
controller (or the one process of a run without xdist) merges them, writes them to test-artifacts/iam/calls.json
(calls-partial.json for a run of some tests) with the report beside it, proves them against the roles and fails
the session when a call would be denied or, on a run of the whole suite, a grant is neither used nor explained.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from local.template import load
from tests.iam import record

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "iam"
KEY = "iam_calls"


class IamProof:
    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.lines: list[str] = []
        record.install()

    @property
    def is_worker(self) -> bool:
        return hasattr(self.config, "workerinput")

    def whole_suite(self) -> bool:
        """Run as `make test` runs it: every test path, nothing selected by -k or -m."""
        option = self.config.option
        return (
            self.config.args_source == pytest.Config.ArgsSource.TESTPATHS
            and not getattr(option, "keyword", "")
            and not getattr(option, "markexpr", "")
            and not getattr(option, "lf", False)
        )

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        dumped = getattr(node, "workeroutput", {}).get(KEY)
        if dumped:
            record.RECORDED.merge(json.loads(dumped))

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self.is_worker:
            self.config.workeroutput[KEY] = json.dumps(record.RECORDED.dump())  # type: ignore[attr-defined]
            return
        recorded = record.RECORDED
        if not recorded.requests and not recorded.unmapped:
            return  # no function ran in this session
        from tests.iam.proof import prove

        least = self.whole_suite() and session.testsfailed == 0
        begun = time.perf_counter()
        report = prove(recorded, load().name, least_privilege=least)
        took = time.perf_counter() - begun
        spent = f"(recording took {recorded.seconds:.1f} s of the test processes' time; the proof {took:.1f} s)"
        self.lines = [*report.lines(), spent]
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        name = "" if self.whole_suite() else "-partial"  # a partial run leaves the whole suite's record alone
        (ARTIFACTS / f"calls{name}.json").write_text(json.dumps(recorded.dump(), indent=1))
        (ARTIFACTS / f"report{name}.txt").write_text("\n".join(self.lines) + "\n")
        if not report.passed:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.lines:
            terminalreporter.section("IAM proof: the recorded calls against the roles (tests/iam)")
            for line in self.lines:
                terminalreporter.write_line(line)

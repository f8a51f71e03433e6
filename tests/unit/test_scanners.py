"""The template passes the field's own scanners, and every finding they would raise is fixed or explained.

checkov and cfn-lint's serverless rules pin their own libraries, so they live in a virtual environment of their
own (`make test` installs it and passes SCAN_BIN). A finding that does not apply is suppressed in the resource's
Metadata with its reason; these tests keep those reasons present and the suppressions in use.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from local.template import load

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"


def _scanner(name: str) -> str:
    directory = Path(os.environ.get("SCAN_BIN") or ROOT / ".venv-scan/bin")
    path = directory / name
    assert path.exists(), f"{name} is missing: run `make test`, which installs the scanners in .venv-scan"
    return str(path)


def _checkov_skips() -> set[tuple[str, str]]:
    """(resource, check id) of every checkov suppression written in the template."""
    skips = set()
    for logical_id, resource in load().resources.items():
        for skip in ((resource.get("Metadata") or {}).get("checkov") or {}).get("skip", []):
            skips.add((f"{resource['Type']}.{logical_id}", skip["id"]))
    return skips


@pytest.mark.slow
def test_checkov_fails_no_check_and_every_suppression_is_used() -> None:
    result = subprocess.run(
        [_scanner("checkov"), "-f", str(TEMPLATE), "--framework", "cloudformation", "-o", "json", "--skip-download"],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    report: dict[str, Any] = json.loads(result.stdout)
    failed = [f"{c['check_id']} {c['resource']}: {c['check_name']}" for c in report["results"]["failed_checks"]]
    assert failed == [], "\n".join(failed)
    assert report["summary"]["parsing_errors"] == 0
    skipped = report["results"]["skipped_checks"]
    assert all(c["check_result"].get("suppress_comment", "").strip() for c in skipped)
    # A suppression that no longer matches a finding is stale: remove it rather than keep an excuse around.
    assert {(c["resource"], c["check_id"]) for c in skipped} == _checkov_skips()


@pytest.mark.slow
def test_serverless_rules_find_nothing() -> None:
    result = subprocess.run(
        [_scanner("cfn-lint"), "--append-rules", "cfn_lint_serverless.rules", "--", str(TEMPLATE)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_suppression_says_why() -> None:
    for logical_id, resource in load().resources.items():
        metadata = resource.get("Metadata") or {}
        for skip in (metadata.get("checkov") or {}).get("skip", []):
            assert len(str(skip.get("comment", ""))) >= 40, f"{logical_id} skips {skip['id']} without a reason"
    # cfn-lint's config has no field for a reason: it goes in a comment on the same line.
    for number, line in enumerate(TEMPLATE.read_text().splitlines(), 1):
        if "ignore_checks:" in line:
            assert re.search(r"\]\s+#\s*\S.{30,}", line), f"template.yaml:{number} ignores a check without a reason"


def test_every_function_logs_to_a_group_with_retention_under_the_stack_name() -> None:
    stack = load()
    groups = {
        group["Properties"]["LogGroupName"]["Fn::Sub"]: group["Properties"]
        for group in stack.of_type("AWS::Logs::LogGroup").values()
    }
    for logical_id, function in stack.of_type("AWS::Serverless::Function").items():
        assert function["Properties"]["FunctionName"]["Fn::Sub"].startswith("${AWS::StackName}-"), logical_id
        group = groups.get(f"/aws/lambda/${{{logical_id}}}")
        assert group is not None, f"{logical_id} has no log group"
        assert group["RetentionInDays"] == {"Ref": "LogRetentionInDays"}
    api = stack.of_type("AWS::Serverless::Api")["Api"]["Properties"]
    assert api["AccessLogSetting"]["DestinationArn"] == {"Fn::GetAtt": ["ApiAccessLogGroup", "Arn"]}
    assert "$context.requestId" in api["AccessLogSetting"]["Format"]


def test_the_copy_path_is_capped_and_schedules_report_failures() -> None:
    stack = load()
    copy = stack.resources["SyncCopyFunction"]["Properties"]["Events"]["CopyJobs"]["Properties"]
    assert 2 <= copy["ScalingConfig"]["MaximumConcurrency"] <= 50
    failures = {"Fn::GetAtt": ["ScheduleFailuresQueue", "Arn"]}
    for schedule in stack.schedules:
        props = stack.resources[schedule.function]["Properties"]
        assert props["EventInvokeConfig"]["DestinationConfig"]["OnFailure"]["Destination"] == failures
        events = [e["Properties"] for e in props["Events"].values() if e["Type"] == "Schedule"]
        assert events
        assert all(e["DeadLetterConfig"]["Arn"] == failures for e in events)

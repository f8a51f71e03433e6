"""The wiring and packaging stay honest: the template lints, the layer ships what the tests ran."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from local.template import load

ROOT = Path(__file__).resolve().parents[2]


def _distribution(name: str) -> str:
    """A distribution's name as PEP 503 normalizes it, extras dropped: aws_lambda_powertools[tracer] and
    aws-lambda-powertools are one."""
    return re.sub(r"[-_.]+", "-", re.sub(r"\[.*\]", "", name)).lower()


def _pins(lines: list[str]) -> dict[str, str]:
    pins = {}
    for line in lines:
        line = line.split("#")[0].strip()
        if line:
            name, version = re.split(r"==", line)
            pins[_distribution(name)] = version
    return pins


def _layer_pins() -> tuple[dict[str, str], dict[str, str]]:
    """layers/deps/requirements.txt: its first block (the runtime dependencies), and every pin."""
    text = (ROOT / "layers/deps/requirements.txt").read_text()
    return _pins(text.split("\n\n")[0].splitlines()), _pins(text.splitlines())


def test_layer_requirements_equal_runtime_dependencies_and_the_lock() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    top, every = _layer_pins()
    assert top == _pins(project["dependencies"])
    locked = _pins((ROOT / "requirements.lock").read_text().splitlines())
    assert {name: locked.get(name) for name in every} == every


def test_lock_file_pins_every_declared_dependency_at_its_version() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    optional = project["optional-dependencies"]
    declared = _pins(project["dependencies"] + optional["dev"] + optional["thumbnails"])
    locked = _pins((ROOT / "requirements.lock").read_text().splitlines())
    assert {name: locked.get(name) for name in declared} == declared


def test_the_thumbnails_layer_ships_the_declared_pins_to_the_file_check_alone() -> None:
    # PDFium and Pillow weigh megabytes of native code: only the function that draws thumbnails carries them
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    layer = _pins((ROOT / "layers/thumbnails/requirements.txt").read_text().splitlines())
    assert layer == _pins(project["optional-dependencies"]["thumbnails"])
    locked = _pins((ROOT / "requirements.lock").read_text().splitlines())
    assert {name: locked.get(name) for name in layer} == layer
    stack = load()
    carrying = {
        logical_id
        for logical_id, function in stack.of_type("AWS::Serverless::Function").items()
        if {"Ref": "ThumbnailsLayer"} in (function["Properties"].get("Layers") or [])
    }
    assert carrying == {"FileCheckFunction"}
    assert {"Ref": "ThumbnailsLayer"} not in stack.doc["Globals"]["Function"]["Layers"]


@pytest.mark.slow
def test_the_thumbnails_layer_ships_its_pinned_packages_with_their_bytecode(tmp_path: Path) -> None:
    assert load().resources["ThumbnailsLayer"]["Metadata"]["BuildMethod"] == "makefile"
    build = ["make", "-s", "-C", str(ROOT / "layers/thumbnails"), "build-ThumbnailsLayer", f"ARTIFACTS_DIR={tmp_path}"]
    subprocess.run([*build, f"PYTHON={sys.executable}", "PLATFORM="], check=True, capture_output=True)
    site = tmp_path / "python"
    shipped = {}
    for info in site.glob("*.dist-info"):
        name, version = info.name.removesuffix(".dist-info").rsplit("-", 1)
        shipped[_distribution(name)] = version
    assert shipped == _pins((ROOT / "layers/thumbnails/requirements.txt").read_text().splitlines())
    _assert_every_module_has_unchecked_bytecode(site)


def test_every_function_handler_imports_and_exists() -> None:
    stack = load()
    assert stack.functions, "template.yaml declares no function"
    for function in stack.functions.values():
        module, name = function.handler.rsplit(".", 1)
        assert (ROOT / "functions" / module.replace(".", "/")).with_suffix(".py").exists(), function.handler
        assert name == "lambda_handler"


def test_the_import_contracts_hold_every_function_of_the_template() -> None:
    """`make lint`'s import contracts (pyproject.toml) name each function's package: a function added to
    template.yaml and not to them would be outside the rule that handlers stay thin."""
    linter = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    functions = {spec.handler.split(".")[0] for spec in load().functions.values()}
    assert set(linter["root_packages"]) == {"connectability", *functions, "bench"}  # bench: it never imports tests
    thin = next(c for c in linter["contracts"] if "connectability.db" in c.get("forbidden_modules", []))
    assert set(thin["source_modules"]) == functions


def test_mypy_checks_every_function_of_the_template() -> None:
    """`make typecheck` checks the packages pyproject.toml names: a function added to template.yaml and not to
    them would ship unchecked."""
    packages = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]["packages"])
    functions = {spec.handler.split(".")[0] for spec in load().functions.values()}
    assert functions - packages == set()


def test_globals_run_python313_on_arm64_with_tracing() -> None:
    globals_fn = load().doc["Globals"]["Function"]
    assert globals_fn["Runtime"] == "python3.13"
    assert globals_fn["Architectures"] == ["arm64"]
    assert globals_fn["Tracing"] == "Active"


def test_tables_are_on_demand_encrypted_with_point_in_time_recovery() -> None:
    tables = load().of_type("AWS::DynamoDB::Table")
    assert tables
    for table in tables.values():
        props = table["Properties"]
        assert props["BillingMode"] == "PAY_PER_REQUEST"
        assert props["SSESpecification"]["SSEEnabled"] is True
        assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True


def test_every_queue_has_a_dead_letter_queue_and_long_enough_visibility() -> None:
    stack = load()
    queues = stack.of_type("AWS::SQS::Queue")
    dlq_ids = {
        q["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
        for q in queues.values()
        if "RedrivePolicy" in (q.get("Properties") or {})
    }
    for source in stack.queue_sources:
        assert source.queue not in dlq_ids
        props = queues[source.queue]["Properties"]
        assert "RedrivePolicy" in props, f"{source.queue} has no DLQ"
        assert int(props["VisibilityTimeout"]) >= 6 * stack.functions[source.function].timeout
        assert source.report_failures, f"{source.function} must report batch item failures"


@pytest.mark.slow
def test_cfn_lint_is_clean() -> None:
    result = subprocess.run(
        [str(Path(sys.executable).parent / "cfn-lint"), str(ROOT / "template.yaml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_sam_validate_lint_is_clean() -> None:
    sam = os.environ.get("SAM_BIN") or shutil.which("sam") or str(ROOT / ".venv-sam/bin/sam")
    assert Path(sam).exists(), "aws-sam-cli is missing: run `make test`, which installs it in .venv-sam"
    env = {**os.environ, "AWS_DEFAULT_REGION": "us-east-1", "SAM_CLI_TELEMETRY": "0"}
    result = subprocess.run(
        [sam, "validate", "--lint", "--template-file", str(ROOT / "template.yaml")],
        capture_output=True,
        text=True,
        check=False,
        env=env,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "is a valid SAM Template" in result.stdout + result.stderr


def test_api_gateways_own_answers_use_the_error_shape() -> None:
    api = load().of_type("AWS::Serverless::Api")["Api"]["Properties"]
    responses = api["GatewayResponses"]
    assert {"UNAUTHORIZED", "MISSING_AUTHENTICATION_TOKEN", "THROTTLED", "DEFAULT_4XX", "DEFAULT_5XX"} <= set(responses)
    assert responses["THROTTLED"]["StatusCode"] == "429"
    assert responses["MISSING_AUTHENTICATION_TOKEN"]["StatusCode"] == "404"
    for name, response in responses.items():
        body = json.loads(response["ResponseTemplates"]["application/json"])
        assert set(body["error"]) == {"code", "message", "rule", "details"}, name


def test_every_alarm_tells_someone() -> None:
    alarms = load().of_type("AWS::CloudWatch::Alarm")
    assert alarms
    for alarm in alarms.values():
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": "AlarmTopic"}]


def test_functions_that_read_pinned_file_versions_may_do_so() -> None:
    # A GET that names a VersionId needs s3:GetObjectVersion; a HEAD of a missing key answers 404 only with
    # s3:ListBucket (else 403). moto does not check IAM, so the template must be right by itself.
    props = load().resources["DrawingsApiFunction"]["Properties"]
    actions: set[str] = set()
    for policy in props["Policies"]:
        for statement in policy.get("Statement", []) if isinstance(policy, dict) else []:
            action = statement["Action"]
            actions.update([action] if isinstance(action, str) else action)
    assert {"s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:ListBucket"} <= actions


def test_stack_names_fit_company_bucket_names() -> None:
    # Company buckets are named "<stack>-cmp-<26 characters>" (at most 63, lowercase), and IAM grants exactly
    # that pattern with the stack name as written: so stack names must be lowercase and at most 32 characters.
    config = tomllib.loads((ROOT / "samconfig.toml").read_text())
    names = {config["default"]["global"]["parameters"]["stack_name"]}
    names |= {config[env]["deploy"]["parameters"]["stack_name"] for env in ("dev", "prod")}
    for name in names:
        assert re.fullmatch(r"[a-z0-9][a-z0-9-]{0,31}", name), name


def _assert_every_module_has_unchecked_bytecode(root: Path) -> None:
    for source in root.rglob("*.py"):
        cached = Path(importlib.util.cache_from_source(str(source)))
        assert cached.exists(), source
        # Flags 0b01: checked against a hash of the source, never its timestamp, and only if asked (unchecked).
        assert int.from_bytes(cached.read_bytes()[4:8], "little") == 0b01, source


def test_the_shared_layer_ships_every_module_with_its_bytecode(tmp_path: Path) -> None:
    # Lambda cannot write __pycache__: without the layer's own bytecode, every cold start compiles each module.
    assert load().resources["SharedLayer"]["Metadata"]["BuildMethod"] == "makefile"
    build = ["make", "-s", "-C", str(ROOT / "shared"), "build-SharedLayer", f"ARTIFACTS_DIR={tmp_path}"]
    subprocess.run([*build, f"PYTHON={sys.executable}"], check=True)
    package = tmp_path / "python" / "connectability"
    sources = sorted(p.relative_to(package) for p in package.rglob("*.py"))
    assert sources == sorted(p.relative_to(ROOT / "shared/connectability") for p in ROOT.glob("shared/**/*.py"))
    _assert_every_module_has_unchecked_bytecode(package)


@pytest.mark.slow
def test_the_deps_layer_ships_the_pinned_packages_with_their_bytecode(tmp_path: Path) -> None:
    # SAM's python builder would ship the wheels' sources only: botocore, pydantic and the rest compiled in
    # every cold start. Built here for this machine (PLATFORM empty); sam build makes the arm64 one the same way.
    assert load().resources["DepsLayer"]["Metadata"]["BuildMethod"] == "makefile"
    build = ["make", "-s", "-C", str(ROOT / "layers/deps"), "build-DepsLayer", f"ARTIFACTS_DIR={tmp_path}"]
    subprocess.run([*build, f"PYTHON={sys.executable}", "PLATFORM="], check=True, capture_output=True)
    site = tmp_path / "python"
    shipped = {}
    for info in site.glob("*.dist-info"):
        name, version = info.name.removesuffix(".dist-info").rsplit("-", 1)
        shipped[_distribution(name)] = version
    assert shipped == _layer_pins()[1], "the layer must ship exactly the pinned packages: pin what it added"
    _assert_every_module_has_unchecked_bytecode(site)


def test_the_deps_layer_for_lambda_needs_the_runtimes_python(tmp_path: Path) -> None:
    # Bytecode of another Python is ignored by Lambda's (and its wheels would not load): the build says so first.
    build = ["make", "-s", "-C", str(ROOT / "layers/deps"), "build-DepsLayer", f"ARTIFACTS_DIR={tmp_path}"]
    other = sys.executable if sys.version_info[:2] != (3, 13) else "python3.12"
    result = subprocess.run([*build, f"PYTHON={other}"], check=False, capture_output=True, text=True)
    assert result.returncode != 0
    assert "Lambda runs 3.13" in result.stdout + result.stderr or "not found" in result.stdout + result.stderr
    assert not (tmp_path / "python").exists()

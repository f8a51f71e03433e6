"""What a cold start imports: the X-Ray SDK only where tracing is on, no pydantic-settings, and no Powertools
resolver or event class a function does not use; what its clients cost: one botocore session, and no boto3."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

from connectability import lazy_packages
from connectability.config import from_environment
from connectability.observability import Untraced, tracing_on
from local.template import load

ROOT = Path(__file__).resolve().parents[2]
LAMBDA = {"LAMBDA_TASK_ROOT": "/var/task"}
HANDLERS = sorted({f.handler.rsplit(".", 1)[0] for f in load().functions.values()})


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
    loaded = _loaded_by("import sync_copy.app", LAMBDA if tracing else None)
    assert ("aws_xray_sdk" in loaded) is tracing
    assert "pydantic_settings" not in loaded


def test_where_tracing_is_on_only_botocore_is_patched() -> None:
    # The SDK's default patches every library it supports and can import, importing each (requests and httpx are
    # in this environment, sqlite3 in every Python): only our AWS calls are traced, through botocore.
    loaded = _loaded_by("import sync_copy.app", LAMBDA)
    assert "aws_xray_sdk.ext.botocore.patch" in loaded
    assert loaded & {"requests", "httpx", "sqlite3", "aws_xray_sdk.ext.requests.patch"} == set()


@pytest.mark.parametrize("module", HANDLERS)
def test_what_a_function_imports_is_out_of_the_cycle_collectors_reach(module: str) -> None:
    # Else the first full collection, in the first invocation, walks every module, class and schema (~100 ms).
    code = f"import gc, {module}; print(gc.get_freeze_count(), len(gc.get_objects()))"
    frozen, collected = map(int, _run(code).split())
    assert frozen > 10_000
    assert collected < frozen / 20, "objects made at import after runtime.initialized(): move that call last"


@pytest.mark.parametrize("module", HANDLERS)
def test_the_cycle_collector_waits_for_the_end_of_a_functions_init(module: str) -> None:
    # Collections set off by the imports find nothing to free and walk ever more objects: a tenth of an import.
    code = f"""
import gc, sys
during = []
gc.callbacks.append(lambda phase, info: phase == "start" and "botocore" in sys.modules and during.append(info))
import {module}
print(len(during), gc.isenabled())"""
    collections, enabled = _run(code).split()
    assert collections == "0", "a collection ran while the stack was imported: pause it first in the function's package"
    assert enabled == "True", "the collector is still paused after init: runtime.initialized() comes last"


def _run(code: str, environment: dict[str, str] | None = None) -> str:
    """The output of `code` in a fresh interpreter, tracing off unless `environment` says Lambda."""
    env = {k: v for k, v in os.environ.items() if k not in ("POWERTOOLS_TRACE_DISABLED", "LAMBDA_TASK_ROOT")}
    env["PYTHONPATH"] = os.pathsep.join(str(ROOT / p) for p in ("shared", "functions", "."))
    env.update(environment or {})
    return subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True, text=True).stdout


def _loaded_by(code: str, environment: dict[str, str] | None = None) -> set[str]:
    return set(_run(code + "\nimport sys; print(' '.join(sorted(sys.modules)))", environment).split())


@pytest.mark.parametrize("module", ["connections_api.app", "sync_copy.app"])
def test_a_handler_imports_no_powertools_resolver_or_event_class_it_does_not_use(module: str) -> None:
    loaded = _loaded_by(f"import {module}")
    unused = {
        "aws_lambda_powertools.event_handler.appsync",
        "aws_lambda_powertools.event_handler.bedrock_agent",
        "aws_lambda_powertools.event_handler.vpc_lattice",
        "aws_lambda_powertools.utilities.data_classes.appsync_resolver_event",
        "aws_lambda_powertools.utilities.data_classes.code_pipeline_job_event",
        "aws_lambda_powertools.utilities.parser",  # the batch utility loads its models if pydantic came first
    }
    assert loaded & unused == set()


@pytest.mark.parametrize("module", ["webhooks.app", "directory_api.app"])
def test_a_function_that_sends_messages_builds_only_the_models_of_its_own(module: str) -> None:
    # queues.py names every message model; importing them there made every sender build all of them (the
    # drawings' models alone are about 30 classes). Neither function sends mail, so the notifications' models are
    # not theirs either (the audit trail once brought them, through where a tool's name was kept).
    loaded = _loaded_by(f"import {module}")
    others = {"connectability.models.drawings", "connectability.models.sync", "connectability.models.notifications"}
    assert loaded & others == set()


@pytest.mark.parametrize(
    ("module", "not_theirs"),
    [
        # Manifests are built from rows and records (domain/record_views.py), not from the API's views: the
        # functions that only sync, reconcile or approve connections define none of the Drawings API's models.
        ("connections_api.app", "connectability.models.drawings"),
        ("reconcile.app", "connectability.models.drawings"),
        ("sync_copy.app", "connectability.models.drawings"),
        ("sync_fanout.app", "connectability.models.drawings"),
        # The API's view of sync, a project's mail recipients and a connection's access rights stand apart from
        # the Connection Manager's models, which only connections_api defines.
        ("drawings_api.app", "connectability.models.connections"),
        ("notify.app", "connectability.models.connections"),
        ("outbox_relay.app", "connectability.models.connections"),
        ("file_check.app", "connectability.models.connections"),
        ("sync_copy.app", "connectability.models.connections"),
    ],
)
def test_a_function_defines_no_models_of_another_tool_it_does_not_use(module: str, not_theirs: str) -> None:
    # Every model class a function imports is defined in its cold start (bench.instructions: 18-27 M instructions,
    # about 2-3 % of the floor, for each of these two modules).
    assert not_theirs not in _loaded_by(f"import {module}")


def test_the_stand_ins_give_every_name_the_real_packages_export() -> None:
    code = """
import importlib.util, sys
from connectability import lazy_packages
lazy_packages.install()
for name in lazy_packages.PACKAGES:
    stand_in = sys.modules[name]
    real = importlib.util.module_from_spec(importlib.util.find_spec(name))
    real.__spec__.loader.exec_module(real)
    assert sorted(stand_in.__all__) == sorted(real.__all__), name
    assert all(getattr(stand_in, n) is getattr(real, n) for n in real.__all__), name
from aws_lambda_powertools.event_handler import content_types  # a submodule, as the real package gives it
assert content_types.APPLICATION_JSON == "application/json"
"""
    _loaded_by(code)


def test_a_package_whose_init_does_more_than_import_is_left_alone() -> None:
    spec = importlib.util.find_spec("aws_lambda_powertools")  # its __init__ sets up Powertools' logging
    assert spec is not None
    assert lazy_packages.exports(spec) is None


def test_every_client_and_pynamodb_share_one_botocore_session() -> None:
    code = """
import botocore.session
made = []
real = botocore.session.Session.__init__
def count(self, *args, **kwargs):
    made.append(self)
    real(self, *args, **kwargs)
botocore.session.Session.__init__ = count
import os
os.environ.update(TABLE_NAME="t", AWS_DEFAULT_REGION="us-east-1")
from connectability import aws
from connectability.db import base
aws.s3(), aws.sqs()
base.low().client
base.Item._get_connection().connection.client
assert len(made) == 1, made
import sys
assert "boto3" not in sys.modules
"""
    _loaded_by(code)


def test_rows_and_models_are_defined_from_annotations_that_are_objects_not_strings() -> None:
    # A string annotation costs a compile when the class is made: typing.NamedTuple turns each into a ForwardRef,
    # pydantic evaluates each. Every function makes these classes in its cold start (bench.instructions: a fifth of
    # the models' import, a third of the rows'), so their modules do without `from __future__ import annotations`.
    import pkgutil

    import connectability.models
    from connectability.db import rows

    modules = [rows] + [
        importlib.import_module(f"connectability.models.{m.name}")
        for m in pkgutil.iter_modules(connectability.models.__path__)
    ]
    classes = [c for m in modules for c in vars(m).values() if isinstance(c, type) and c.__module__ == m.__name__]
    strings = {
        f"{c.__qualname__}.{name}"
        for c in classes
        for name, a in vars(c).get("__annotations__", {}).items()
        if isinstance(a, str)
    }
    assert len(classes) > 60
    assert strings == set()

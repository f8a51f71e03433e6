"""SnapStart: the template's parameter and what SAM makes of it, and the hooks run as Lambda runs them.

With SnapStart on, Lambda initializes a function once, when a version is published, runs the before-snapshot
hooks, and restores every new execution environment from that one snapshot, running the after-restore hooks in
each. Here a fresh interpreter plays Lambda: a SnapStart init of the API functions on moto, the hooks
snapshot-restore-py holds, then `os.fork()` for execution environments restored from one snapshot, some with the
after-restore hooks and, for comparison, some without (what the snapshot alone would give them).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from local.template import TEMPLATE, Stack, load
from tests.iam.roles import expanded

ROOT = Path(__file__).resolve().parents[2]
ALIAS = "live"


@pytest.fixture(scope="module")
def deployed() -> dict[str, Stack]:
    """The template as CloudFormation receives it from the SAM transform, with SnapStart on and off."""
    return {
        value: Stack("connectability", expanded(TEMPLATE, (("SnapStart", value),)), {"SnapStart": value})
        for value in ("on", "off")
    }


def test_snapstart_is_a_template_parameter_off_by_default() -> None:
    parameter = load().doc["Parameters"]["SnapStart"]
    assert parameter["Default"] == "off"
    assert set(parameter["AllowedValues"]) == {"on", "off"}


@pytest.mark.parametrize(("value", "applied"), [("on", "PublishedVersions"), ("off", "None")])
def test_the_parameter_decides_whether_every_python_function_snapshots_its_published_versions(
    deployed: dict[str, Stack], value: str, applied: str
) -> None:
    # Given the template deployed with SnapStart on (or off)
    stack = deployed[value]
    functions = stack.of_type("AWS::Lambda::Function")
    assert len(functions) == len(load().functions)
    for logical_id, function in functions.items():
        # Then every function, each on Python 3.13, snapshots its published versions (or none)
        assert function["Properties"]["Runtime"] == "python3.13", logical_id
        assert stack.resolve(function["Properties"]["SnapStart"]) == {"ApplyOn": applied}, logical_id


def _aliases(stack: Stack) -> dict[str, str]:
    """Each function's alias `live` (its logical id), pointing at a version of that function."""
    versions = stack.of_type("AWS::Lambda::Version")
    found = {}
    for alias_id, alias in stack.of_type("AWS::Lambda::Alias").items():
        props = alias["Properties"]
        version_id = props["FunctionVersion"]["Fn::GetAtt"][0]
        assert props["Name"] == ALIAS
        assert versions[version_id]["Properties"]["FunctionName"] == props["FunctionName"]
        found[props["FunctionName"]["Ref"]] = alias_id
    return found


def test_every_route_queue_and_schedule_invokes_the_alias(deployed: dict[str, Stack]) -> None:
    # Given the template deployed (the events do not depend on the parameter)
    stack = deployed["on"]
    aliases = _aliases(stack)
    assert set(aliases) == set(stack.of_type("AWS::Lambda::Function"))
    alias_refs = [{"Ref": alias} for alias in aliases.values()]
    # Then each queue's event source mapping invokes a function's alias, never its unpublished $LATEST
    mappings = stack.of_type("AWS::Lambda::EventSourceMapping")
    assert len(mappings) == len(load().queue_sources)
    assert all(m["Properties"]["FunctionName"] in alias_refs for m in mappings.values())
    # and each schedule's target
    rules = {k: r for k, r in stack.of_type("AWS::Events::Rule").items() if "ScheduleExpression" in r["Properties"]}
    assert len(rules) == len(load().schedules)
    assert all(t["Arn"] in alias_refs for r in rules.values() for t in r["Properties"]["Targets"])
    # and every route's integration, and API Gateway's and EventBridge's permissions to invoke
    (api,) = stack.of_type("AWS::ApiGateway::RestApi").values()
    uris = [
        json.dumps(operation["x-amazon-apigateway-integration"]["uri"])
        for path in api["Properties"]["Body"]["paths"].values()
        for operation in path.values()
        if operation.get("x-amazon-apigateway-integration", {}).get("type") == "aws_proxy"  # not CORS' mocks
    ]
    assert len(uris) == len(load().routes)
    assert all(any(f"${{{alias}}}" in uri for alias in aliases.values()) for uri in uris)
    permissions = stack.of_type("AWS::Lambda::Permission").values()
    assert all(p["Properties"]["FunctionName"] in alias_refs for p in permissions)
    # and a failed scheduled run's destination is configured on the alias, the one the schedule invokes
    configs = stack.of_type("AWS::Lambda::EventInvokeConfig").values()
    assert configs
    assert all(c["Properties"]["Qualifier"] == ALIAS for c in configs)


def test_switching_snapstart_publishes_a_new_version_of_every_function(deployed: dict[str, Stack]) -> None:
    # SAM names a version by a hash of the function's properties as written, and `!If` reads the same either way:
    # the version's description is what differs. CloudFormation replaces a version whose description changes
    # (publishing a new one, with its snapshot or without), and the alias moves to it.
    on, off = deployed["on"], deployed["off"]
    versions_on, versions_off = on.of_type("AWS::Lambda::Version"), off.of_type("AWS::Lambda::Version")
    assert set(versions_on) == set(versions_off)
    for logical_id in versions_on:
        described_on = on.resolve(versions_on[logical_id]["Properties"]["Description"])
        described_off = off.resolve(versions_off[logical_id]["Properties"]["Description"])
        assert described_on != described_off, logical_id
        assert versions_on[logical_id]["DeletionPolicy"] == "Delete"  # a replaced version goes, with its snapshot


_ENVIRONMENTS = """
import json, os, random, sys, traceback
os.environ["AWS_LAMBDA_INITIALIZATION_TYPE"] = "snap-start"  # as Lambda says it, in a SnapStart init
from local.world import Api, Builder, DrawingsWorld, set_environment
set_environment()
from moto import mock_aws
from local.template import create_resources, load
import snapshot_restore_py


def unbuilt():
    # Our pydantic models not built yet (defer_build leaves a model to its first use)
    from connectability import runtime

    return {m.__qualname__ for m in runtime.models() if not m.__pydantic_complete__}


def restore(n, hooked):
    # A restored execution environment: its own credentials (Lambda gives each its own), its hooks run or not,
    # then its first requests.
    random.setstate(snapshotted)  # as the snapshot holds it: fork reseeds the child's generator, a restore does not
    os.environ.update(AWS_ACCESS_KEY_ID=f"restored-key-{n}", AWS_SECRET_ACCESS_KEY=f"restored-secret-{n}")
    if hooked:
        for hook, args, kwargs in snapshot_restore_py.get_after_restore():
            hook(*args, **kwargs)
    pools = len(aws.s3()._endpoint.http_session._manager.pools)
    drawn = random.random()
    # What the first requests make: clients, routes' parameter and body models, our models
    clients, routes, models = [], [], unbuilt()
    create_client = aws.session().create_client
    aws.session().create_client = lambda *a, **k: clients.append(a[0]) or create_client(*a, **k)
    from aws_lambda_powertools.event_handler.openapi import dependant
    get_dependant = dependant.get_dependant
    dependant.get_dependant = lambda **k: routes.append(k["path"]) or get_dependant(**k)
    api = Api(stack)
    build = Builder(api)
    company = build.company("Apex", "admin")
    project = build.project(company, "Tower", "admin")
    build.user(company, "drawer")
    build.member(project, "drawer", "admin", drawings="admin")
    asked = api("POST", f"/projects/{project}/drawing-uploads", "drawer",
                {"filename": "a.pdf", "content_type": "application/pdf", "size": 2048})
    revision = DrawingsWorld(api, company, project, uploader="drawer", admin="drawer").revision()
    made = {"clients": clients, "routes": routes, "models": sorted(models - unbuilt())}
    print(json.dumps({"hooked": hooked, "made": made, "pools": pools, "random": drawn,
                      "asked": asked.status, "url": asked.body.get("url", ""), "revision": revision.status}))
    sys.stdout.flush()


with mock_aws():  # which gives credentials of its own: the init's are set inside
    os.environ.update(AWS_ACCESS_KEY_ID="init-key", AWS_SECRET_ACCESS_KEY="init-secret")
    os.environ.pop("AWS_SESSION_TOKEN")
    stack = load()
    create_resources(stack)
    # The SnapStart init: the API functions' modules (each is one function's init; one process here)
    import directory_api.app, drawings_api.app
    from connectability import aws
    # Lambda's runtime: the hooks registered, then the before-snapshot ones run (the last registered first)
    assert snapshot_restore_py.get_before_snapshot() and snapshot_restore_py.get_after_restore()
    if sys.argv[1] == "prepared":
        for hook, args, kwargs in reversed(snapshot_restore_py.get_before_snapshot()):  # Lambda's order
            hook(*args, **kwargs)
    # What a snapshot could hold besides: credentials resolved and a connection open (none of ours do this in init)
    aws.s3().generate_presigned_url("get_object", Params={"Bucket": "b", "Key": "k"})
    aws.s3()._endpoint.http_session._manager.connection_from_url("https://s3.eu-west-1.amazonaws.com/")
    snapshotted = random.getstate()
    sys.stdout.flush()
    for n, hooked in enumerate([True, True, False, False]):
        if os.fork():
            os.wait()
            continue
        try:
            restore(n, hooked)
        except BaseException:
            traceback.print_exc()
        finally:
            sys.stderr.flush()
            os._exit(0)
"""


def _environments(init: str) -> list[dict[str, Any]]:
    env = {k: v for k, v in os.environ.items() if k != "AWS_LAMBDA_INITIALIZATION_TYPE"}
    env["PYTHONPATH"] = os.pathsep.join(str(ROOT / p) for p in ("shared", "functions", "."))
    ran = subprocess.run(
        [sys.executable, "-c", _ENVIRONMENTS, init], env=env, cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert ran.returncode == 0, ran.stderr
    found = [json.loads(line) for line in ran.stdout.splitlines() if line.startswith("{")]
    assert len(found) == 4, (ran.stdout, ran.stderr)
    return found


@pytest.fixture(scope="module")
def restored() -> list[dict[str, Any]]:
    """Four execution environments restored from one SnapStart init (its before-snapshot hooks run): two after
    the after-restore hooks, two without them."""
    return _environments("prepared")


def test_an_environment_restored_after_the_hooks_answers_its_requests_with_nothing_left_to_make(
    restored: list[dict[str, Any]],
) -> None:
    for environment in (e for e in restored if e["hooked"]):
        # Then a company, a project, an upload and a revision are made through the API after the restore
        assert environment["asked"] == 201
        assert environment["revision"] == 201
        # and its first requests make no client, no route's parameter and body models, none of our models:
        # the snapshot holds them
        assert environment["made"] == {"clients": [], "routes": [], "models": []}


def test_without_the_before_snapshot_hooks_the_first_requests_make_them() -> None:
    # Given a SnapStart init whose before-snapshot hooks did not run
    (unprepared, *_) = _environments("unprepared")
    # Then the first requests after a restore make clients, routes' models and ours, which the hooks make before
    assert unprepared["asked"] == 201
    assert "dynamodb" in unprepared["made"]["clients"]
    assert unprepared["made"]["routes"]
    assert unprepared["made"]["models"]


def test_each_restored_environment_signs_with_its_own_credentials(restored: list[dict[str, Any]]) -> None:
    # Given credentials resolved in the init (say by a presigned URL), and each environment given its own
    hooked = [e for e in restored if e["hooked"]]
    bare = [e for e in restored if not e["hooked"]]
    # Then after the hooks, a presigned upload URL is signed with the environment's own key
    for n, environment in enumerate(hooked):
        assert f"X-Amz-Credential=restored-key-{n}%2F" in environment["url"]
    # where the snapshot alone would still sign with the init's, long expired in Lambda
    assert all("X-Amz-Credential=init-key%2F" in e["url"] for e in bare)


def test_each_restored_environment_draws_its_own_random_numbers(restored: list[dict[str, Any]]) -> None:
    hooked = [e["random"] for e in restored if e["hooked"]]
    bare = [e["random"] for e in restored if not e["hooked"]]
    assert hooked[0] != hooked[1]
    assert bare[0] == bare[1]  # the snapshot's generator state, the same in every environment restored from it


def test_each_restored_environment_opens_its_own_connections(restored: list[dict[str, Any]]) -> None:
    # Given a connection pool opened in the init: a restored environment never reuses it
    assert [e["pools"] for e in restored if e["hooked"]] == [0, 0]
    assert [e["pools"] for e in restored if not e["hooked"]] == [1, 1]


def test_an_init_that_is_not_snapstart_registers_no_hooks() -> None:
    code = "import drawings_api.app, sys; print('snapshot_restore_py' in sys.modules)"
    env = {k: v for k, v in os.environ.items() if k != "AWS_LAMBDA_INITIALIZATION_TYPE"}
    env["AWS_LAMBDA_INITIALIZATION_TYPE"] = "on-demand"
    env["PYTHONPATH"] = os.pathsep.join(str(ROOT / p) for p in ("shared", "functions", "."))
    ran = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert ran.stdout.strip() == "False"

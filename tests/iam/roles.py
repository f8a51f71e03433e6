"""Each function's role as CloudFormation creates it: template.yaml expanded by aws-sam-translator, resolved.

The translator is the library `sam` (and CloudFormation's own transform) uses: it turns policy templates
(DynamoDBCrudPolicy, SQSSendMessagePolicy, ...), event sources, tracing and EventInvokeConfig destinations into
the role's inline policies and managed policy ARNs. It pins its own pydantic, so it runs in `.venv-sam` (where
aws-sam-cli brought it), as `sam validate` does in tests/unit/test_packaging.py. Managed policies' documents come
from moto's copy of AWS's managed policies. Intrinsic functions are resolved for one stack name, account and
region by the local stack's resolver (local/template.py), as the local stack names every resource.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from local.template import ACCOUNT, REGION, TEMPLATE, Stack

ROOT = Path(__file__).resolve().parents[2]

_EXPAND = """
import json, sys
from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

class NoManagedPolicyNames:
    def load(self):
        return {}

doc = yaml_parse(open(sys.argv[1]).read())
for resource in doc["Resources"].values():
    props = resource.get("Properties") or {}
    for key in ("CodeUri", "ContentUri"):  # as `sam package` leaves them
        if isinstance(props.get(key), str):
            props[key] = "s3://packaged/" + props[key]
values = {"AWS::Region": sys.argv[2], "AWS::AccountId": sys.argv[3], "AWS::Partition": "aws"}
values.update(json.loads(sys.argv[4]))  # the parameters given; the translator adds the others' defaults
print(json.dumps(transform(doc, values, NoManagedPolicyNames())))
"""


def sam_python() -> Path:
    """.venv-sam's interpreter (SAM_BIN names its `sam`, as `make test` sets it)."""
    sam = os.environ.get("SAM_BIN")
    python = Path(sam).parent / "python" if sam else ROOT / ".venv-sam/bin/python"
    if not python.exists():
        raise RuntimeError(f"{python} is missing: `make test` installs aws-sam-cli (and its translator) in .venv-sam")
    return python


@cache
def expanded(template: Path = TEMPLATE, parameters: tuple[tuple[str, str], ...] = ()) -> dict[str, Any]:
    """The CloudFormation template that the SAM transform makes of `template`, given these parameters' values
    (the others take their defaults, as in a deploy)."""
    env = {**os.environ, "AWS_DEFAULT_REGION": REGION}
    result = subprocess.run(
        [str(sam_python()), "-c", _EXPAND, str(template), REGION, ACCOUNT, json.dumps(dict(parameters))],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    if result.returncode != 0:
        raise RuntimeError(f"aws-sam-translator refused the template:\n{result.stderr}")
    return dict(json.loads(result.stdout))


@dataclass(frozen=True)
class Statement:
    """One statement of a role's policy, with the policy it came from (an inline policy's name or a managed
    policy's ARN) and its Sid."""

    policy: str
    sid: str
    document: dict[str, Any]


@cache
def _managed_policies() -> dict[str, Any]:
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    return dict(json.loads(aws_managed_policies_data))


def managed_policy(arn: str) -> dict[str, Any]:
    name = arn.rsplit("/", 1)[-1]
    found = _managed_policies().get(name)
    if found is None:
        raise LookupError(f"no document for the managed policy {arn}")
    return dict(found["Document"])


def _statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    found = document["Statement"]
    return list(found) if isinstance(found, list) else [found]


def _unresolved(value: Any) -> bool:
    if isinstance(value, dict):
        return True
    return isinstance(value, list) and any(_unresolved(v) for v in value)


def stack(stack_name: str, template: Path = TEMPLATE) -> Stack:
    """The expanded template, as a Stack whose resolver knows the stack's name, account and region."""
    doc = expanded(template)
    params = {k: str(v.get("Default", "")) for k, v in (doc.get("Parameters") or {}).items()}
    return Stack(stack_name, doc, params, root=template.resolve().parent)


def function_roles(stack_name: str, template: Path = TEMPLATE) -> dict[str, list[Statement]]:
    """Every function's (template logical id) role: its statements, inline and managed, resolved."""
    resolved = stack(stack_name, template)
    roles: dict[str, list[Statement]] = {}
    for logical_id, function in resolved.of_type("AWS::Lambda::Function").items():
        role_id = function["Properties"]["Role"]["Fn::GetAtt"][0]
        props = resolved.resources[role_id]["Properties"]
        statements: list[Statement] = []
        for policy in props.get("Policies", []):
            document = resolved.resolve(policy["PolicyDocument"])
            for statement in _statements(document):
                for key in ("Resource", "NotResource"):
                    if _unresolved(statement.get(key)):
                        raise ValueError(f"{role_id}: a resource left unresolved: {statement[key]}")
                statements.append(Statement(policy["PolicyName"], statement.get("Sid", ""), statement))
        for arn in resolved.resolve(props.get("ManagedPolicyArns", [])):
            for statement in _statements(managed_policy(arn)):
                statements.append(Statement(arn, statement.get("Sid", ""), statement))
        roles[logical_id] = statements
    return roles


def resource_policies(stack_name: str, template: Path = TEMPLATE) -> dict[str, list[dict[str, Any]]]:
    """The queues' resource policies (AWS::SQS::QueuePolicy), by queue ARN, resolved."""
    resolved = stack(stack_name, template)
    policies: dict[str, list[dict[str, Any]]] = {}
    for resource in resolved.of_type("AWS::SQS::QueuePolicy").values():
        props = resource["Properties"]
        document = resolved.resolve(props["PolicyDocument"])
        for queue in props["Queues"]:
            logical_id = queue["Ref"]
            arn = resolved.resolve({"Fn::GetAtt": [logical_id, "Arn"]})
            policies.setdefault(arn, []).extend(_statements(document))
    return policies

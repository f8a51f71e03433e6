"""Read template.yaml into what the local stack and the tests need: resources, functions, routes, event sources.

Intrinsic functions are resolved the way CloudFormation would for the few forms the template uses
(!Ref, !Sub, !GetAtt), with physical names made from the stack name. Nothing here lists a resource or a
route: everything comes from the template, so local and cloud cannot drift.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template.yaml"
REGION = "us-east-1"
ACCOUNT = "123456789012"


class _CfnLoader(yaml.SafeLoader):
    """A YAML loader that keeps CloudFormation's short-form tags as {'Fn::X': ...} / {'Ref': ...}."""


def _tag(name: str) -> Any:
    key = "Ref" if name == "Ref" else f"Fn::{name}"

    def construct(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
        if isinstance(node, yaml.ScalarNode):
            value: Any = loader.construct_scalar(node)
            if name == "GetAtt":
                value = str(value).split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
        return {key: value}

    return construct


for _name in (
    "Ref",
    "Sub",
    "GetAtt",
    "Join",
    "If",
    "Equals",
    "Select",
    "Split",
    "ImportValue",
    "FindInMap",
    "Not",
):
    _CfnLoader.add_constructor(f"!{_name}", _tag(_name))


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    function: str


@dataclass(frozen=True)
class QueueSource:
    queue: str
    function: str
    batch_size: int
    report_failures: bool
    batching_window: int = 0  # MaximumBatchingWindowInSeconds: how long a batch may wait to fill
    maximum_concurrency: int | None = None  # ScalingConfig.MaximumConcurrency: batches of this source at once


@dataclass(frozen=True)
class Schedule:
    function: str
    expression: str


@dataclass
class Function:
    logical_id: str
    handler: str
    environment: dict[str, str]
    timeout: int
    name: str = ""  # FunctionName as deployed (the context's function_name)
    memory: int = 128
    reserved_concurrency: int | None = None  # ReservedConcurrentExecutions: at most this many at once


@dataclass
class Stack:
    """The template, resolved for one stack name."""

    name: str
    doc: dict[str, Any]
    parameters: dict[str, str]
    routes: list[Route] = field(default_factory=list)
    queue_sources: list[QueueSource] = field(default_factory=list)
    schedules: list[Schedule] = field(default_factory=list)
    functions: dict[str, Function] = field(default_factory=dict)
    root: Path = ROOT  # the template's directory: CodeUri and ContentUri are relative to it, as for SAM

    def code_paths(self) -> list[tuple[str, Path]]:
        """Where Lambda would find each function's code: its CodeUri, then its layers' ContentUri.

        Every function runs in this one process here, so the union, functions' code first as in Lambda
        (/var/task before /opt/python). Each path comes with the resource that names it, for error messages."""
        globals_fn = (self.doc.get("Globals") or {}).get("Function", {})
        code: dict[Path, str] = {}
        layers: dict[Path, str] = {}
        for logical_id, function in self.of_type("AWS::Serverless::Function").items():
            props = function.get("Properties") or {}
            uri = props.get("CodeUri", globals_fn.get("CodeUri"))
            if isinstance(uri, str):  # an s3:// location or a mapping is not local code
                code.setdefault((self.root / uri).resolve(), logical_id)
            for layer in [*(globals_fn.get("Layers") or []), *(props.get("Layers") or [])]:  # SAM appends them
                layer_id = layer.get("Ref") if isinstance(layer, dict) else None
                content = (self.resources.get(layer_id or "", {}).get("Properties") or {}).get("ContentUri")
                if isinstance(content, str):
                    layers.setdefault((self.root / content).resolve(), str(layer_id))
        return [(owner, path) for path, owner in (*code.items(), *layers.items())]

    @property
    def resources(self) -> dict[str, Any]:
        return dict(self.doc.get("Resources", {}))

    def of_type(self, type_name: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.resources.items() if v.get("Type") == type_name}

    # -- intrinsic functions ---------------------------------------------------------------------------------
    def physical_name(self, logical_id: str) -> str:
        resource = self.resources[logical_id]
        props = resource.get("Properties", {}) or {}
        for key in ("TableName", "QueueName", "BucketName", "FunctionName"):
            if key in props:
                return str(self.resolve(props[key]))
        if resource.get("Type") == "AWS::Events::EventBus":
            return str(self.resolve(props["Name"]))
        return f"{self.name}-{logical_id}"

    def queue_url(self, logical_id: str, endpoint: str) -> str:
        return f"{endpoint.rstrip('/')}/{ACCOUNT}/{self.physical_name(logical_id)}"

    def resolve(self, value: Any, endpoint: str = "http://127.0.0.1:5000") -> Any:
        if isinstance(value, list):
            return [self.resolve(v, endpoint) for v in value]
        if not isinstance(value, dict):
            return value
        if set(value) == {"Ref"}:
            return self._ref(value["Ref"], endpoint)
        if set(value) == {"Fn::Sub"}:
            template = value["Fn::Sub"]
            extra: dict[str, Any] = {}
            if isinstance(template, list):
                template, extra = template[0], {k: self.resolve(v, endpoint) for k, v in template[1].items()}
            return re.sub(
                r"\$\{([^}]+)\}",
                lambda m: str(extra[m.group(1)] if m.group(1) in extra else self._sub_var(m.group(1), endpoint)),
                template,
            )
        if set(value) == {"Fn::GetAtt"}:
            logical_id, attribute = value["Fn::GetAtt"]
            return self._get_att(logical_id, attribute, endpoint)
        if set(value) == {"Fn::If"}:
            condition, when_true, when_false = value["Fn::If"]
            return self.resolve(when_true if self.condition(condition) else when_false, endpoint)
        return {k: self.resolve(v, endpoint) for k, v in value.items()}

    def condition(self, name: str) -> bool:
        """A condition of the template's Conditions, for this stack's parameters."""
        return self._truth((self.doc.get("Conditions") or {})[name])

    def _truth(self, value: Any) -> bool:
        if isinstance(value, dict) and set(value) == {"Condition"}:
            return self.condition(value["Condition"])
        if isinstance(value, dict) and set(value) == {"Fn::Not"}:
            return not self._truth(value["Fn::Not"][0])
        if isinstance(value, dict) and set(value) == {"Fn::Equals"}:
            left, right = (self.resolve(v) for v in value["Fn::Equals"])
            return bool(str(left) == str(right))
        raise ValueError(f"condition not understood here: {value!r}")

    def _sub_var(self, name: str, endpoint: str) -> Any:
        if "." in name:
            logical_id, attribute = name.split(".", 1)
            return self._get_att(logical_id, attribute, endpoint)
        return self._ref(name, endpoint)

    def _ref(self, name: str, endpoint: str) -> Any:
        pseudo = {
            "AWS::StackName": self.name,
            "AWS::Region": REGION,
            "AWS::AccountId": ACCOUNT,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
        }
        if name in pseudo:
            return pseudo[name]
        if name in self.parameters:
            return self.parameters[name]
        resource = self.resources[name]
        if resource["Type"] == "AWS::SQS::Queue":
            return self.queue_url(name, endpoint)
        return self.physical_name(name)

    def _get_att(self, logical_id: str, attribute: str, endpoint: str) -> Any:
        resource = self.resources[logical_id]
        kind = resource["Type"]
        name = self.physical_name(logical_id)
        if attribute == "Arn" and kind == "AWS::Events::EventBus":
            return f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/{name}"
        if attribute == "Arn" and kind == "AWS::Events::Rule":
            bus = self.resolve(resource["Properties"].get("EventBusName", "default"))
            return f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{bus}/{name}"
        if attribute == "Arn":
            service = {
                "AWS::SQS::Queue": "sqs",
                "AWS::DynamoDB::Table": "dynamodb",
                "AWS::S3::Bucket": "s3",
            }.get(kind, "lambda")
            if service == "sqs":
                return f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"
            if service == "dynamodb":
                return f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}"
            if service == "s3":
                return f"arn:aws:s3:::{name}"
            return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"
        if attribute == "QueueUrl":
            return self.queue_url(logical_id, endpoint)
        if attribute == "QueueName":
            return name
        return name

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        """The template route serving `method path`, and its path parameters (one segment each)."""
        parts = path.rstrip("/").split("/") if path != "/" else [""]
        for route in self.routes:
            if route.method != method.upper():
                continue
            pattern = route.path.rstrip("/").split("/")
            if len(pattern) != len(parts):
                continue
            params: dict[str, str] = {}
            for want, got in zip(pattern, parts, strict=True):
                if want.startswith("{") and want.endswith("}"):
                    if not got:
                        break
                    params[want[1:-1]] = got
                elif want != got:
                    break
            else:
                return route, params
        return None

    # -- what the local stack needs --------------------------------------------------------------------------
    def function_environment(self, logical_id: str, endpoint: str = "http://127.0.0.1:5000") -> dict[str, str]:
        """One function's own variables (Globals' and its own), resolved: what Lambda sets for it."""
        resolved = self.resolve(self.functions[logical_id].environment, endpoint)
        return {key: str(value) for key, value in resolved.items()}

    def environment(self, endpoint: str = "http://127.0.0.1:5000") -> dict[str, str]:
        """The union of every function's environment; two functions may not disagree on one variable."""
        merged: dict[str, str] = {}
        for function in self.functions.values():
            for key, value in self.resolve(function.environment, endpoint).items():
                if key in merged and merged[key] != str(value):
                    raise ValueError(f"functions disagree on {key}: {merged[key]!r} vs {value!r}")
                merged[key] = str(value)
        return merged


def load(path: Path = TEMPLATE, stack_name: str = "connectability-local", **parameters: str) -> Stack:
    with path.open() as fh:
        doc = yaml.load(fh, Loader=_CfnLoader)  # noqa: S506 - SafeLoader subclass with CloudFormation tags
    params = {k: str(v.get("Default", "")) for k, v in (doc.get("Parameters") or {}).items()}
    params.update(parameters)
    stack = Stack(stack_name, doc, params, root=path.resolve().parent)
    globals_fn = (doc.get("Globals") or {}).get("Function", {})
    global_env = (globals_fn.get("Environment") or {}).get("Variables", {})
    for logical_id, resource in stack.of_type("AWS::Serverless::Function").items():
        props = resource.get("Properties", {})
        env = {**global_env, **((props.get("Environment") or {}).get("Variables", {}))}
        reserved = props.get("ReservedConcurrentExecutions", globals_fn.get("ReservedConcurrentExecutions"))
        stack.functions[logical_id] = Function(
            logical_id,
            props["Handler"],
            env,
            int(props.get("Timeout", globals_fn.get("Timeout", 3))),
            name=stack.physical_name(logical_id),
            memory=int(props.get("MemorySize", globals_fn.get("MemorySize", 128))),
            reserved_concurrency=None if reserved is None else int(stack.resolve(reserved)),
        )
        for event in (props.get("Events") or {}).values():
            ep = event.get("Properties", {})
            if event["Type"] == "Api":
                stack.routes.append(Route(ep["Method"].upper(), ep["Path"], logical_id))
            elif event["Type"] == "SQS":
                queue = ep["Queue"]
                queue_id = queue["Fn::GetAtt"][0] if isinstance(queue, dict) else queue
                most = (ep.get("ScalingConfig") or {}).get("MaximumConcurrency")
                stack.queue_sources.append(
                    QueueSource(
                        queue_id,
                        logical_id,
                        int(ep.get("BatchSize", 10)),
                        "ReportBatchItemFailures" in (ep.get("FunctionResponseTypes") or []),
                        int(ep.get("MaximumBatchingWindowInSeconds", 0)),
                        None if most is None else int(most),
                    )
                )
            elif event["Type"] == "Schedule":
                stack.schedules.append(Schedule(logical_id, str(ep.get("Schedule", ""))))
    return stack


def create_resources(stack: Stack, endpoint: str | None = None) -> None:
    """Create every table, queue and bucket of the template in whatever AWS boto3 reaches (moto here)."""
    import boto3

    kwargs: dict[str, Any] = {"region_name": REGION}
    if endpoint:
        kwargs["endpoint_url"] = endpoint
    dynamodb = boto3.client("dynamodb", **kwargs)
    sqs: Any = boto3.client("sqs", **kwargs)
    s3 = boto3.client("s3", **kwargs)
    for logical_id, resource in stack.of_type("AWS::DynamoDB::Table").items():
        props = stack.resolve(resource["Properties"], endpoint or "")
        spec = {k: props[k] for k in ("AttributeDefinitions", "KeySchema", "GlobalSecondaryIndexes") if k in props}
        dynamodb.create_table(TableName=stack.physical_name(logical_id), BillingMode="PAY_PER_REQUEST", **spec)
        if "TimeToLiveSpecification" in props:
            dynamodb.update_time_to_live(
                TableName=stack.physical_name(logical_id),
                TimeToLiveSpecification=props["TimeToLiveSpecification"],
            )
    queues = stack.of_type("AWS::SQS::Queue")
    # Dead-letter queues first: a queue's redrive policy names its DLQ's ARN.
    ordered = sorted(queues, key=lambda q: "RedrivePolicy" in (queues[q].get("Properties") or {}))
    for logical_id in ordered:
        props = stack.resolve(queues[logical_id].get("Properties") or {}, endpoint or "")
        attributes: dict[str, Any] = {}
        for key in (
            "VisibilityTimeout",
            "MessageRetentionPeriod",
            "DelaySeconds",
            "ReceiveMessageWaitTimeSeconds",
        ):
            if key in props:
                attributes[key] = str(props[key])
        if "RedrivePolicy" in props:
            import json

            attributes["RedrivePolicy"] = json.dumps(props["RedrivePolicy"])
        sqs.create_queue(QueueName=stack.physical_name(logical_id), Attributes=attributes)
    for logical_id in stack.of_type("AWS::S3::Bucket"):
        s3.create_bucket(Bucket=stack.physical_name(logical_id))
    _create_buses(stack, kwargs)
    ses = boto3.client("ses", **kwargs)
    for identity in stack.of_type("AWS::SES::EmailIdentity").values():
        ses.verify_email_identity(EmailAddress=str(stack.resolve(identity["Properties"]["EmailIdentity"])))


def _create_buses(stack: Stack, kwargs: dict[str, Any]) -> None:
    """Event buses and their rules to SQS queues (moto delivers a matching event to the queue, as EventBridge)."""
    import json

    import boto3

    events = boto3.client("events", **kwargs)
    for logical_id in stack.of_type("AWS::Events::EventBus"):
        events.create_event_bus(Name=stack.physical_name(logical_id))
    for logical_id, rule in stack.of_type("AWS::Events::Rule").items():
        props = stack.resolve(rule["Properties"], kwargs.get("endpoint_url") or "")
        if "EventPattern" not in props:
            continue  # schedules run as the local stack's own timers
        bus = props.get("EventBusName", "default")
        name = stack.physical_name(logical_id)
        events.put_rule(Name=name, EventBusName=bus, EventPattern=json.dumps(props["EventPattern"]))
        targets = [{"Id": t["Id"], "Arn": t["Arn"]} for t in props.get("Targets", [])]
        events.put_targets(Rule=name, EventBusName=bus, Targets=targets)

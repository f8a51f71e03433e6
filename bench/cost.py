"""`make cost`: dollars a month for a stated workload, from what each operation was measured to ask of AWS.

Each operation of the workload runs on moto in-process, through the handlers the template wires (the
integration tests' harness): a sheet published upstream (upload URL, the PUT, its revision, its thumbnail,
the publish), its copies into the connected downstream projects with their mails, a downstream review publish,
a register view, a download, an hourly reconcile of a connection, an idle minute of the outbox relay. For
every function invocation it counts the AWS calls, DynamoDB's request units (from the items' sizes, as
DynamoDB charges them), S3's requests and bytes, SQS's requests (the sends, and the poller's receive and delete
per batch), SES's mails and the bytes logged; and the function's own CPU time (moto's time taken out). Lambda
time is that CPU time scaled to the function's share of a vCPU, plus an assumed AWS latency per call. Those
per-operation figures times the workload's counts times AWS's prices (bench/prices.py) make the monthly table.
Every assumption is printed with the table.
"""

from __future__ import annotations

import contextvars
import io
import logging
import math
import os
import sys
import time
import warnings
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass, field
from typing import Any

from bench.calls import Call, wrapped_calls
from bench.prices import READ_ON, REGION, price


@dataclass(frozen=True)
class Workload:
    companies: int = 50
    projects: int = 500
    sheets_per_month: int = 20_000
    downstreams_per_sheet: int = 3
    active_users: int = 200
    working_days: int = 21
    register_views_per_user_day: int = 10
    downloads_per_user_day: int = 5
    sheet_mb: float = 2.0  # a CAD export of one sheet; the benches' generated sheets are smaller
    connections: int = 375  # 125 upstream projects with 3 downstream projects each
    months_kept: int = 12  # storage after a year of the workload (versioned buckets keep every sheet)


# Assumptions of the Lambda time model; printed with the table.
LATENCY_MS = {"dynamodb": 6.0, "sqs": 10.0, "s3": 25.0, "ses": 40.0}  # one call's round trip, AWS in-region
COPY_MS_PER_MB = 20.0  # a server-side CopyObject, besides its round trip
VCPU_MB = 1769  # Lambda gives a function one vCPU at 1,769 MB, a share in proportion below
PLATFORM_LOG_BYTES = 350  # START, END and REPORT lines per invocation
POLLERS_PER_QUEUE = 5  # Lambda's SQS pollers, each a 20-second long poll when the queue is idle
COLD_STARTS_PER_FUNCTION_MONTH = 840  # one every 15 minutes of a 10-hour working day, 21 days
INIT_SECONDS = 1.0  # a cold start's init, billed since 2025 (bench.cold: 0.2-0.34 s of CPU here, at a vCPU share)
METRICS, DASHBOARDS, KMS_KEYS = 8, 1, 1
XRAY_SAMPLED = 0.05  # X-Ray's default rule: the first request each second, then 5 %


@dataclass
class Invocation:
    function: str
    memory_mb: int
    own_seconds: float = 0.0
    latency_seconds: float = 0.0
    calls: Counter[str] = field(default_factory=Counter)
    read_units: float = 0.0
    write_units: float = 0.0
    s3_put: int = 0
    s3_get: int = 0
    sqs: int = 0
    mails: int = 0
    logged: int = PLATFORM_LOG_BYTES
    stored: Counter[str] = field(default_factory=Counter)  # bytes written to S3, by key prefix

    @property
    def billed_seconds(self) -> float:
        return self.own_seconds * max(1.0, VCPU_MB / self.memory_mb) + self.latency_seconds


CURRENT: contextvars.ContextVar[Invocation | None] = contextvars.ContextVar("cost_invocation", default=None)


# -- DynamoDB's request units, from the items' sizes -------------------------------------------------------------
def _value_size(value: dict[str, Any]) -> int:
    ((kind, v),) = value.items()
    if kind in ("S", "B"):
        return len(v.encode() if isinstance(v, str) else v)
    if kind == "N":
        return len(str(v)) // 2 + 1
    if kind in ("SS", "NS", "BS"):
        return sum(_value_size({kind[0]: x}) for x in v)
    if kind == "L":
        return 3 + sum(_value_size(x) + 1 for x in v)
    if kind == "M":
        return 3 + item_size(v)
    return 1  # BOOL, NULL


def item_size(item: dict[str, Any]) -> int:
    return sum(len(name.encode()) + _value_size(value) for name, value in item.items())


def _indexes_written(item: dict[str, Any] | None, expression: str = "") -> int:
    """Global secondary indexes an item's write also writes (this table's: gsi1..gsi3, keys gsiNpk)."""
    return sum(1 for n in (1, 2, 3) if (item and f"gsi{n}pk" in item) or f"gsi{n}" in expression)


def _write_units(operation: str, params: dict[str, Any]) -> float:
    if operation == "PutItem":
        item = params["Item"]
        return math.ceil(item_size(item) / 1024) * (1 + _indexes_written(item))
    if operation in ("UpdateItem", "DeleteItem"):
        names = " ".join(params.get("ExpressionAttributeNames", {}).values()) + params.get("UpdateExpression", "")
        return 1.0 * (1 + _indexes_written(None, names))
    if operation == "BatchWriteItem":
        units = 0.0
        for requests in params["RequestItems"].values():
            for request in requests:
                item = request.get("PutRequest", {}).get("Item")
                units += (math.ceil(item_size(item) / 1024) if item else 1) * (1 + _indexes_written(item))
        return units
    if operation == "TransactWriteItems":  # every item of a transaction costs twice
        units = 0.0
        for entry in params["TransactItems"]:
            ((_kind, body),) = entry.items()
            item = body.get("Item")
            size = math.ceil(item_size(item) / 1024) if item else 1
            units += (
                2 * size * (1 + _indexes_written(item, " ".join(body.get("ExpressionAttributeNames", {}).values())))
            )
        return units
    return 0.0


def _read_units(operation: str, params: dict[str, Any], answer: dict[str, Any]) -> float:
    half = 1.0 if params.get("ConsistentRead") else 0.5
    if operation == "GetItem":
        return math.ceil(max(1, item_size(answer.get("Item", {}))) / 4096) * half
    if operation in ("Query", "Scan"):
        total = sum(item_size(i) for i in answer.get("Items", []))
        return max(1, math.ceil(total / 4096)) * half
    if operation == "BatchGetItem":
        items = [i for found in answer.get("Responses", {}).values() for i in found]
        return sum(math.ceil(max(1, item_size(i)) / 4096) * 0.5 for i in items) or 0.5
    if operation == "TransactGetItems":
        return 2.0 * len(params["TransactItems"])
    return 0.0


S3_PUT_CLASS = {
    "PutObject", "CopyObject", "CreateMultipartUpload", "UploadPart", "UploadPartCopy", "CompleteMultipartUpload",
    "ListObjectsV2", "ListObjectVersions", "PutObjectTagging", "CreateBucket", "PutBucketVersioning",
    "PutBucketEncryption", "PutPublicAccessBlock", "PutBucketLifecycleConfiguration", "PutBucketCors",
    "PutBucketNotificationConfiguration",
}  # fmt: skip


def _meter(real: Call) -> Call:
    def metered(client: Any, operation: str, params: dict[str, Any]) -> Any:
        invocation = CURRENT.get()
        if invocation is None:
            return real(client, operation, params)
        cpu = time.thread_time()
        try:
            answer = real(client, operation, params)
        finally:
            invocation.own_seconds -= time.thread_time() - cpu  # moto's work is AWS's, not the function's
        service = client.meta.service_model.service_name
        invocation.calls[f"{service}:{operation}"] += 1
        invocation.latency_seconds += LATENCY_MS.get(service, 10.0) / 1000
        if service == "dynamodb":
            invocation.write_units += _write_units(operation, params)
            invocation.read_units += _read_units(operation, params, answer)
        elif service == "s3":
            if operation in S3_PUT_CLASS:
                invocation.s3_put += 1
            elif operation != "DeleteObject":
                invocation.s3_get += 1
            if operation == "PutObject":
                body = params.get("Body", b"")
                invocation.stored[params["Key"].split("/", 1)[0]] += len(body) if isinstance(body, bytes) else 0
            if operation == "CopyObject":
                invocation.latency_seconds += COPY_MS_PER_MB * Workload().sheet_mb / 1000
        elif service == "sqs":
            entries = params.get("Entries") or [params]
            payload = sum(len(str(e.get("MessageBody", ""))) for e in entries)
            invocation.sqs += max(1, math.ceil(payload / 65536))
        elif service == "ses":
            invocation.mails += 1
        return answer

    return metered


class _CountingStream(io.TextIOBase):
    def write(self, text: str) -> int:
        invocation = CURRENT.get()
        if invocation is not None:
            invocation.logged += len(text.encode())
        return len(text)


@dataclass
class Meter:
    """Every invocation, under the operation of the workload it was part of."""

    memory: dict[str, int]
    operation: str = ""
    invocations: dict[str, list[Invocation]] = field(default_factory=lambda: defaultdict(list))

    def wrap(
        self, function: str, handler: Callable[[dict[str, Any], Any], Any]
    ) -> Callable[[dict[str, Any], Any], Any]:
        def run(event: dict[str, Any], context: Any) -> Any:
            invocation = Invocation(function, self.memory[function])
            self.invocations[self.operation].append(invocation)
            token = CURRENT.set(invocation)
            cpu = time.thread_time()
            printed = io.StringIO()
            try:
                with redirect_stdout(printed):  # metrics (EMF) lines go to stdout
                    return handler(event, context)
            finally:
                invocation.own_seconds += time.thread_time() - cpu
                invocation.logged += len(printed.getvalue().encode())
                CURRENT.reset(token)

        return run

    @contextmanager
    def during(self, operation: str) -> Iterator[None]:
        self.operation = operation
        try:
            yield
        finally:
            self.operation = ""


# -- the operations ----------------------------------------------------------------------------------------------
SHEETS = 10  # sheets published at once, per measured publish


def measure() -> tuple[dict[str, list[Invocation]], dict[str, int]]:
    """Runs each operation on a fresh moto account; answers the invocations per operation and the counts the
    operations were run with (sheets, copies, ...)."""
    from local.world import set_environment

    set_environment()  # the environment every function reads
    os.environ.update(
        {"POWERTOOLS_LOG_LEVEL": "INFO", "POWERTOOLS_METRICS_DISABLED": "false", "SYNC_DIGEST_QUIET_SECONDS": "1"}
    )
    from moto import mock_aws

    from connectability.aws import reset_clients
    from connectability.config import get_settings
    from local.acting import follow_threads
    from local.drawing_pdf import drawing_pdf
    from local.events import LambdaContext
    from local.pollers import scheduled_event
    from local.template import create_resources, load
    from local.world import Api, Builder, DrawingsWorld, Pipeline, Queues

    follow_threads()
    get_settings.cache_clear()
    reset_clients()
    stack = load()
    globals_memory = int(stack.doc["Globals"]["Function"].get("MemorySize", 128))
    memory = {
        name: int(stack.resources[name]["Properties"].get("MemorySize", globals_memory)) for name in stack.functions
    }
    meter = Meter(memory)

    class MeteredApi(Api):
        def handler(self, function: str) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
            handler = super().handler(function)
            for log_handler in logging.getLogger(os.environ["POWERTOOLS_SERVICE_NAME"]).handlers:
                if isinstance(log_handler, logging.StreamHandler):  # the functions' one Logger, imported by now
                    log_handler.setStream(_CountingStream())
            return meter.wrap(function, handler)

    counts: dict[str, int] = {}
    with mock_aws(), wrapped_calls(_meter):
        create_resources(stack)
        api = MeteredApi(stack)
        queues = Queues(stack, api)
        pipeline = Pipeline(queues)
        build = Builder(api)
        apex = build.company("Apex", "a-admin")
        build.user(apex, "a-cm")
        build.user(apex, "req")
        up = build.project(apex, "Tower", "a-admin")
        build.member(up, "a-cm", "a-admin", cm="admin", drawings="admin")
        build.member(up, "req", "a-admin", drawings="read_only")
        downs = []
        for n in range(Workload.downstreams_per_sheet):
            volt = build.company(f"Trade {n}", f"v{n}-admin", connected_drawings_beta=True)
            build.user(volt, "req")
            build.user(volt, f"v{n}-viewer")
            down = build.project(volt, f"Tower trade {n}", f"v{n}-admin")
            build.member(down, "req", f"v{n}-admin", cm="admin", drawings="admin")
            build.member(down, f"v{n}-viewer", f"v{n}-admin", drawings="read_only")
            asked = api("POST", f"/projects/{down}/connections", "req", {"upstream_project_id": up})
            api("POST", f"/connections/{asked.body['id']}/approve", "a-cm")
            downs.append(down)
        pipeline.run()
        queues.drain("ThumbnailsQueue")
        world = DrawingsWorld(api, apex, up, uploader="a-cm", admin="a-cm")
        pdf = drawing_pdf("A-100", "Ground floor plan", size="A1")
        counts["sheet_bytes_measured"] = len(pdf)

        with meter.during("publish upstream"):
            made = [world.revision(f"A-{n:03d}", data=pdf).body for n in range(SHEETS)]
            queues.drain("ThumbnailsQueue", rounds=SHEETS)
            world.publish(*[r["id"] for r in made])
        counts["publish upstream"] = SHEETS
        with meter.during("copy downstream"):
            pipeline.run(timeout=60)
        counts["copy downstream"] = SHEETS * len(downs)
        with meter.during("review publish downstream"):
            for down in downs:
                api("POST", f"/projects/{down}/connected-drawings/publish", "req", {"all": True})
            pipeline.run(timeout=60)
        counts["review publish downstream"] = SHEETS * len(downs)
        with meter.during("register view"):
            api("GET", f"/projects/{downs[0]}/drawings", "v0-viewer")
        counts["register view"] = 1
        with meter.during("download"):
            register = api("GET", f"/projects/{downs[0]}/drawings", "v0-viewer").body["items"]
            meter.invocations["download"].clear()
            revision = register[0]["current_revision"]["id"]
            api("GET", f"/projects/{downs[0]}/drawing-revisions/{revision}/file", "v0-viewer")
        counts["download"] = 1
        with meter.during("reconcile"):
            reconcile = api.handler("ReconcileFunction")
            reconcile(scheduled_event("ReconcileFunction"), LambdaContext("ReconcileFunction"))
            pipeline.run(timeout=60)
        counts["reconcile"] = len(downs)  # connections reconciled, each of SHEETS revisions
        with meter.during("outbox relay"):
            relay = api.handler("OutboxRelayFunction")
            relay(scheduled_event("OutboxRelayFunction"), LambdaContext("OutboxRelayFunction"))
        counts["outbox relay"] = 1
    reset_clients()
    get_settings.cache_clear()
    return {op: found for op, found in meter.invocations.items() if op}, counts  # "": the setup


# -- the month ---------------------------------------------------------------------------------------------------
@dataclass
class Bill:
    lines: dict[str, float] = field(default_factory=lambda: defaultdict(float))

    def add(self, service: str, dollars: float) -> None:
        self.lines[service] += dollars

    @property
    def total(self) -> float:
        return sum(self.lines.values())


@dataclass
class Unit:
    """One unit of an operation (one sheet, one copy, one view): the means of its invocations."""

    invocations: float = 0.0
    gb_seconds: float = 0.0
    calls: float = 0.0
    read_units: float = 0.0
    write_units: float = 0.0
    s3_put: float = 0.0
    s3_get: float = 0.0
    sqs: float = 0.0
    mails: float = 0.0
    logged: float = 0.0
    stored: dict[str, float] = field(default_factory=dict)

    @classmethod
    def of(cls, invocations: list[Invocation], count: int) -> Unit:
        unit = cls(invocations=len(invocations) / count)
        stored: Counter[str] = Counter()
        for i in invocations:
            unit.gb_seconds += i.billed_seconds * i.memory_mb / 1024 / count
            unit.calls += sum(i.calls.values()) / count
            unit.read_units += i.read_units / count
            unit.write_units += i.write_units / count
            unit.s3_put += i.s3_put / count
            unit.s3_get += i.s3_get / count
            unit.sqs += i.sqs / count
            unit.mails += i.mails / count
            unit.logged += i.logged / count
            stored += i.stored
        unit.stored = {k: v / count for k, v in stored.items()}
        return unit

    def dollars(self) -> float:
        return (
            self.invocations * price("lambda_request")
            + self.gb_seconds * price("lambda_gb_second_arm64")
            + self.read_units * price("dynamodb_read_unit")
            + self.write_units * price("dynamodb_write_unit")
            + self.s3_put * price("s3_put_request")
            + self.s3_get * price("s3_get_request")
            + self.sqs * price("sqs_request")
            + self.mails * price("ses_mail")
            + self.logged / 1e9 * price("logs_ingest_gb")
        )


def month(
    invocations: dict[str, list[Invocation]], counts: dict[str, int], w: Workload
) -> tuple[Bill, dict[str, float]]:
    units = {op: Unit.of(found, counts[op]) for op, found in invocations.items() if found}
    api_ops = {"publish upstream": 3, "review publish downstream": 1 / 10, "register view": 1, "download": 1}
    user_days = w.active_users * w.working_days
    monthly = {
        "publish upstream": w.sheets_per_month,
        "copy downstream": w.sheets_per_month * w.downstreams_per_sheet,
        "review publish downstream": w.sheets_per_month * w.downstreams_per_sheet,
        "register view": user_days * w.register_views_per_user_day,
        "download": user_days * w.downloads_per_user_day,
        "reconcile": w.connections * 24 * 30,
        "outbox relay": 60 * 24 * 30,
    }
    bill = Bill()
    for op, unit in units.items():
        n = reads = float(monthly[op])
        if op == "reconcile":
            # Measured per connection of SHEETS revisions. Its reads grow with the upstream's revisions; its
            # messages and invocations with its pages of 100 (one page here).
            revisions = w.sheets_per_month * w.months_kept / (w.connections / w.downstreams_per_sheet)
            reads, n = n * revisions / SHEETS, n * math.ceil(revisions / 100)
        bill.add("Lambda requests", unit.invocations * n * price("lambda_request"))
        bill.add("Lambda GB-seconds (arm64)", unit.gb_seconds * reads * price("lambda_gb_second_arm64"))
        bill.add("DynamoDB reads", reads * unit.read_units * price("dynamodb_read_unit"))
        bill.add("DynamoDB writes", n * unit.write_units * price("dynamodb_write_unit"))
        bill.add("S3 requests", n * (unit.s3_put * price("s3_put_request") + unit.s3_get * price("s3_get_request")))
        bill.add("SQS requests", n * unit.sqs * price("sqs_request"))
        bill.add("SES mails", n * unit.mails * price("ses_mail"))
        bill.add("CloudWatch Logs", n * unit.logged / 1e9 * price("logs_ingest_gb"))
        bill.add("API Gateway requests", n * api_ops.get(op, 0) * price("api_request"))
        bill.add("X-Ray traces", n * (api_ops.get(op, 0) or 0.2) * XRAY_SAMPLED * price("xray_trace"))
    # What the operations do not show: the client's PUT and GETs of files, S3 events, pollers, storage, fixed costs.
    sheet_gb = w.sheet_mb / 1024
    bill.add("S3 requests", w.sheets_per_month * price("s3_put_request"))  # the upload's PUT
    bill.add("S3 requests", user_days * w.downloads_per_user_day * price("s3_get_request"))
    bill.add(
        "S3 transfer out (downloads)",
        max(0.0, user_days * w.downloads_per_user_day * sheet_gb - 100) * price("s3_transfer_out_gb"),
    )
    bill.add("SQS requests", w.sheets_per_month * 2 * price("sqs_request"))  # S3's events: the upload, the manifest
    held = counted()
    idle_polls = POLLERS_PER_QUEUE * held.polled_queues * 3 * 60 * 24 * 30
    bill.add("SQS requests", idle_polls * price("sqs_request"))
    stored = w.sheets_per_month * w.months_kept * (1 + w.downstreams_per_sheet)
    thumbnail = units["publish upstream"].stored.get("thumbnails", 0) / 1e9
    bill.add("S3 storage", stored * (sheet_gb + thumbnail) * price("s3_storage_gb"))
    table_gb = stored * 4 * 1024 / 1e9  # about 4 KB of items per revision (revision, drawing, number, counters)
    bill.add("DynamoDB storage and backup", table_gb * (price("dynamodb_storage_gb") + price("dynamodb_pitr_gb")))
    bill.add(
        "Lambda GB-seconds (arm64)",
        held.functions * COLD_STARTS_PER_FUNCTION_MONTH * INIT_SECONDS * 0.5 * price("lambda_gb_second_arm64"),
    )
    bill.add(
        "CloudWatch alarms, metrics, dashboard",
        held.alarms * price("alarm") + METRICS * price("metric") + DASHBOARDS * price("dashboard"),
    )
    bill.add("KMS (the alarm topic's key)", KMS_KEYS * price("kms_key"))
    console_loads = user_days * 2
    bill.add(
        "CloudFront (the console)",
        console_loads * (0.5 / 1024 * price("cloudfront_gb") + 12 * price("cloudfront_request")),
    )
    per_copy = {
        "copy": units["copy downstream"].dollars(),
        "upstream share": units["publish upstream"].dollars() / w.downstreams_per_sheet,
        "review": units["review publish downstream"].dollars(),
    }
    return bill, per_copy


@dataclass(frozen=True)
class Counted:
    """What the template holds that bills by the month: functions, queues a function polls, alarms."""

    functions: int
    polled_queues: int
    alarms: int


def counted() -> Counted:
    """Counted from template.yaml, so a function, queue or alarm added there is in the bill."""
    from local.template import load

    stack = load()
    return Counted(
        functions=len(stack.functions),
        polled_queues=len({q.queue for q in stack.queue_sources}),
        alarms=len(stack.of_type("AWS::CloudWatch::Alarm")),
    )


def snapstart() -> tuple[float, float, float]:
    """What turning the template's SnapStart parameter on would add a month: every function's one published
    version cached all month, and a restore instead of an init per cold start (the init it replaces saved)."""
    from local.template import load

    stack = load()
    default = int(stack.doc["Globals"]["Function"].get("MemorySize", 128))
    gigabytes = [int(stack.resources[f]["Properties"].get("MemorySize", default)) / 1024 for f in stack.functions]
    cache = sum(gigabytes) * 30 * 24 * 3600 * price("lambda_snapstart_cache_gb_second")
    starts = COLD_STARTS_PER_FUNCTION_MONTH * sum(gigabytes)  # GB restored, or initialized for INIT_SECONDS
    return cache, starts * price("lambda_snapstart_restore_gb"), starts * INIT_SECONDS * price("lambda_gb_second_arm64")


def report(invocations: dict[str, list[Invocation]], counts: dict[str, int], w: Workload) -> list[str]:
    bill, per_copy = month(invocations, counts, w)
    lines = [
        f"Cost of a month in {REGION}: {w.companies} companies, {w.projects} projects, {w.active_users} active users, "
        f"{w.sheets_per_month:,} sheets published a month to {w.downstreams_per_sheet} downstream projects each",
        f"Prices: bench/prices.py, {READ_ON}",
        "",
        "  measured per unit (moto in-process)     invocations  AWS calls   DynamoDB RRU/WRU   S3 PUT/GET   SQS  mails",
    ]
    for op, found in invocations.items():
        if not found:
            continue
        u = Unit.of(found, counts[op])
        lines.append(
            f"  {op:<38} {u.invocations:11.2f} {u.calls:10.1f} {u.read_units:9.1f}/{u.write_units:<8.1f}"
            f" {u.s3_put:6.2f}/{u.s3_get:<5.2f} {u.sqs:5.2f} {u.mails:6.2f}"
        )
    lines += ["", f"  {'service':<42}{'$ a month':>12}"]
    for service, dollars in sorted(bill.lines.items(), key=lambda kv: -kv[1]):
        lines.append(f"  {service:<42}{dollars:12.2f}")
    lines.append(f"  {'total':<42}{bill.total:12.2f}")
    cache, restores, inits = snapstart()
    lines.append(
        f"  with SnapStart on (template.yaml's parameter; off by default): {cache + restores - inits:+.2f} a month = "
        f"snapshots cached {cache:.2f} + restores {restores:.2f} - the inits they replace {inits:.2f}"
    )
    copy_total = sum(per_copy.values())
    held = counted()
    lines += [
        "",
        f"  per copied sheet (one downstream): ${copy_total:.6f} = copy ${per_copy['copy']:.6f} + its share of the "
        f"upstream publish ${per_copy['upstream share']:.6f} + the downstream review publish ${per_copy['review']:.6f}"
        f" (${copy_total * 1000:.2f} per 1,000; storage and downloads apart)",
        "",
        "Assumptions:",
        f"  - a sheet is {w.sheet_mb} MB (the measured sheet was {counts['sheet_bytes_measured']:,} bytes: calls and "
        f"units do not depend on it); {w.months_kept} months of sheets stored, upstream and in every downstream bucket",
        f"  - each active user opens the register {w.register_views_per_user_day} times and downloads "
        f"{w.downloads_per_user_day} files a working day, {w.working_days} days a month; the console loads twice a day",
        f"  - {w.connections} connections reconciled every hour, each upstream holding the year's revisions "
        f"(measured on {SHEETS}: reads and Lambda time scaled in proportion, writes, messages and invocations per "
        "page of 100)",
        f"  - Lambda time = own CPU time x (1,769 MB / memory), plus a round trip per call: {LATENCY_MS} ms, and "
        f"{COPY_MS_PER_MB} ms per MB copied; {COLD_STARTS_PER_FUNCTION_MONTH} cold starts per function a month of "
        f"{INIT_SECONDS} s at 512 MB",
        "  - DynamoDB: writes 1 unit per KB (twice in a transaction), plus one per global index the item is in; reads "
        "half a unit per 4 KB (eventually consistent); updates and deletes taken as 1 KB",
        f"  - SQS: {POLLERS_PER_QUEUE} long-polling pollers per queue with a function ({held.polled_queues}), "
        "20 s each when idle; one S3 event per upload and per manifest",
        f"  - logs: what the functions print at INFO plus {PLATFORM_LOG_BYTES} bytes of Lambda's own lines per "
        f"invocation; X-Ray samples {XRAY_SAMPLED:.0%} of requests; {held.alarms} alarms, {METRICS} custom metrics, "
        f"{DASHBOARDS} dashboard, {KMS_KEYS} KMS key",
        "  - no free tier; data transfer out counts only file downloads (the first 100 GB a month are free)",
    ]
    return lines


def main() -> None:
    warnings.filterwarnings("ignore", "No application metrics to publish")
    invocations, counts = measure()
    print("\n".join(report(invocations, counts, Workload())))
    sys.stdout.flush()


if __name__ == "__main__":
    main()

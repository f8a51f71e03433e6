"""Initial-sync throughput against the floor, and how it scales (moto in-process, handlers invoked directly).

One upstream project holds REVISIONS published revisions; DOWNSTREAMS projects connect to it (request and approve
through the API, as users would) and their initial syncs run to completion. The sync functions get full
batches of their queues, as Lambda's poller gives them; only the handlers' own time is counted (the poller's
receives and deletes are Lambda's, not the function's). The floor is a bare loop in the same run on the same
moto doing only what a copy cannot do without: one CopyObject and one DynamoDB write per copied revision.

The revisions are seeded straight into the table (a published revision and its drawing, cloned; every clone
names the same uploaded file, which costs CopyObject no less): making 100,000 through the API would take hours
on moto and is not what is measured.

Two ratios, floor time / sync time, each from this one run:
  - on moto, as measured: what the emulator's work per call makes of it (a transaction of five items costs moto
    five writes' work, and moto's share of the functions' time is reported beside);
  - at HELD seconds per AWS call: each side's own time (our code, botocore, PynamoDB; moto's taken out) plus
    HELD per counted call, as a round trip inside a region would take. This is what carries over to AWS.
Memory: the peak of Python memory allocated within one invocation (tracemalloc, started with it), per function,
on every TRACE_EVERY-th invocation, whose time is then left out: the time is the other invocations' time per
message times all messages (tracing slows moto many times over). It includes what moto keeps of the writes.

    python -m bench.throughput --revisions 2000 --downstreams 5
    python -m bench.throughput --scale 2000 10000 100000     (one downstream each; 100,000 takes an hour)
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import tracemalloc
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from bench.calls import Call, operation_name, wrapped_calls

HELD = 0.008
TRACE_EVERY = 10  # invocations traced for memory: every 10th of each function (tracing slows moto many times)
UP_ADMIN, REQUESTER = "gc-pm", "sub-pm"
FANOUT, COPY = "SyncFanoutFunction", "SyncCopyFunction"
QUEUES = (("SyncEventsQueue", FANOUT), ("InitialSyncPagesQueue", FANOUT), ("CopyJobsQueue", COPY))
# One fan-out batch, then every copy job it queued: Lambda's pollers run side by side and copies keep up, so the
# copy queue holds a page or so, not the whole initial sync (moto's SQS walks its queue on every receive).
BATCHES_PER_TURN = {"SyncEventsQueue": 1, "InitialSyncPagesQueue": 1}


@dataclass
class Run:
    """What one function did over the whole initial sync."""

    seconds: float = 0.0
    moto_seconds: float = 0.0  # of which moto's own (the emulator's work, not the function's)
    invocations: int = 0
    calls: Counter[str] = field(default_factory=Counter)
    peak_bytes: int = 0
    moto_by_operation: dict[str, float] = field(default_factory=dict)  # seconds, in the timed invocations
    messages: int = 0
    timed_messages: int = 0  # in invocations not traced for memory (tracing is slow): the time figures' sample


@dataclass
class Measured:
    revisions: int
    downstreams: int
    seconds: float  # the sync functions' time, handlers only
    floor_seconds: float
    floor_moto_seconds: float
    runs: dict[str, Run]

    @property
    def copies(self) -> int:
        return self.revisions * self.downstreams

    @property
    def calls(self) -> int:
        return sum(sum(r.calls.values()) for r in self.runs.values())

    @property
    def moto_seconds(self) -> float:
        return sum(r.moto_seconds for r in self.runs.values())

    @property
    def ratio(self) -> float:
        """Floor time / sync time, as measured on moto."""
        return self.floor_seconds / self.seconds if self.seconds else 0.0

    def ratio_at(self, latency: float) -> float:
        """The same ratio with moto's own time taken out of both and `latency` added per AWS call instead:
        each side's measured own time (our code, botocore, PynamoDB) plus its counted calls' round trips."""
        ours = self.seconds - self.moto_seconds + self.calls * latency
        bare = self.floor_seconds - self.floor_moto_seconds + 2 * self.copies * latency
        return bare / ours


class World:
    """An upstream with `revisions` published revisions and `downstreams` projects ready to connect."""

    def __init__(self, revisions: int, downstreams: int) -> None:
        import boto3

        from local.template import create_resources, load
        from local.world import PDF, Api, Builder, DrawingsWorld

        self.stack = load()
        create_resources(self.stack)
        self.api = Api(self.stack)
        self.sqs: Any = boto3.client("sqs")
        self.s3: Any = boto3.client("s3")
        self.ddb: Any = boto3.client("dynamodb")
        build = Builder(self.api)
        apex = build.company("Apex", "apex-admin")
        volt = build.company("Volt", "volt-admin", connected_drawings_beta=True)
        build.user(apex, UP_ADMIN)
        build.user(volt, REQUESTER)
        build.user(apex, REQUESTER)
        self.up = build.project(apex, "Tower", "apex-admin")
        build.member(self.up, UP_ADMIN, "apex-admin", cm="admin", drawings="admin")
        build.member(self.up, REQUESTER, "apex-admin", drawings="read_only")
        self.downs = []
        for n in range(downstreams):
            down = build.project(volt, f"Tower trade {n}", "volt-admin")
            build.member(down, REQUESTER, "volt-admin", cm="admin", drawings="admin")
            self.downs.append(down)
        self.volt = volt
        world = DrawingsWorld(self.api, apex, self.up, uploader=UP_ADMIN, admin=UP_ADMIN)
        model = world.published("A-00000", data=PDF, area={"name": "Level 1"})
        self.table = self.ddb.list_tables()["TableNames"][0]
        self._clone(model, revisions - 1)
        self.urls = {q: self.sqs.get_queue_url(QueueName=self.stack.physical_name(q))["QueueUrl"] for q, _ in QUEUES}
        self.file = self._item(f"REVISION#{model['id']}")

    def _item(self, sk: str) -> dict[str, Any]:
        key = {"pk": {"S": f"PROJECT#{self.up}"}, "sk": {"S": sk}}
        return dict(self.ddb.get_item(TableName=self.table, Key=key, ConsistentRead=True)["Item"])

    def _clone(self, model: dict[str, Any], count: int) -> None:
        """`count` more published revisions like the model, each on a drawing of its own, and their count."""
        revision, drawing = self._item(f"REVISION#{model['id']}"), self._item(f"DRAWING#{model['drawing_id']}")
        number = self._item(f"DRAWNUM#{model['number'].lower()}")
        items: list[dict[str, Any]] = []
        for n in range(1, count + 1):
            suffix = uuid.uuid4().hex[:24]
            revision_id, drawing_id, name = f"rev_{suffix}", f"drw_{suffix}", f"A-{n:05d}"
            items += [
                {
                    **revision,
                    "sk": {"S": f"REVISION#{revision_id}"},
                    "revision_id": {"S": revision_id},
                    "drawing_id": {"S": drawing_id},
                    "number": {"S": name},
                    "gsi1pk": {"S": f"DRAWING#{drawing_id}"},
                },
                {
                    **drawing,
                    "sk": {"S": f"DRAWING#{drawing_id}"},
                    "drawing_id": {"S": drawing_id},
                    "number": {"S": name},
                    "current_revision_id": {"S": revision_id},
                },
                {**number, "sk": {"S": f"DRAWNUM#{name.lower()}"}, "drawing_id": {"S": drawing_id}},
            ]
        for start in range(0, len(items), 25):
            request = {self.table: [{"PutRequest": {"Item": i}} for i in items[start : start + 25]]}
            while request:
                request = self.ddb.batch_write_item(RequestItems=request).get("UnprocessedItems") or {}
        shard = {"pk": {"S": f"PROJECT#{self.up}"}, "sk": {"S": "PUBLISHED#00"}}
        self.ddb.update_item(
            TableName=self.table,
            Key=shard,
            UpdateExpression="ADD published :n",
            ExpressionAttributeValues={":n": {"N": str(count)}},
        )

    def connect(self) -> list[str]:
        """Request and approve every downstream's connection; each approval starts its initial sync."""
        ids = []
        for down in self.downs:
            asked = self.api("POST", f"/projects/{down}/connections", REQUESTER, {"upstream_project_id": self.up})
            assert asked.status == 201, asked.body
            approved = self.api("POST", f"/connections/{asked.body['id']}/approve", UP_ADMIN)
            assert approved.status == 200, approved.body
            ids.append(str(asked.body["id"]))
        return ids

    def complete(self, connection_ids: list[str], revisions: int) -> None:
        for connection_id in connection_ids:
            status = self.api("GET", f"/connections/{connection_id}/sync-status", UP_ADMIN)
            assert status.status == 200, status.body
            initial = status.body["initial_sync"]
            assert (initial["status"], status.body["copied"]) == ("complete", revisions), status.body


def drive(world: World, memory: bool) -> tuple[float, dict[str, Run]]:
    """Deliver full batches to the sync functions until their queues are empty; the handlers' time only."""
    from local.events import LambdaContext, sqs_event

    runs = {function: Run() for _, function in QUEUES}
    current: list[Run | None] = [None]
    in_moto = [0.0]  # this invocation's time inside moto
    by_operation: dict[str, float] = {}

    def counting(real: Call) -> Call:
        def counted(client: Any, operation: str, params: Any) -> Any:
            run = current[0]
            if run is None:
                return real(client, operation, params)
            name = operation_name(client, operation)
            run.calls[name] += 1
            started = time.perf_counter()
            try:
                return real(client, operation, params)
            finally:
                spent = time.perf_counter() - started
                in_moto[0] += spent
                by_operation[name] = by_operation.get(name, 0.0) + spent

        return counted

    sources = {s.queue: s for s in world.stack.queue_sources}
    with wrapped_calls(counting):
        moved = True
        while moved:
            moved = False
            for queue, function in QUEUES:
                for _ in range(BATCHES_PER_TURN.get(queue, sys.maxsize)):  # the others: until empty
                    got = world.sqs.receive_message(
                        QueueUrl=world.urls[queue],
                        MaxNumberOfMessages=sources[queue].batch_size,
                        AttributeNames=["All"],
                        MessageAttributeNames=["All"],
                    ).get("Messages", [])
                    if not got:
                        break
                    moved = True
                    handler = world.api.handler(function)
                    event = sqs_event(world.stack.physical_name(queue), got)
                    run = runs[function]
                    traced = memory and run.invocations % TRACE_EVERY == 0
                    if traced:
                        tracemalloc.start()
                    current[0], in_moto[0] = run, 0.0
                    by_operation.clear()
                    started = time.perf_counter()
                    answer = handler(event, LambdaContext(function))
                    elapsed = time.perf_counter() - started
                    current[0] = None
                    run.invocations += 1
                    run.messages += len(got)
                    if traced:
                        run.peak_bytes = max(run.peak_bytes, tracemalloc.get_traced_memory()[1])
                        tracemalloc.stop()
                    else:
                        run.timed_messages += len(got)
                        run.seconds += elapsed
                        run.moto_seconds += in_moto[0]
                        for name, spent in by_operation.items():
                            run.moto_by_operation[name] = run.moto_by_operation.get(name, 0.0) + spent
                    failed = {f["itemIdentifier"] for f in answer.get("batchItemFailures", [])}
                    if failed:
                        raise RuntimeError(f"{function} failed on {len(failed)} messages: the figures would lie")
                    world.sqs.delete_message_batch(
                        QueueUrl=world.urls[queue],
                        Entries=[{"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(got)],
                    )
    for run in runs.values():  # the traced invocations' share, at the untraced ones' pace
        if run.timed_messages:
            run.seconds *= run.messages / run.timed_messages
            run.moto_seconds *= run.messages / run.timed_messages
    return sum(r.seconds for r in runs.values()), runs


def floor(world: World, copies: int) -> tuple[float, float]:
    """A bare loop of the unavoidable calls per copy: the file's CopyObject and one DynamoDB write. Answers its
    time and moto's part of it."""
    from connectability.storage import bucket_name

    bucket = bucket_name(world.volt)
    source = {"Bucket": world.file["bucket"]["S"], "Key": world.file["file_key"]["S"]}
    source["VersionId"] = world.file["file_version"]["S"]
    item = {k: v for k, v in world.file.items() if k not in ("pk", "sk")}
    moto = [0.0]

    def timing(real: Call) -> Call:
        def timed(client: Any, operation: str, params: Any) -> Any:
            started = time.perf_counter()
            try:
                return real(client, operation, params)
            finally:
                moto[0] += time.perf_counter() - started

        return timed

    with wrapped_calls(timing):
        started = time.perf_counter()
        bare_copies(world.s3, world.ddb, world.table, source, bucket, item, copies)
        return time.perf_counter() - started, moto[0]


def bare_copies(
    s3: Any, dynamodb: Any, table: str, source: dict[str, str], bucket: str, item: dict[str, Any], copies: int
) -> None:
    """The floor's loop: per copy, one CopyObject of `source` into `bucket` and one PutItem of `item`."""
    for n in range(copies):
        s3.copy_object(Bucket=bucket, Key=f"floor/{n}", CopySource=source)
        dynamodb.put_item(TableName=table, Item={**item, "pk": {"S": "FLOOR"}, "sk": {"S": f"REVISION#{n:07d}"}})


def measure(revisions: int, downstreams: int, memory: bool = False) -> Measured:
    """One fresh moto account: seed, connect, drive every initial sync to its end, then the floor."""
    from moto import mock_aws

    from connectability.aws import reset_clients
    from connectability.config import get_settings
    from local.world import set_environment

    set_environment()
    get_settings.cache_clear()
    reset_clients()
    with mock_aws():
        world = World(revisions, downstreams)
        connections = world.connect()
        seconds, runs = drive(world, memory)
        world.complete(connections, revisions)
        floor_seconds, floor_moto = floor(world, revisions * downstreams)
    return Measured(revisions, downstreams, seconds, floor_seconds, floor_moto, runs)


def report(results: list[Measured]) -> list[str]:
    lines = [
        "Initial sync, handlers invoked directly with full batches (moto in-process); floor = 1 CopyObject + "
        "1 DynamoDB write per copy in a bare loop, same run",
        f"  {'revisions x downstreams':>24} {'copies/s':>9} {'floor/s':>8} {'ratio':>6} {'moto %':>7} "
        f"{'ratio at 8 ms':>13} {'calls/copy':>10} {'ms/copy':>8} {'own ms/copy':>11} {'peak MiB fan-out, copy':>22}",
    ]
    for m in results:
        peaks = "-"
        if any(r.peak_bytes for r in m.runs.values()):
            peaks = ", ".join(f"{m.runs[f].peak_bytes / 2**20:.1f}" for _, f in QUEUES)
        lines.append(
            f"  {f'{m.revisions} x {m.downstreams}':>24} {m.copies / m.seconds:>9.1f} "
            f"{m.copies / m.floor_seconds:>8.1f} {m.ratio:>6.0%} {m.moto_seconds / m.seconds:>7.0%} "
            f"{m.ratio_at(HELD):>13.0%} {m.calls / m.copies:>10.2f} {1000 * m.seconds / m.copies:>8.2f} "
            f"{1000 * (m.seconds - m.moto_seconds) / m.copies:>11.2f} {peaks:>22}"
        )
    for m in results:
        spent: dict[str, float] = {}
        for r in m.runs.values():
            for op, t in r.moto_by_operation.items():
                spent[op] = spent.get(op, 0.0) + t
        calls: Counter[str] = sum((r.calls for r in m.runs.values()), Counter())
        top = sorted(spent.items(), key=lambda kv: -kv[1])[:3]
        slowest = ", ".join(f"{op} {1000 * t / calls[op]:.1f} ms" for op, t in top)
        lines.append(f"  moto's slowest at {m.revisions} x {m.downstreams}, per call: {slowest}")
    lines += [
        "  ratio: floor time / sync time on moto; moto %: moto's own share of the sync functions' time;",
        "  ratio at 8 ms: both sides' own time measured (moto's taken out) plus 8 ms per counted AWS call;",
        "  own ms/copy: the functions' time less moto's (our code, botocore, PynamoDB), what must stay flat",
    ]
    return lines


def main() -> None:
    import contextlib
    import io
    import warnings

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--revisions", type=int, default=2000)
    parser.add_argument("--downstreams", type=int, default=5)
    parser.add_argument("--scale", type=int, nargs="*", help="sizes for the scale runs (one downstream each)")
    parser.add_argument("--json", help="also write the figures here")
    args = parser.parse_args()
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    results = []
    sizes = [(n, 1, True) for n in args.scale] if args.scale else [(args.revisions, args.downstreams, False)]
    for revisions, downstreams, memory in sizes:
        with contextlib.redirect_stdout(io.StringIO()):  # Powertools prints metrics when it has 100 unsent
            results.append(measure(revisions, downstreams, memory))
        print(report(results)[2 + len(results) - 1], flush=True)
    print("\n".join(report(results)))
    if args.json:
        figures = [
            {
                "revisions": m.revisions,
                "downstreams": m.downstreams,
                "seconds": m.seconds,
                "moto_seconds": m.moto_seconds,
                "floor_seconds": m.floor_seconds,
                "floor_moto_seconds": m.floor_moto_seconds,
                "calls": m.calls,
                "runs": {f: {**r.__dict__, "calls": dict(r.calls)} for f, r in m.runs.items()},
            }
            for m in results
        ]
        with open(args.json, "w") as out:
            json.dump(figures, out, indent=1)


if __name__ == "__main__":
    main()

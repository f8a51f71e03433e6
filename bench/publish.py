"""Publishing a big drawing set in one call, with a held latency per AWS call so the time means something on AWS.

Every AWS call the publish makes waits LATENCY (8 ms, about a DynamoDB or S3 call inside a region) before moto
answers it, on whichever thread makes it: the request's own calls follow one another, the manifest writers' run
WRITERS at a time, as they would on AWS. The time reported is the publish's wall time less moto's own (the
moments when moto was answering some call: its work is the emulator's, not ours, and it is not AWS's either;
botocore's building, signing and reading of each call stay in ours, as they run in our process on AWS).
The round trips made one after another are counted too: calls on the request's thread, plus the writers' calls
in waves of WRITERS; and the CPU our code (with botocore and PynamoDB) used on every thread, moto's out,
which on a loaded machine says more than the wall time. 2,000 revisions must answer well inside API Gateway's
29 s (target: 5 s at 8 ms).

    python -m bench.publish --revisions 2000     (make bench publishes 500; 2,000 drafts take minutes to make)
"""

from __future__ import annotations

import argparse
import math
import threading
import time
from collections import Counter
from typing import Any

LATENCY = 0.008


def _union(spans: list[tuple[float, float]]) -> float:
    """Seconds covered by at least one of these (start, end) spans."""
    covered, reach = 0.0, float("-inf")
    for start, end in sorted(spans):
        if end > reach:
            covered += end - max(start, reach)
            reach = end
    return covered


class Meter:
    """While inside: every AWS call waits `latency` first and is counted; moto's own answering is timed apart
    (botocore's building, signing and reading of the call stay in ours, as they run in our process on AWS)."""

    def __init__(self, latency: float) -> None:
        self.latency = latency
        self.calls: Counter[str] = Counter()
        self.in_order = 0  # calls made on the main thread, one after another
        self.moto_spans: list[tuple[float, float]] = []
        self.moto_cpu = 0.0
        self._lock = threading.Lock()

    def __enter__(self) -> Meter:
        import botocore.client
        from moto.core.botocore_stubber import BotocoreStubber

        self._real = real = getattr(botocore.client.BaseClient, "_make_api_call")  # noqa: B009
        self._answer_of = answer_of = BotocoreStubber.__call__
        main, meter = threading.main_thread(), self

        def held(client: Any, operation: str, params: Any) -> Any:
            time.sleep(meter.latency)  # the round trip AWS would take
            with meter._lock:
                meter.calls[f"{client.meta.service_model.service_name}:{operation}"] += 1
                meter.in_order += threading.current_thread() is main
            return real(client, operation, params)

        def emulated(stubber: Any, event_name: str, request: Any, **kwargs: Any) -> Any:
            started, cpu = time.perf_counter(), time.thread_time()
            try:
                return answer_of(stubber, event_name, request, **kwargs)
            finally:
                with meter._lock:
                    meter.moto_spans.append((started, time.perf_counter()))
                    meter.moto_cpu += time.thread_time() - cpu

        setattr(botocore.client.BaseClient, "_make_api_call", held)  # noqa: B010
        setattr(BotocoreStubber, "__call__", emulated)  # noqa: B010
        self._started, self._cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        import botocore.client
        from moto.core.botocore_stubber import BotocoreStubber

        self.wall, self.cpu = time.perf_counter() - self._started, time.process_time() - self._cpu
        setattr(botocore.client.BaseClient, "_make_api_call", self._real)  # noqa: B010
        setattr(BotocoreStubber, "__call__", self._answer_of)  # noqa: B010

    @property
    def ours(self) -> float:
        """Wall time less the moments when moto was answering some call."""
        return self.wall - _union(self.moto_spans)


def publish_big_set(revisions: int = 2000, latency: float = LATENCY) -> dict[str, Any]:
    import boto3
    from moto import mock_aws

    from connectability.domain.manifests import WRITERS
    from local.events import LambdaContext, sqs_event
    from local.template import create_resources, load
    from local.world import Api, Builder, DrawingsWorld, Pipeline, Queues, set_environment

    set_environment()

    with mock_aws():
        stack = load()
        create_resources(stack)
        api = Api(stack)
        build = Builder(api)
        company = build.company("Apex", "admin")
        project = build.project(company, "Tower", "admin")
        build.member(project, "admin", "admin", drawings="admin")
        world = DrawingsWorld(api, company, project, uploader="admin", admin="admin")
        ids = [world.revision(f"A-{n:05d}").body["id"] for n in range(revisions)]
        pipeline = Pipeline(Queues(stack, api))
        pipeline.take("SyncEventsQueue")  # what setting up the buckets sent

        with Meter(latency) as request:
            answer = world.publish(*ids)
        assert answer.status == 200, answer.body
        assert len(answer.body["published"]) == revisions
        # The duties handed off: the fan-out function's invocations, one batch each as its poller would send
        handed = pipeline.take("ManifestsDueQueue")
        source = next(s for s in stack.queue_sources if s.queue == "ManifestsDueQueue")
        fanout = api.handler(source.function)
        invocations = []
        for start in range(0, len(handed), source.batch_size):
            with Meter(latency) as invocation:
                event = sqs_event(stack.physical_name("ManifestsDueQueue"), handed[start : start + source.batch_size])
                assert not fanout(event, LambdaContext(source.function))["batchItemFailures"]
            invocations.append(invocation)
        versions: Counter[str] = Counter()
        pages = boto3.client("s3").get_paginator("list_object_versions")
        for page in pages.paginate(Bucket=world.bucket, Prefix=f"manifests/{project}/"):
            versions.update(v["Key"] for v in page.get("Versions", []))
        assert sorted(versions.values()) == [1] * revisions, "each manifest written once"
    concurrent = sum(request.calls.values()) - request.in_order
    trips = request.in_order + 2 * math.ceil(concurrent / 2 / WRITERS)
    emulator = _union(request.moto_spans)
    return {
        "revisions": revisions,
        "latency_ms": latency * 1000,
        "aws_calls": sum(request.calls.values()),
        "sequential_round_trips": trips,
        "wall_seconds": round(request.wall, 2),
        "moto_seconds": round(emulator, 2),
        "on_aws_seconds": round(request.ours, 2),
        "our_cpu_seconds": round(request.cpu - request.moto_cpu, 2),  # ours and botocore's, every thread
        "round_trip_seconds": round(trips * latency, 2),
        "by_operation": dict(request.calls.most_common(8)),
        "handed_off_invocations": len(invocations),
        "handed_off_calls": sum(sum(i.calls.values()) for i in invocations),
        "handed_off_slowest_seconds": round(max((i.ours for i in invocations), default=0.0), 2),
        "handed_off_all_seconds": round(sum(i.ours for i in invocations), 2),
    }


def report(result: dict[str, Any]) -> str:
    return (
        f"publish {result['revisions']} revisions in one call, {result['latency_ms']:.0f} ms held per AWS call: "
        f"answered in {result['on_aws_seconds']} s without moto's own time ({result['wall_seconds']} s in all, moto "
        f"{result['moto_seconds']} s); {result['aws_calls']} AWS calls, {result['sequential_round_trips']} round "
        f"trips one after another ({result['round_trip_seconds']} s) and {result['our_cpu_seconds']} s of our CPU "
        f"(moto's taken out; target: 2,000 revisions in 5 s); {result['by_operation']}. Manifests handed off: "
        f"{result['handed_off_invocations']} fan-out invocations, {result['handed_off_calls']} AWS calls, "
        f"{result['handed_off_slowest_seconds']} s the slowest (Lambda runs them side by side), "
        f"{result['handed_off_all_seconds']} s one after another"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--revisions", type=int, default=2000)
    args = parser.parse_args()
    print(report(publish_big_set(args.revisions)))


if __name__ == "__main__":
    main()

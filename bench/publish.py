"""Publishing a big drawing set in one call, with a held latency per AWS call so the time means something on AWS.

Every AWS call the publish makes waits LATENCY (8 ms, about a DynamoDB or S3 call inside a region) before moto
answers it, on whichever thread makes it: the request's own calls follow one another, the manifest writers' run
WRITERS at a time, as they would on AWS. The time reported is the publish's wall time less moto's own (the
moments when some moto call was running: moto's work is the emulator's, not ours, and it is not AWS's either).
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


def publish_big_set(revisions: int = 2000, latency: float = LATENCY) -> dict[str, Any]:
    import botocore.client
    from moto import mock_aws

    import tests.conftest  # noqa: F401 - the environment every function reads
    from connectability.domain.manifests import WRITERS
    from local.template import create_resources, load
    from tests.integration.conftest import Api, Builder, DrawingsWorld

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

        calls: Counter[str] = Counter()
        in_order = [0]
        moto_spans: list[tuple[float, float]] = []
        moto_cpu = [0.0]
        lock = threading.Lock()
        real = getattr(botocore.client.BaseClient, "_make_api_call")  # noqa: B009 - the bench counts every call
        main = threading.main_thread()

        def held(self: Any, operation: str, params: Any) -> Any:
            time.sleep(latency)  # the round trip AWS would take
            started, cpu = time.perf_counter(), time.thread_time()
            try:
                return real(self, operation, params)
            finally:
                with lock:
                    moto_spans.append((started, time.perf_counter()))
                    moto_cpu[0] += time.thread_time() - cpu
                    calls[f"{self.meta.service_model.service_name}:{operation}"] += 1
                    in_order[0] += threading.current_thread() is main

        setattr(botocore.client.BaseClient, "_make_api_call", held)  # noqa: B010
        started, cpu = time.perf_counter(), time.process_time()
        try:
            answer = world.publish(*ids)
        finally:
            wall, cpu = time.perf_counter() - started, time.process_time() - cpu
            setattr(botocore.client.BaseClient, "_make_api_call", real)  # noqa: B010
        assert answer.status == 200, answer.body
        assert len(answer.body["published"]) == revisions
    concurrent = sum(calls.values()) - in_order[0]
    trips = in_order[0] + 2 * math.ceil(concurrent / 2 / WRITERS)
    emulator = _union(moto_spans)
    return {
        "revisions": revisions,
        "latency_ms": latency * 1000,
        "aws_calls": sum(calls.values()),
        "sequential_round_trips": trips,
        "wall_seconds": round(wall, 2),
        "moto_seconds": round(emulator, 2),
        "on_aws_seconds": round(wall - emulator, 2),
        "our_cpu_seconds": round(cpu - moto_cpu[0], 2),  # ours (and botocore's) on every thread, moto's taken out
        "round_trip_seconds": round(trips * latency, 2),
        "by_operation": dict(calls.most_common(8)),
    }


def report(result: dict[str, Any]) -> str:
    return (
        f"publish {result['revisions']} revisions in one call, {result['latency_ms']:.0f} ms held per AWS call: "
        f"{result['on_aws_seconds']} s without moto's own time ({result['wall_seconds']} s in all, moto "
        f"{result['moto_seconds']} s); {result['aws_calls']} AWS calls, {result['sequential_round_trips']} round "
        f"trips one after another ({result['round_trip_seconds']} s) and {result['our_cpu_seconds']} s of our CPU "
        f"(moto's taken out; target: 2,000 revisions in 5 s); {result['by_operation']}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--revisions", type=int, default=2000)
    args = parser.parse_args()
    print(report(publish_big_set(args.revisions)))


if __name__ == "__main__":
    main()

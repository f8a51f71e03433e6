"""Publishing a big drawing set in one call, with every AWS call made to take a realistic time.

On moto an AWS call costs well under a millisecond, so the call's own time says little about AWS. Here each
call is held for LATENCY (8 ms, about a DynamoDB or S3 round trip inside a region) through a botocore event
wrapper, in the bench only: the publish's wall time then shows its sequential round trips, the figure that
decides whether a set of 2,000 sheets answers inside API Gateway's 29 s.

    python -m bench.publish --revisions 2000     (part of make bench)
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from typing import Any

LATENCY = 0.008


def publish_big_set(revisions: int = 2000, latency: float = LATENCY) -> dict[str, Any]:
    import botocore.client
    from moto import mock_aws

    import tests.conftest  # noqa: F401 - the environment every function reads
    from bench.__main__ import counting
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

        real = getattr(botocore.client.BaseClient, "_make_api_call")  # noqa: B009 - the bench holds every call

        def held(self: Any, operation: str, params: Any) -> Any:
            time.sleep(latency)  # the round trip AWS would take
            return real(self, operation, params)

        setattr(botocore.client.BaseClient, "_make_api_call", held)  # noqa: B010
        try:
            with counting() as calls:
                started = time.perf_counter()
                answer = world.publish(*ids)
                seconds = time.perf_counter() - started
        finally:
            setattr(botocore.client.BaseClient, "_make_api_call", real)  # noqa: B010
        assert answer.status == 200, answer.body
        assert len(answer.body["published"]) == revisions
    return {
        "revisions": revisions,
        "latency_ms": latency * 1000,
        "seconds": round(seconds, 2),
        "aws_calls": sum(calls.values()),
        "by_operation": dict(Counter(calls).most_common(8)),
    }


def compare(revisions: int = 2000, latency: float = LATENCY) -> dict[str, Any]:
    """The same publish twice, without and with the held latency: moto's own time (large: it copies a table
    for every item of a transaction) cancels out, and the difference over the latency is how many round trips
    the request makes one after another, the figure that carries over to AWS."""
    bare, held = publish_big_set(revisions, 0.0), publish_big_set(revisions, latency)
    trips = max(0.0, held["seconds"] - bare["seconds"]) / latency
    return {
        **held,
        "moto_seconds": bare["seconds"],
        "sequential_round_trips": round(trips),
        "on_aws_seconds": round(trips * latency, 2),
    }


def report(result: dict[str, Any]) -> str:
    return (
        f"publish {result['revisions']} revisions in one call: {result['aws_calls']} AWS calls, "
        f"{result['sequential_round_trips']} of them one after another, so about {result['on_aws_seconds']} s "
        f"at {result['latency_ms']:.0f} ms a call (moto's own time, subtracted: {result['moto_seconds']} s); "
        f"{result['by_operation']}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--revisions", type=int, default=2000)
    args = parser.parse_args()
    print(report(compare(args.revisions)))


if __name__ == "__main__":
    main()

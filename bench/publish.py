"""Publishing a big drawing set in one call: how many AWS round trips it makes one after another.

On moto an AWS call's time says nothing about AWS (moto even copies a table for every item of a transaction),
so the round trips are counted: calls made on the request's own thread follow one another; calls made by the
manifest writers run WRITERS at a time, in two waves (take the versions, then write the manifests). At LATENCY
per round trip (8 ms, about a DynamoDB or S3 call inside a region) that count says whether a set of 2,000
sheets answers well inside API Gateway's 29 s.

    python -m bench.publish --revisions 2000     (make bench publishes 500)
"""

from __future__ import annotations

import argparse
import math
import threading
from collections import Counter
from typing import Any

LATENCY = 0.008


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
        real = getattr(botocore.client.BaseClient, "_make_api_call")  # noqa: B009 - the bench counts every call
        main = threading.main_thread()

        def counted(self: Any, operation: str, params: Any) -> Any:
            calls[f"{self.meta.service_model.service_name}:{operation}"] += 1
            if threading.current_thread() is main:
                in_order[0] += 1
            return real(self, operation, params)

        setattr(botocore.client.BaseClient, "_make_api_call", counted)  # noqa: B010
        try:
            answer = world.publish(*ids)
        finally:
            setattr(botocore.client.BaseClient, "_make_api_call", real)  # noqa: B010
        assert answer.status == 200, answer.body
        assert len(answer.body["published"]) == revisions
    concurrent = sum(calls.values()) - in_order[0]
    trips = in_order[0] + 2 * math.ceil(concurrent / 2 / WRITERS)
    return {
        "revisions": revisions,
        "latency_ms": latency * 1000,
        "aws_calls": sum(calls.values()),
        "sequential_round_trips": trips,
        "on_aws_seconds": round(trips * latency, 2),
        "by_operation": dict(calls.most_common(8)),
    }


def report(result: dict[str, Any]) -> str:
    return (
        f"publish {result['revisions']} revisions in one call: {result['aws_calls']} AWS calls, "
        f"{result['sequential_round_trips']} round trips one after another, so about {result['on_aws_seconds']} s "
        f"at {result['latency_ms']:.0f} ms a round trip; {result['by_operation']}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--revisions", type=int, default=2000)
    args = parser.parse_args()
    print(report(publish_big_set(args.revisions)))


if __name__ == "__main__":
    main()

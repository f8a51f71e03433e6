"""The outbox's partitions as projects grow, and what reading them all costs the relay.

Every change records a duty in the outbox and clears it once done: two writes per change, in every project. Here
each of P projects makes CHANGES_PER_MINUTE changes in a minute of peak through the outbox's own code
(connectability.db.outbox), and every write is counted by the partition key it names, as botocore sends it
(answered at once, without AWS: the count is exact, and no time is measured). With one partition (N = 1, the
outbox before it was sharded) the partition takes every write of the product; with N partitions each takes its
share, so N growing with the projects keeps the writes per partition flat. DynamoDB gives a partition about
1,000 writes a second. The relay pays for the partitions: it reads each one every run (the calls per run are
counted on moto in-process, with the outbox empty and with duties waiting).

    python -m bench.outbox [--projects 100 1000 10000]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from bench.calls import Call, counting, operation_name, wrapped_calls

PROJECTS = (100, 1000, 10000)
CHANGES_PER_MINUTE = 6  # per project, at peak
PROJECTS_PER_PARTITION = 100  # what N = projects / 100 gives each partition
SHARDS = (1, 8, 32, 100)  # the relay's cost at these N
WAITING = 10  # duties waiting in the relay's busy run
DYNAMODB_PARTITION = 1000  # writes a second a partition takes


def _environment() -> None:
    """What every function reads (template.yaml), with credentials and region for moto; moto is loaded before any
    client is made, so every client answers to it when it runs."""
    import moto  # noqa: F401

    from local.template import REGION, load

    os.environ.update(
        {
            **load().environment(),
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": REGION,
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_METRICS_DISABLED": "true",
            "POWERTOOLS_LOG_LEVEL": "WARNING",
        }
    )
    os.environ.pop("AWS_ENDPOINT_URL", None)


@contextmanager
def _shards(n: int) -> Iterator[None]:
    """Run with the outbox in n partitions (the setting OUTBOX_SHARDS, read afresh)."""
    from connectability.config import get_settings

    before = os.environ.get("OUTBOX_SHARDS")
    os.environ["OUTBOX_SHARDS"] = str(n)
    get_settings.cache_clear()
    try:
        yield
    finally:
        os.environ["OUTBOX_SHARDS"] = before or ""
        if before is None:
            os.environ.pop("OUTBOX_SHARDS")
        get_settings.cache_clear()


@contextmanager
def _writes_by_partition() -> Iterator[Counter[str]]:
    """Every write the outbox sends, counted by the partition key it names; each is answered at once, as DynamoDB
    answers a write that succeeds."""
    writes: Counter[str] = Counter()

    def counting(real: Call) -> Call:
        def answer(client: Any, operation: str, params: Any) -> Any:
            if operation == "PutItem":
                writes[params["Item"]["pk"]["S"]] += 1
            elif operation == "DeleteItem":
                writes[params["Key"]["pk"]["S"]] += 1
            else:
                raise AssertionError(f"the outbox sent {operation_name(client, operation)}: not counted here")
            return {}

        return answer

    with wrapped_calls(counting):
        yield writes


def partition_writes(projects: int, shards: int) -> Counter[str]:
    """A minute of peak: every project's changes each record a duty (as a change's transaction writes it) and
    clear it (as the work after the change does), through connectability.db.outbox; writes by partition."""
    from connectability.db import outbox as outbox_db
    from connectability.domain.ids import new_id
    from connectability.models.common import utcnow

    with _shards(shards), _writes_by_partition() as writes:
        now = utcnow()
        for _ in range(projects * CHANGES_PER_MINUTE):
            duty = outbox_db.record(new_id("evt"), "{}", now)
            outbox_db.outbox_item(duty).save()
            outbox_db.sent(duty)
    return writes


def relay_calls(shards: int, waiting: int) -> Counter[str]:
    """The AWS calls of one relay run with `waiting` notification events left in the outbox (moto in-process)."""
    from moto import mock_aws

    from connectability.aws import reset_clients
    from connectability.db import outbox as outbox_db
    from connectability.domain import notification_events
    from connectability.domain.outbox import relay_pending
    from connectability.models.common import utcnow
    from connectability.models.notifications import EventType, Side
    from local.template import create_resources, load

    class Connection:
        connection_id, upstream_project_id, downstream_project_id = "con_1", "prj_up", "prj_down"
        upstream_company_id, downstream_company_id = "cmp_up", "cmp_down"

    with _shards(shards), mock_aws():
        reset_clients()
        create_resources(load())
        for _ in range(waiting):
            outgoing = notification_events.prepare(EventType.connection_requested, Connection(), [Side.upstream])
            outbox_db.outbox_item(outgoing.record).save()
        with counting() as calls, contextlib.redirect_stdout(io.StringIO()):  # the relay's own log lines
            relay_pending(now=utcnow() + timedelta(minutes=1))
    reset_clients()
    return calls


def measure(projects: tuple[int, ...] = PROJECTS) -> dict[str, Any]:
    _environment()
    rows = []
    for p in projects:
        for n in sorted({1, 8, max(1, p // PROJECTS_PER_PARTITION)}):
            writes = partition_writes(p, n)
            rows.append(
                {
                    "projects": p,
                    "shards": n,
                    "partitions": len(writes),
                    "hottest": max(writes.values()) / 60,
                    "mean": sum(writes.values()) / len(writes) / 60,
                }
            )
    relay = [
        {"shards": n, "idle": sum(relay_calls(n, 0).values()), "busy": dict(relay_calls(n, WAITING))} for n in SHARDS
    ]
    return {"rows": rows, "relay": relay}


def report(measured: dict[str, Any]) -> list[str]:
    lines = [
        f"Outbox writes per partition: {CHANGES_PER_MINUTE} changes a minute in every project at peak, each recording "
        "its duty and clearing it (counted by partition key, no AWS)",
        "  projects     N  partitions written  writes/s, hottest partition  mean   (a partition takes ~1,000/s)",
    ]
    for r in measured["rows"]:
        flag = "  over" if r["hottest"] > DYNAMODB_PARTITION else ""
        shape = f"  {r['projects']:8,d}  {r['shards']:4d}  {r['partitions']:18d}"
        lines.append(f"{shape}  {r['hottest']:27.1f}  {r['mean']:6.1f}{flag}")
    scaled = [r for r in measured["rows"] if r["shards"] == max(1, r["projects"] // PROJECTS_PER_PARTITION)]
    growth = " -> ".join(f"{r['projects']:,d}" for r in scaled)
    takes = ", ".join(f"{r['hottest']:.1f}/s" for r in scaled)
    lines.append(
        f"  N = projects / {PROJECTS_PER_PARTITION}: the hottest partition takes {takes} as projects grow {growth}"
    )
    lines.append(f"The relay's AWS calls per run (moto), the outbox empty and with {WAITING} events waiting")
    for r in measured["relay"]:
        busy = ", ".join(f"{op} {n}" for op, n in sorted(r["busy"].items()))
        lines.append(f"  N = {r['shards']:3d}: {r['idle']:3d} empty; {sum(r['busy'].values()):3d} busy ({busy})")
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, nargs="+", default=list(PROJECTS))
    args = parser.parse_args(argv)
    print("\n".join(report(measure(tuple(args.projects)))), flush=True)


if __name__ == "__main__":
    main()

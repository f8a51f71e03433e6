"""`make bench`: what each operation costs in AWS calls, each function's cold start (bench/cold.py), sync's calls
per copy and latency (bench/sync.py, bench/latency.py), a big publish (bench/publish.py), the initial sync's
throughput against the floor and at scale (bench/throughput.py), thumbnails of sheets up to A0
(bench/thumbnails.py), the outbox's writes per partition as projects grow and the relay's cost of its partitions
(bench/outbox.py), and the console's register of 2,000 sheets in chromium (bench/browser.py).

AWS calls are counted on moto in-process, so the figures are exact and repeatable on a noisy machine.
Import times are medians of fresh interpreters, reported as a ratio to a bare interpreter in the same run; the same
imports are also counted in instructions (bench/instructions.py, where valgrind is installed), which no load moves.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import platform
import subprocess
import sys
import tempfile
import warnings
from collections import Counter
from collections.abc import Callable
from typing import Any

from bench import browser, cold, instructions, outbox, publish, sync, targets, throughput, thumbnails
from bench.calls import counting

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PUBLISH_SET = 2000  # revisions in one publish (making 2,000 drafts on moto takes about two minutes)
THROUGHPUT = (2000, 5)  # initial sync: revisions x downstreams, against the floor
SCALE = (500, 2000, 10000)  # initial sync into one downstream at growing sizes (bench.throughput --scale N ...)
REGISTER = 2000  # published sheets in the console's register, in chromium


def aws_calls() -> list[tuple[str, Counter[str]]]:
    from moto import mock_aws

    from local.template import create_resources, load
    from local.world import PDF, Api, Builder, DrawingsWorld, Queues, set_environment

    set_environment()

    rows: list[tuple[str, Counter[str]]] = []

    def measure(name: str, action: Callable[[], Any]) -> Any:
        with counting() as calls:
            result = action()
        rows.append((name, calls))
        return result

    with mock_aws():
        stack = load()
        create_resources(stack)
        api = Api(stack)
        build = Builder(api)
        apex = build.company("Apex", "a-admin")
        volt = build.company("Volt", "v-admin", connected_drawings_beta=True)
        for user in ("a-cm", "req"):
            build.user(apex, user)
        build.user(volt, "req")
        up = build.project(apex, "Tower", "a-admin")
        down = build.project(volt, "Tower E", "v-admin")
        build.member(up, "a-cm", "a-admin", cm="admin", drawings="admin")
        build.member(up, "req", "a-admin", drawings="read_only")
        build.member(down, "req", "v-admin", cm="admin", drawings="admin")
        measure("GET /companies/{id}", lambda: api("GET", f"/companies/{apex}", "a-admin"))
        measure("POST /companies (with its bucket)", lambda: api("POST", "/companies", "platform-admin", {"name": "X"}))
        request = measure(
            "POST /projects/{id}/connections (manual)",
            lambda: api("POST", f"/projects/{down}/connections", "req", {"upstream_project_id": up}),
        )
        queues = Queues(stack, api)
        measure("notify: connection_requested (1 recipient)", lambda: queues.drain("NotificationsQueue"))
        measure(
            "POST /connections/{id}/approve", lambda: api("POST", f"/connections/{request.body['id']}/approve", "a-cm")
        )
        measure("notify: connection_created (2 recipients, 2 sides)", lambda: queues.drain("NotificationsQueue"))
        world = DrawingsWorld(api, apex, up)
        uploads = [world.upload(PDF, user="a-cm") for _ in range(20)]

        def revision(n: int) -> Any:
            return api(
                "POST",
                f"/projects/{up}/drawing-revisions",
                "a-cm",
                {
                    "upload_id": uploads[n],
                    "number": f"A-{n}",
                    "title": "Plan",
                    "revision_number": "1",
                    "discipline": {"name": "Architectural"},
                    "area": {"name": "Level 1"},
                },
            )

        first = measure("POST /projects/{id}/drawing-revisions", lambda: revision(0))
        ids = [first.body["id"]] + [revision(n).body["id"] for n in range(1, 20)]
        measure("publish 1 revision", lambda: world.publish(ids[0], user="a-cm"))
        measure("publish 19 revisions at once", lambda: world.publish(*ids[1:], user="a-cm"))
        measure("GET /projects/{id}/drawings (20 drawings)", lambda: api("GET", f"/projects/{up}/drawings", "req"))
        drawing = first.body["drawing_id"]
        measure(
            "PATCH a drawing's title (1 published revision)",
            lambda: api("PATCH", f"/projects/{up}/drawings/{drawing}", "a-cm", {"title": "New"}),
        )
    return rows


def machine() -> str:
    from importlib.metadata import version

    load = ", ".join(f"{n:.1f}" for n in os.getloadavg())
    return (
        f"Machine: {os.cpu_count()} cores ({platform.machine()}), load average {load} at start; "
        f"Python {platform.python_version()}, moto {version('moto')}, boto3 {version('boto3')}"
    )


def sync_costs() -> list[sync.Measured]:
    with contextlib.redirect_stdout(io.StringIO()):  # Powertools prints its metrics when it has 100 unsent
        return sync.measure()


def sync_latency(limit: float = 600.0) -> tuple[list[str], dict[str, Any] | None]:
    """The local stack runs in a fresh interpreter (see bench.latency), which writes its figures phase by phase
    as JSON; past `limit` seconds it is stopped and the phases it finished are reported."""
    from bench import latency

    env = {**os.environ, "PYTHONPATH": os.pathsep.join(["shared", "functions", "."])}
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        out, err = os.path.join(tmp, "latency.json"), os.path.join(tmp, "stderr")
        with open(err, "wb") as errors:
            child = subprocess.Popen(
                [sys.executable, "-m", "bench.latency", out],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,  # the stack's own logs
                stderr=errors,
            )
            try:
                status = child.wait(timeout=limit)
                stopped = f"exit status {status}" if status else ""
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
                stopped = f"over the {limit:.0f} s limit"
        lines, results = [], None
        if os.path.exists(out):
            with open(out) as written:
                results = json.load(written)
            lines = latency.report(results, stopped)
        if stopped:
            with open(err, errors="replace") as errors_read:
                tail = errors_read.read().splitlines()[-10:]
            lines += [f"  the local stack's run ended early ({stopped}); the end of its stderr:", *tail]
        return lines, results


def main() -> None:
    # Handlers that emit no metric make Powertools warn on every call; the table is the output here.
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    print(machine(), flush=True)
    print("\nAWS calls per operation (moto in-process; exact)")
    for name, calls in aws_calls():
        detail = ", ".join(f"{op} {n}" for op, n in sorted(calls.items()))
        print(f"  {sum(calls.values()):4d}  {name}\n        {detail}")
    print()
    starts = cold.main([])
    print()
    counted = instructions.main([])
    print()
    costs = sync_costs()
    print("\n".join(sync.report(costs)), flush=True)
    print()
    lines, waited = sync_latency()
    print("\n".join(lines), flush=True)
    print()
    published = publish.publish_big_set(PUBLISH_SET)
    print(publish.report(published), flush=True)
    print()
    synced = initial_sync_throughput()
    print("\n".join(throughput.report(synced)), flush=True)
    print()
    drawn = thumbnails.measure()
    print("\n".join(thumbnails.report(drawn)), flush=True)
    print(f"\nTargets, every figure from this run ({machine()})")
    rows = [
        *targets.latency_rows(waited),
        *targets.throughput_rows(synced),
        targets.publish_row(published),
        targets.cold_row(starts),
        targets.instructions_row(counted),
        targets.thumbnail_row(drawn),
        targets.sync_calls(costs),
        targets.round_trips(),
    ]
    print("\n".join(targets.table(rows)))
    print()
    print("\n".join(outbox.report(outbox.measure())), flush=True)
    print()
    print("\n".join(browser.report(browser.run(REGISTER))), flush=True)


def initial_sync_throughput() -> list[throughput.Measured]:
    """Against the floor at THROUGHPUT, then the scale runs (with memory)."""
    results = []
    for revisions, downstreams, memory in [(*THROUGHPUT, False), *((n, 1, True) for n in SCALE)]:
        with contextlib.redirect_stdout(io.StringIO()):  # Powertools prints its metrics when it has 100 unsent
            results.append(throughput.measure(revisions, downstreams, memory))
    return results


if __name__ == "__main__":
    main()

"""Sync latency on the local stack: from the moment a publish call answers to each copy waiting for review.

Runs in its own interpreter (`python -m bench.latency RESULT.json`), since the local stack points every client
at moto's server and this bench must not inherit clients made for moto in-process. One upstream project, 20
downstream projects connected through request + approve, their initial syncs settled; then 1 sheet published
5 times, then a set of 100 sheets once.

When a copy is pending_review is taken at its commit: the bench wraps the copy's one transaction
(`connectability.db.sync.write_copy`) in this process and notes the time it answers `applied`. That costs the
stack nothing. For the 1-sheet runs a reader also polls DynamoDB through moto's endpoint (one consistent
BatchGetItem of the 20 copies every POLL_SECONDS) to show what a client would see, and afterwards every
downstream's Drawings admin finds the 5 copies in its review queue through the API. For the set, 2,000 keys
would mean 20 reads per round in the very process under test, so only commit times are used.
Every function invocation is timed too, to split the latency into the pollers' waits and the handlers' work.

On this moto the set takes minutes (2,000 copies, one invocation of sync_copy at a time, each call through
moto's HTTP server): it is followed for SET_CAP_SECONDS at most (about 200 s were enough on an idle 2-core
machine) and what landed is reported; `--follow-set 900` follows it longer. Figures are written phase by
phase, so a run stopped at the caller's time limit still reports the phases it finished.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
from typing import Any

from bench.latency_stack import COPY, DOWNSTREAMS, FANOUT, POLL_SECONDS, ROUND_TRIPS, Bench, load_table_name
from bench.throughput import bare_copies

SINGLE_RUNS = 5
SET_SIZE = 100
FLOOR_COPIES = 200  # the bare loop's copies, against which the whole pipeline's pace is set
SET_CAP_SECONDS = 420.0  # the set is followed at most this long after its publish answers, then the stack stops
SET_MIN_SECONDS = 20.0  # and at least this long, however late the run is
BUDGET_SECONDS = 520.0  # past this in all (a loaded machine), the set is followed only SET_MIN_SECONDS


def percentile(values: list[float], p: float) -> float:
    """Nearest rank: the smallest value with at least p% of the values at or below it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def floor(bench: Bench, revision_id: str, copies: int = FLOOR_COPIES) -> dict[str, float]:
    """A bare loop on the same moto server, the stack idle: per copy only what a copy cannot do without, one
    CopyObject of the revision's file and one DynamoDB write. The whole pipeline's pace is compared with it."""
    dynamodb, s3, table = bench.client("dynamodb"), bench.client("s3"), load_table_name()
    key = {"pk": {"S": f"PROJECT#{bench.up}"}, "sk": {"S": f"REVISION#{revision_id}"}}
    item = dynamodb.get_item(TableName=table, Key=key, ConsistentRead=True)["Item"]
    source = {"Bucket": item["bucket"]["S"], "Key": item["file_key"]["S"], "VersionId": item["file_version"]["S"]}
    started = time.monotonic()
    bare_copies(s3, dynamodb, table, source, source["Bucket"], item, copies)
    return {"copies": copies, "seconds": time.monotonic() - started}


def transaction_probe(bench: Bench) -> dict[str, Any]:
    """What one TransactWriteItems costs on this moto server, by its number of items (condition checks on keys
    that do not exist: nothing is written), beside the table's size: moto snapshots the table per item."""
    dynamodb, table = bench.client("dynamodb"), load_table_name()
    items, start = 0, None
    while True:
        page = dynamodb.scan(TableName=table, Select="COUNT", **({"ExclusiveStartKey": start} if start else {}))
        items += int(page["Count"])
        start = page.get("LastEvaluatedKey")
        if not start:
            break
    costs: dict[str, float] = {}
    for size in (1, 6):
        times = []
        for n in range(5):
            checks = [
                {
                    "ConditionCheck": {
                        "TableName": table,
                        "Key": {"pk": {"S": f"BENCH#{n}"}, "sk": {"S": f"NONE#{k}"}},
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                }
                for k in range(size)
            ]
            started = time.monotonic()
            dynamodb.transact_write_items(TransactItems=checks)
            times.append(time.monotonic() - started)
        costs[str(size)] = percentile(times, 50)
    return {"items": items, "seconds": costs}


def take_calls(bench: Bench) -> dict[str, list[float]]:
    """Per-call seconds inside the sync functions since the last take, as 'function|service:Operation'."""
    taken = {f"{function}|{operation}": times for (function, operation), times in bench.calls.items()}
    bench.calls.clear()
    return taken


def single_run(bench: Bench, n: int) -> dict[str, Any]:
    revision = bench.sheet(f"S-{n:03d}")
    sent, answered = bench.publish([revision])
    seen = bench.observe(revision, timeout=60)
    commits = bench.wait_commits([revision], timeout=60)
    bench.settle()  # the digest checks and mails of this run, before the next; every invocation has ended
    last = max(commits.values())
    fanouts = bench.between(FANOUT, sent, last)
    copies = bench.between(COPY, sent, last)
    return {
        "revision": revision,
        "request": answered - sent,
        "committed": [t - answered for t in commits.values()],
        "seen": [t - answered for t in seen.values()],
        "fanout_start": fanouts[0].started - answered if fanouts else None,
        "fanout_run": fanouts[0].busy(last) if fanouts else None,
        "copy_batches": [[i.started - answered, i.started + i.busy(last) - answered, i.records] for i in copies],
    }


def set_run(bench: Bench, revisions: list[str], follow: float) -> dict[str, Any]:
    """The set's drafts published at once, followed for `follow` seconds (the local stack may not finish)."""
    sent, answered = bench.publish(revisions)
    wanted = [(d, r) for d in bench.downs for r in revisions]
    while time.monotonic() < answered + follow and not all(k in bench.committed for k in wanted):
        time.sleep(0.1)
    now = time.monotonic()
    followed = now - answered
    commits = {k: bench.committed[k] - answered for k in wanted if k in bench.committed}
    copies = bench.between(COPY, sent, now)
    complete = [r for r in revisions if all((d, r) in commits for d in bench.downs)]
    done_at = {d: max(commits.get((d, r), math.inf) for r in revisions) for d in bench.downs}
    return {
        "request": answered - sent,
        "followed": followed,
        "wanted": len(wanted),
        "committed": sorted(commits.values()),
        "sheets_everywhere": len(complete),
        "downstream_done": sorted(t for t in done_at.values() if t != math.inf),
        "copy_invocations": len(copies),
        "copy_busy": sum(i.busy(now) for i in copies),
        "copy_records": sum(i.records for i in copies),
        "fanout_busy": sum(i.busy(now) for i in bench.between(FANOUT, sent, now)),
    }


def run(out: str, follow_set: float | None = None) -> None:
    """Each phase's figures are written to `out` as soon as they exist: a run cut short still reports them.
    `follow_set` seconds, when given, replace the set's cap (long enough, the set lands whole)."""
    bench = Bench()
    started = time.monotonic()
    results: dict[str, Any] = {"phases": {}}
    at = started

    def done(name: str, **figures: Any) -> None:
        nonlocal at
        now = time.monotonic()
        results["phases"][name] = now - at
        results["total"] = now - started
        results.update(figures)
        at = now
        with open(out, "w") as fh:
            json.dump(results, fh)

    bench.start()
    try:
        done("start")
        bench.seed()
        bench.connect()
        done("setup", bare=bench.sqs_round_trips())
        take_calls(bench)
        single = [single_run(bench, n) for n in range(SINGLE_RUNS)]
        bench.check_review_queues([r["revision"] for r in single])
        done(
            "single",
            single=single,
            single_calls=take_calls(bench),
            probe=transaction_probe(bench),
            floor=floor(bench, single[0]["revision"]),
        )
        drafts = [bench.sheet(f"T-{n:03d}") for n in range(SET_SIZE)]
        done("100 sheets made")
        follow = min(SET_CAP_SECONDS, max(SET_MIN_SECONDS, BUDGET_SECONDS - (time.monotonic() - started)))
        if follow_set is not None:
            follow = follow_set
        done("set", set=set_run(bench, drafts, follow), set_calls=take_calls(bench))
    finally:
        bench.stop()


# -- the report -----------------------------------------------------------------------------------------------
def median_poller_waits(single: list[dict[str, Any]]) -> float:
    """The 1-sheet runs' median time with no handler at work on the sheet: the local pollers' own share."""
    return statistics.median(_poller_waits(r) for r in single)


def _poller_waits(run: dict[str, Any]) -> float:
    """Time no handler worked on the sheet: publish answer -> fan-out, fan-out -> first copy, between batches."""
    waited = max(0.0, run["fanout_start"] or 0.0)
    busy_until = (run["fanout_start"] or 0.0) + (run["fanout_run"] or 0.0)
    for started, ended, _ in run["copy_batches"]:
        waited += max(0.0, started - busy_until)
        busy_until = max(busy_until, ended)
    return waited


def _split(single: list[dict[str, Any]], calls: dict[str, list[float]]) -> list[str]:
    """The median 1-sheet run, split: the pollers' own waits, the copies' handler time and moto's share of it."""
    last = statistics.median(max(r["committed"]) for r in single)
    waits = median_poller_waits(single)
    busy = sum(e - s for r in single for s, e, _ in r["copy_batches"])
    inside = {key.split("|")[1]: sum(times) for key, times in calls.items() if key.startswith(f"{COPY}|")}
    shares = ", ".join(f"{op} {t / busy:.0%}" for op, t in sorted(inside.items(), key=lambda kv: -kv[1]) if t)
    rest = 1 - sum(inside.values()) / busy
    return [
        f"    median run: last copy at {last * 1000:.0f} ms, of which the pollers' own waits (no handler at work on",
        f"    the sheet) {waits * 1000:.0f} ms; the rest is sync_copy, its batches of 10 one after the other (Lambda",
        "    would run them side by side). Where sync_copy's time went:",
        f"      {shares}, the rest {rest:.0%}",
    ]


def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:.0f}"


def report(results: dict[str, Any], stopped: str = "") -> list[str]:
    """The figures as a table; `stopped` says why a run ended early (its missing phases are left out)."""
    phases = ", ".join(f"{k} {v:.0f} s" for k, v in results.get("phases", {}).items())
    lines = [
        f"Sync latency on the local stack: publish answered -> copy pending_review, {DOWNSTREAMS} downstreams",
        f"  (phases: {phases or 'none'}; setup = {DOWNSTREAMS} requests + approvals, initial syncs and mails settled)",
    ]
    if stopped:
        lines.append(f"  STOPPED EARLY ({stopped}): only the phases above are reported")
    if "single" not in results:
        return lines
    single, big = results["single"], results.get("set")
    lines += [
        "  committed = the copy's transaction answered (timed in the stack's own process, no polling);",
        f"  seen = first seen by a reader polling DynamoDB through moto's endpoint every {POLL_SECONDS * 1000:.0f} ms",
        f"  {'':<48}{'n':>6}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}",
    ]

    def row(label: str, values: list[float]) -> None:
        if not values:
            lines.append(f"  {label:<48}{0:>6}{'-':>9}{'-':>9}{'-':>9}")
            return
        p50, p99 = _ms(percentile(values, 50)), _ms(percentile(values, 99))
        lines.append(f"  {label:<48}{len(values):>6}{p50:>9}{p99:>9}{_ms(max(values)):>9}")

    row(f"1 sheet, {SINGLE_RUNS} runs: per copy, committed", [t for r in single for t in r["committed"]])
    row(f"1 sheet, {SINGLE_RUNS} runs: per copy, seen by the reader", [t for r in single for t in r["seen"]])
    last = [max(r["committed"]) for r in single]
    row(f"1 sheet, {SINGLE_RUNS} runs: last of the {DOWNSTREAMS} copies, committed", last)
    if big is not None:
        row(f"{SET_SIZE} sheets: per copy landed, committed", big["committed"])
        row(f"{SET_SIZE} sheets: downstreams with all {SET_SIZE}", big["downstream_done"])
        lines += _set_summary(big)
        lines += _pipeline_summary(results)
    lines.append("  1 sheet, where the time goes (ms from the publish answer; copy invocations as [start-end jobs]):")
    lines.append(f"    {'run':<5}{'request':>9}{'fan-out at':>12}{'ran':>7}  sync_copy invocations, one at a time")
    for n, r in enumerate(single, 1):
        batches = " ".join(f"[{_ms(s)}-{_ms(e)} {k}]" for s, e, k in r["copy_batches"])
        lines.append(
            f"    {n:<5}{_ms(r['request']):>9}{_ms(r['fanout_start']):>12}{_ms(r['fanout_run']):>7}  {batches}"
        )
    lines += _split(single, results["single_calls"])
    lines.append(f"  AWS calls inside sync_copy, on moto's server:{'':<16}{'calls':>7}{'p50 ms':>9}{'p99 ms':>9}")
    measured = [("1 sheet", results["single_calls"])]
    if big is not None:
        measured.append((f"{SET_SIZE} sheets", results["set_calls"]))
    for label, calls in measured:
        for key, times in sorted(calls.items()):
            function, operation = key.split("|")
            if function == COPY:
                p50, p99 = percentile(times, 50) * 1000, percentile(times, 99) * 1000
                lines.append(f"    {label + ': ' + operation:<58}{len(times):>7}{p50:>9.1f}{p99:>9.1f}")
    probe, bare = results["probe"], results["bare"]
    lines.append(
        f"  one TransactWriteItems on this moto, stack idle, table of {probe['items']} items: "
        f"1 item {probe['seconds']['1'] * 1000:.0f} ms, 6 items {probe['seconds']['6'] * 1000:.0f} ms "
        "(local.emulator journals the items a transaction names instead of moto's copy of the table per item)"
    )
    lines.append(f"  bare moto, stack idle ({ROUND_TRIPS} each):{'':<24}{'p50 ms':>9}{'p99 ms':>9}")
    for label, key in (
        ("SQS send -> a long-polling receiver has it", "round_trip"),
        ("SQS SendMessage call", "send"),
        ("SQS ReceiveMessage call (message waiting)", "receive"),
        ("DynamoDB GetItem call", "get_item"),
    ):
        p50, p99 = percentile(bare[key], 50) * 1000, percentile(bare[key], 99) * 1000
        lines.append(f"    {label:<58}{p50:>9.1f}{p99:>9.1f}")
    return lines


def pipeline_ratio(results: dict[str, Any]) -> tuple[float, float] | None:
    """The set's pace through the whole local pipeline (queues, pollers, moto's server) in copies per second,
    and the bare loop's on the same server: None when either is missing."""
    big, bare = results.get("set"), results.get("floor")
    if not big or not bare or len(big["committed"]) < 2:
        return None
    landed = big["committed"]
    pace = len(landed) / landed[-1] if len(landed) == big["wanted"] else len(landed) / big["followed"]
    return pace, bare["copies"] / bare["seconds"]


def _set_summary(big: dict[str, Any]) -> list[str]:
    landed = len(big["committed"])
    per_copy = big["copy_busy"] / max(1, landed)
    lines = [
        f"  {SET_SIZE} sheets ({big['wanted']} copies): the publish call took {_ms(big['request'])} ms; followed "
        f"{big['followed']:.0f} s after it answered: {landed} copies landed",
        f"    (sheets in all {DOWNSTREAMS} downstreams: {big['sheets_everywhere']}); sync_copy busy "
        f"{big['copy_busy']:.1f} s in {big['copy_invocations']} invocations, ~{per_copy * 1000:.0f} ms per copy landed",
    ]
    if 1 < landed < big["wanted"]:
        rate = landed / (big["committed"][-1] - big["committed"][0])
        lines += [
            f"    not finished: at {rate:.1f} copies/s the last would land after >= {big['wanted'] / rate:.0f} s",
            "    (the local stack runs one sync_copy invocation at a time; Lambda runs up to 50 side by side)",
        ]
    return lines


def _pipeline_summary(results: dict[str, Any]) -> list[str]:
    """Throughput (b): the whole local pipeline against the bare loop, and how much of the gap is moto's."""
    paces = pipeline_ratio(results)
    if paces is None:
        return []
    pace, bare = paces
    big = results["set"]
    inside = sum(t for key, times in results.get("set_calls", {}).items() if key.startswith(f"{COPY}|") for t in times)
    busy = big["copy_busy"] or 1.0
    return [
        f"  whole local pipeline (queues, pollers, moto's server), the set: {pace:.1f} copies/s against a bare loop's "
        f"{bare:.1f}/s",
        f"    (1 CopyObject + 1 DynamoDB write, {results['floor']['copies']} copies, same server, stack idle): "
        f"{pace / bare:.0%}; sync_copy was busy {big['copy_busy'] / max(big['followed'], 1e-9):.0%} of the time "
        f"({inside / busy:.0%} of it waiting on moto's answers),",
        f"    sync_fanout {big.get('fanout_busy', 0.0) / max(big['followed'], 1e-9):.0%}, each one invocation at a "
        "time, all in one Python process with moto's server",
    ]


def main(argv: list[str]) -> int:
    import logging
    import os
    import warnings

    warnings.filterwarnings("ignore", "No application metrics to publish")
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "ERROR")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", help="where the figures are written, as JSON")
    parser.add_argument(
        "--follow-set",
        type=float,
        metavar="SECONDS",
        help=f"follow the set this long after its publish answers (default: at most {SET_CAP_SECONDS:.0f} s); "
        "for a machine too loaded to land all 2,000 copies in the default",
    )
    args = parser.parse_args(argv)
    run(args.out, args.follow_set)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

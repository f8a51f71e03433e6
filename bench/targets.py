"""The performance targets beside this run's figures, in one table: what `make bench` ends with.

Each row takes its figure from a section printed above it in the same run, says what the target is, and
whether this run met it. Where a figure could not be measured here (the emulator is too slow for it), the row
says so and what was measured instead; nothing is carried over from an earlier run.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from typing import Any

from bench import cold, instructions, latency, sync, throughput, thumbnails

LATENCY_P99_SECONDS = 2.0
THROUGHPUT_RATIO = 0.70
PUBLISH_SECONDS = 5.0
PUBLISH_REVISIONS = 2000
COLD_RATIO = 15.0
FLAT = 1.25  # the largest run's per-copy figure may exceed the smallest's by this factor and still be flat


@dataclass(frozen=True)
class Row:
    figure: str
    measured: str
    target: str
    verdict: str  # met / not met / not measured here


def _met(ok: bool) -> str:
    return "met" if ok else "NOT MET"


def sync_calls(measured: list[sync.Measured]) -> Row:
    publish = next(m for m in measured if m.operation == "publish")
    per_copy = publish.per_copy(publish.sync_calls())
    others = ", ".join(f"{m.operation} {m.per_copy(m.sync_calls()):.2f}" for m in measured if m is not publish)
    return Row(
        "AWS calls per copied revision per downstream, publish",
        f"{per_copy:.2f} ({others}; floor 2 with a file)",
        "<= 3",
        _met(per_copy <= 3),
    )


def round_trips() -> Row:
    """The most sequential round trips any API route is pinned at (bench/budgets.py); tests/integration/
    test_call_counts.py fails when a route's counted chain of calls grows past its pin."""
    from bench import budgets as pins

    pinned = {
        name: trips
        for table in (pins.ROUTES, pins.MORE_ROUTES)
        for name, (_, trips, _) in table.items()
        if trips is not None
    }
    worst = max(pinned.values())
    return Row(
        "sequential round trips of an API request (counted, pinned by a test)",
        f"at most {worst} over {len(pinned)} routes",
        f"<= {pins.MAX_ROUND_TRIPS}",
        _met(worst <= pins.MAX_ROUND_TRIPS),
    )


def latency_rows(results: dict[str, Any] | None) -> list[Row]:
    if not results or "single" not in results:
        return [Row("latency, 1 sheet x 20 downstreams", "the local stack's run ended early", "p99 <= 2 s", "-")]
    copies = [t for run in results["single"] for t in run["committed"]]
    p50, p99 = latency.percentile(copies, 50), latency.percentile(copies, 99)
    waits = latency.median_poller_waits(results["single"])
    rows = [
        Row(
            f"latency, 1 sheet x {latency.DOWNSTREAMS} downstreams, publish answer -> copy pending_review",
            f"p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms (local stack; pollers' own waits {waits * 1000:.0f} ms)",
            "p99 <= 2 s",
            _met(p99 <= LATENCY_P99_SECONDS),
        )
    ]
    big = results.get("set")
    label = f"latency, {latency.SET_SIZE} sheets x {latency.DOWNSTREAMS} downstreams"
    if big is None:
        rows.append(Row(label, "not reached", "p50, p99", "not measured here"))
    elif len(big["committed"]) == big["wanted"]:
        p50, p99 = latency.percentile(big["committed"], 50), latency.percentile(big["committed"], 99)
        on_stack = f"p50 {p50:.0f} s, p99 {p99:.0f} s on the local stack (one sync_copy invocation at a time)"
        rows.append(Row(label, on_stack, "p50, p99", "measured"))
    else:
        landed = len(big["committed"])
        rows.append(
            Row(
                label,
                f"{landed} of {big['wanted']} copies in {big['followed']:.0f} s, one sync_copy at a time "
                "(`python -m bench.latency OUT --follow-set 900` follows it longer)",
                "p50, p99",
                "not measured here",
            )
        )
    paces = latency.pipeline_ratio(results)
    if paces is not None:
        pace, bare = paces
        rows.append(
            Row(
                "throughput (b), whole local pipeline (queues included) against a bare loop on the same server",
                f"{pace / bare:.0%} ({pace:.1f} against {bare:.1f} copies/s)",
                "(report)",
                "measured",
            )
        )
    return rows


def publish_row(result: dict[str, Any]) -> Row:
    n, seconds = result["revisions"], result["on_aws_seconds"]
    measured = (
        f"{n:,} revisions answered in {seconds} s, {result['sequential_round_trips']} round trips one after another "
        f"({result['round_trip_seconds']} s of the held latency), {result['our_cpu_seconds']} s of our CPU; "
        f"manifests handed off to {result['handed_off_invocations']} fan-out invocations, the slowest "
        f"{result['handed_off_slowest_seconds']} s"
    )
    verdict = _met(seconds <= PUBLISH_SECONDS) if n >= PUBLISH_REVISIONS else "not measured here"
    return Row(f"one publish of {PUBLISH_REVISIONS:,} revisions, 8 ms held per AWS call", measured, "<= 5 s", verdict)


def throughput_rows(results: list[throughput.Measured]) -> list[Row]:
    rows = []
    main, scale = results[0], results[1:]
    rows.append(
        Row(
            f"throughput (a), initial sync {main.revisions} x {main.downstreams}, handlers invoked directly",
            f"{main.ratio_at(throughput.HELD):.0%} of the floor at 8 ms a call ({main.ratio:.0%} on moto, "
            f"moto {main.moto_seconds / main.seconds:.0%} of the functions' time)",
            ">= 70 % (at 8 ms a call)",
            _met(main.ratio_at(throughput.HELD) >= THROUGHPUT_RATIO),
        )
    )
    if scale:
        sizes = " / ".join(f"{m.revisions:,}" for m in scale)
        own = [1000 * (m.seconds - m.moto_seconds) / m.copies for m in scale]
        calls = [m.calls / m.copies for m in scale]
        peaks = [max(r.peak_bytes for r in m.runs.values()) / 2**20 for m in scale]
        flat = own[-1] <= FLAT * own[0] and calls[-1] <= FLAT * calls[0] and peaks[-1] <= FLAT * peaks[0]
        rows.append(
            Row(
                f"scale, initial sync of {sizes} revisions into one downstream",
                f"own ms/copy {' / '.join(f'{v:.1f}' for v in own)}; calls/copy "
                f"{' / '.join(f'{v:.2f}' for v in calls)}; peak MiB of any invocation "
                f"{' / '.join(f'{v:.1f}' for v in peaks)}",
                "flat, memory bounded",
                _met(flat) + (f" to {scale[-1].revisions:,}" if flat else ""),
            )
        )
    return rows


def cold_row(measured: cold.ColdStarts) -> Row:
    bare, rows = measured.bare, measured.rows
    ratios = {r.module.split(".")[0]: r.import_seconds / bare[0] for r in rows if not r.code}
    cpu = [r.import_cpu_seconds / bare[1] for r in rows if not r.code]
    peak = max(r.peak_bytes for r in rows) / 2**20
    worst = max(ratios, key=lambda name: ratios[name])
    floors = [wall / bare[0] for wall, _ in measured.stack.values()]
    return Row(
        "cold import of each function, ratio to a bare interpreter in this run",
        f"{min(ratios.values()):.0f}-{ratios[worst]:.0f}x wall (worst {worst}), {min(cpu):.0f}-{max(cpu):.0f}x CPU; "
        f"the stack alone, before our code: {floors[0]:.0f}x (botocore) to {floors[-1]:.0f}x (with Powertools' "
        f"REST resolver); first invocation's peak at most {peak:.1f} MiB",
        "<= 15x",
        _met(ratios[worst] <= COLD_RATIO),
    )


def instructions_row(counts: instructions.Counts | None) -> Row:
    name = "cold import of each function in instructions, ratio to the stack's floor as the function uses it"
    if counts is None:
        return Row(name, "not counted: valgrind is not installed", f"<= {instructions.BAR}x", "not measured")
    used = {r.module.split(".")[0]: r.instructions / counts.floor_of(r) for r in counts.rows if not r.code}
    floor = counts.floors[cold.FLOOR]
    plain = [r.instructions / floor for r in counts.rows if not r.code]
    worst = max(used, key=lambda name: used[name])
    return Row(
        name,
        f"{min(used.values()):.2f}-{used[worst]:.2f}x (worst {worst}; the floor with pydantic's model machinery, and "
        f"the REST resolver behind the API); {min(plain):.2f}-{max(plain):.2f}x the floor without them",
        f"<= {instructions.BAR}x",
        _met(used[worst] <= instructions.BAR),
    )


def table(rows: list[Row]) -> list[str]:
    """One row per figure: its verdict and target, then what this run measured, wrapped to the terminal."""
    out = [f"  {'verdict':<18}{'target':<26}figure / measured in this run"]
    for r in rows:
        out.append(f"  {r.verdict:<18}{r.target:<26}{r.figure}")
        out += textwrap.wrap(r.measured, width=118, initial_indent=" " * 46, subsequent_indent=" " * 46)
    return out


def thumbnail_row(drawn: list[thumbnails.Drawn]) -> Row:
    """The busiest sheet's thumbnail: what a file check pays for the largest drawings (no target: reported)."""
    busiest = max(drawn, key=lambda d: (d.detail, d.size == "A0"))
    return Row(
        f"thumbnail of an {busiest.size} sheet of {busiest.detail:,} strokes ({busiest.pdf_bytes / 1024:.0f} KiB PDF)",
        f"{busiest.median_seconds * 1000:.0f} ms ({busiest.first_seconds * 1000:.0f} ms cold), "
        f"{busiest.png_bytes / 1024:.1f} KiB PNG, peak {busiest.peak_mib:.0f} MiB",
        "report",
        "measured",
    )

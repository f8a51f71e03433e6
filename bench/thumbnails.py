"""Thumbnails: the bytes of one, and the time and memory to draw one, from an A3 sheet to an A0 full of line work.

Each size is drawn in a fresh interpreter, as a cold file-check function would: its first thumbnail (PDFium
and Pillow imported on that first use) and then the median of the next ones, with the process's peak resident
memory (PDFium allocates outside Python, so tracemalloc would not see it). `python -m bench.thumbnails`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# (size, rooms, strokes of detail): from a plain A3 to an A0 and an ARCH E as busy as a large CAD export
SHEETS = [("A3", 8, 0), ("A1", 8, 2_000), ("A0", 8, 20_000), ("A0", 40, 200_000), ("ARCH E", 40, 200_000)]
RUNS = 5

_CHILD = """
import io, json, resource, sys, time
from local.drawing_pdf import drawing_pdf
size, rooms, detail, runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
pdf = drawing_pdf("A-900", "Site plan", size=size, rooms=rooms, detail=detail)
started = time.perf_counter()
from connectability.thumbnails import thumbnail
made = thumbnail(io.BytesIO(pdf), "application/pdf")
first = time.perf_counter() - started
times = []
for _ in range(runs):
    started = time.perf_counter()
    thumbnail(io.BytesIO(pdf), "application/pdf")
    times.append(time.perf_counter() - started)
times.sort()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
print(json.dumps({"pdf": len(pdf), "png": len(made.png), "width": made.width, "height": made.height,
                  "first": first, "median": times[len(times) // 2], "peak_kib": peak}))
"""


@dataclass(frozen=True)
class Drawn:
    size: str
    rooms: int
    detail: int
    pdf_bytes: int
    png_bytes: int
    width: int
    height: int
    first_seconds: float
    median_seconds: float
    peak_mib: float


def measure(runs: int = RUNS) -> list[Drawn]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(["shared", "functions", "."])}
    found = []
    for size, rooms, detail in SHEETS:
        out = subprocess.run(
            [sys.executable, "-c", _CHILD, size, str(rooms), str(detail), str(runs)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        got = json.loads(out)
        found.append(
            Drawn(
                size,
                rooms,
                detail,
                got["pdf"],
                got["png"],
                got["width"],
                got["height"],
                got["first"],
                got["median"],
                got["peak_kib"] / 1024,
            )
        )
    return found


def report(drawn: list[Drawn]) -> list[str]:
    lines = ["Thumbnails (file_check: PDFium + Pillow, 320 px box; each size in a fresh interpreter)"]
    for d in drawn:
        lines.append(
            f"  {d.size:<6} {d.detail:>7,} strokes  PDF {d.pdf_bytes / 1024:7.0f} KiB  ->  PNG "
            f"{d.png_bytes / 1024:4.1f} KiB {d.width}x{d.height}  first {d.first_seconds * 1000:5.0f} ms "
            f"(imports included), then {d.median_seconds * 1000:5.0f} ms; peak {d.peak_mib:5.1f} MiB"
        )
    return lines


if __name__ == "__main__":
    print("\n".join(report(measure())))

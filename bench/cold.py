"""Cold starts of every function: its import, and its first invocation.

Import: the median of fresh interpreters importing the handler's module, as a ratio to a bare interpreter in the
same run (the machine is shared; only same-run ratios mean anything). First invocation: in a fresh interpreter on
moto, the Python memory peak (tracemalloc) of importing the handler and handling its sample event of events/,
and, in other fresh interpreters without tracemalloc, the wall time of that first call and of the warm calls
after it (medians). A cold start is the import plus the first call: work moved from one to the other shows.
The harness (moto, and the botocore and pydantic it loads) is in place first, so the peak is the function's own;
moto's own time is in both the first and the warm calls.
The code is measured as `sam build` ships it, in a scratch copy: the shared layer built by shared/Makefile where
there is one (with its bytecode), else its sources; the functions' sources. No bytecode is written meanwhile:
Lambda cannot write any, and a developer's __pycache__ would flatter the sources.
`python -m bench.cold` prints them; `--against REF` measures that git revision's shared/ and functions/ in the
same run, row by row; `make bench` prints them after the call counts.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_FIRST_CALL = """
import importlib, json, sys, time, tracemalloc
import tests.conftest
from moto import mock_aws
from local.events import LambdaContext
from local.template import create_resources, load
module, sample = sys.argv[1], sys.argv[2]
event = json.loads(open(sample).read())
traced = sys.argv[3] == "traced"
with mock_aws():
    create_resources(load())
    if traced:
        tracemalloc.start()
    handler = importlib.import_module(module).lambda_handler
    context = LambdaContext(module.split(".")[0])
    started = time.perf_counter()
    handler(event, context)
    first = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    warm = []
    for _ in range(0 if traced else 10):
        started = time.perf_counter()
        handler(event, context)
        warm.append(time.perf_counter() - started)
print(json.dumps({"peak": peak, "first": first, "warm": sorted(warm)[len(warm) // 2] if warm else 0.0}))
"""


def handler_modules() -> list[str]:
    """Every function's handler module, as template.yaml names them."""
    from local.template import load

    return sorted({spec.handler.rsplit(".", 1)[0] for spec in load().functions.values()})


def shipped(source: Path, into: Path) -> list[Path]:
    """The import paths of the code at `source` as `sam build` ships it, built in `into`: shared/ by its Makefile
    where it has one (template.yaml, SharedLayer), else as it is; functions/ as it is. No __pycache__ copied."""
    no_caches = shutil.ignore_patterns("__pycache__")
    shutil.copytree(source / "functions", into / "functions", ignore=no_caches)
    if (source / "shared" / "Makefile").exists():
        layer = into / "layer"
        build = ["make", "-s", "-C", str(source / "shared"), "build-SharedLayer"]
        subprocess.run([*build, f"ARTIFACTS_DIR={layer}", f"PYTHON={sys.executable}"], check=True)
        return [layer / "python", into / "functions"]
    shutil.copytree(source / "shared", into / "shared", ignore=no_caches)
    return [into / "shared", into / "functions"]


def _environment(paths: list[Path]) -> dict[str, str]:
    searched = os.pathsep.join(str(p) for p in [*paths, ROOT])
    return {**os.environ, "PYTHONPATH": searched, "PYTHONDONTWRITEBYTECODE": "1"}


def import_seconds(code: str, paths: list[Path], runs: int = 5) -> float:
    """Median wall time of a fresh interpreter running `code` (importing the code at `paths`)."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=_environment(paths), check=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _first_call(module: str, paths: list[Path], traced: bool) -> dict[str, float]:
    sample = sorted((ROOT / "events" / module.split(".")[0]).glob("*.json"))[0]
    answer = subprocess.run(
        [sys.executable, "-c", _FIRST_CALL, module, str(sample), "traced" if traced else "timed"],
        cwd=ROOT,
        env=_environment(paths),
        check=True,
        capture_output=True,
        text=True,
    )
    return dict(json.loads(answer.stdout.strip().splitlines()[-1]))


def first_invocation_peak(module: str, paths: list[Path]) -> int:
    """Bytes at the Python memory peak of importing the handler and handling its first sample event."""
    return int(_first_call(module, paths, traced=True)["peak"])


def invocation_seconds(module: str, paths: list[Path], runs: int = 3) -> tuple[float, float]:
    """Medians over fresh interpreters of the first call's wall time and of a warm call's (its sample event)."""
    answers = [_first_call(module, paths, traced=False) for _ in range(runs)]
    return statistics.median(a["first"] for a in answers), statistics.median(a["warm"] for a in answers)


@dataclass(frozen=True)
class ColdStart:
    module: str
    code: str  # "" for this working tree, else the git revision measured
    import_seconds: float
    peak_bytes: int
    first_seconds: float
    warm_seconds: float


def measure(module: str, code: str, paths: list[Path], runs: int) -> ColdStart:
    first, warm = invocation_seconds(module, paths)
    return ColdStart(
        module, code, import_seconds(f"import {module}", paths, runs), first_invocation_peak(module, paths), first, warm
    )


def cold_starts(runs: int = 5, against: str | None = None) -> tuple[float, list[ColdStart]]:
    """The bare interpreter's time, then each handler module's cold start (and the other revision's, row by row)."""
    with tempfile.TemporaryDirectory() as scratch:
        codes = {"": shipped(ROOT, Path(scratch) / "tree")}
        if against:
            codes[against] = shipped(_export(against, Path(scratch) / "source"), Path(scratch) / "revision")
        bare = import_seconds("pass", [], runs)
        return bare, [measure(m, code, paths, runs) for m in handler_modules() for code, paths in codes.items()]


def _export(revision: str, into: Path) -> Path:
    """shared/ and functions/ as they are at a git revision (the harness stays this tree's)."""
    archive = subprocess.run(
        ["git", "archive", revision, "shared", "functions"], cwd=ROOT, check=True, capture_output=True
    ).stdout
    into.mkdir(parents=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", metavar="REF", help="also measure this git revision, row by row")
    parser.add_argument("--runs", type=int, default=5, help="fresh interpreters per import median")
    args = parser.parse_args(argv)
    bare, rows = cold_starts(args.runs, args.against)
    print(f"Cold start: import (median of {args.runs} fresh interpreters, ratio to a bare one in this run);")
    print("first invocation (import + one sample event of events/, on moto): memory peak (tracemalloc),")
    print("wall time of the first call and of a warm call after it (medians of 3 fresh interpreters)")
    print(f"  {bare * 1000:7.0f} ms  x{1:5.1f}                                  bare interpreter")
    for r in rows:
        label = f"{r.module} ({r.code})" if r.code else r.module
        print(
            f"  {r.import_seconds * 1000:7.0f} ms  x{r.import_seconds / bare:5.1f}  {r.peak_bytes / 2**20:6.1f} MiB"
            f"  first {r.first_seconds * 1000:6.1f} ms  warm {r.warm_seconds * 1000:6.1f} ms  {label}"
        )


if __name__ == "__main__":
    main()

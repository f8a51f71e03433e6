"""Cold starts of every function: its import, and its first invocation.

Import: the median of fresh interpreters importing the handler's module, as a ratio to a bare interpreter in the
same run (the machine is shared; only same-run ratios mean anything). First invocation: in a fresh interpreter on
moto, the Python memory peak (tracemalloc) of importing the handler and handling its sample event of events/.
The harness (moto, and the botocore and pydantic it loads) is in place first, so the peak is the function's own.
`python -m bench.cold` prints both; `make bench` prints them after the call counts.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_FIRST_CALL = """
import importlib, json, sys, tracemalloc
import tests.conftest
from moto import mock_aws
from local.events import LambdaContext
from local.template import create_resources, load
module, sample = sys.argv[1], sys.argv[2]
event = json.loads(open(sample).read())
with mock_aws():
    create_resources(load())
    tracemalloc.start()
    handler = importlib.import_module(module).lambda_handler
    handler(event, LambdaContext(module.split(".")[0]))
    peak = tracemalloc.get_traced_memory()[1]
print(json.dumps({"peak": peak}))
"""


def handler_modules() -> list[str]:
    """Every function's handler module, as template.yaml names them."""
    from local.template import load

    return sorted({spec.handler.rsplit(".", 1)[0] for spec in load().functions.values()})


def _environment(code_root: Path) -> dict[str, str]:
    paths = [code_root / "shared", code_root / "functions", ROOT]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(str(p) for p in paths)}


def import_seconds(code: str, runs: int = 5, code_root: Path = ROOT) -> float:
    """Median wall time of a fresh interpreter running `code` (imports from code_root's shared/ and functions/)."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=_environment(code_root), check=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def first_invocation_peak(module: str, code_root: Path = ROOT) -> int:
    """Bytes at the Python memory peak of importing the handler and handling its first sample event."""
    sample = sorted((ROOT / "events" / module.split(".")[0]).glob("*.json"))[0]
    answer = subprocess.run(
        [sys.executable, "-c", _FIRST_CALL, module, str(sample)],
        cwd=ROOT,
        env=_environment(code_root),
        check=True,
        capture_output=True,
        text=True,
    )
    return int(json.loads(answer.stdout.strip().splitlines()[-1])["peak"])


def cold_starts(runs: int = 5) -> tuple[float, list[tuple[str, float, int]]]:
    """The bare interpreter's time, then each handler module's import time and first-invocation peak."""
    bare = import_seconds("pass", runs)
    rows = [(m, import_seconds(f"import {m}", runs), first_invocation_peak(m)) for m in handler_modules()]
    return bare, rows


def main() -> None:
    bare, rows = cold_starts()
    print("Cold start: import (median of 5 fresh interpreters, ratio to a bare one in this run);")
    print("first invocation's memory peak (tracemalloc: import + one sample event of events/, on moto)")
    print(f"  {bare * 1000:7.0f} ms  x{1:5.1f}             bare interpreter")
    for module, seconds, peak in rows:
        print(f"  {seconds * 1000:7.0f} ms  x{seconds / bare:5.1f}  {peak / 2**20:6.1f} MiB  {module}")


if __name__ == "__main__":
    main()

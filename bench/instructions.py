"""Cold import counted in instructions: what importing each function's handler executes, counted by valgrind
(callgrind), beside the stack's floors counted alike.

A time moves with the machine's load (bench/cold.py takes medians of ratios and still sees about +-10 % on this
shared machine); a count of instructions is the same in every run, as a count of AWS calls is, so a cut of 2 % shows
as 2 % and a ratio to the floor is exact. It is a proxy: an instruction is not a fixed time (caches, branches), and
valgrind runs the import about 40x slower, so only its counts are kept. Built, hashed (PYTHONHASHSEED=0) and
imported as bench/cold.py imports them: the code as `sam build` ships it, the layers and the standard library alone
on the path, tracing on, to the end of the init.

Each function's import is given as a ratio to the stack's floor (botocore, pydantic, PynamoDB, Powertools' Logger,
Metrics and Tracer), to the stack as every function uses it (that floor with pydantic's model machinery: the floor's
`import pydantic` loads only its lazy `__init__`, the first model class pulls the rest in, and every function
defines models) and, for the functions behind the API, to that with Powertools' REST resolver, validating (the
event handler the stack chose for them). The verdict holds each function to 1.25x the floor of what it uses.
`python -m bench.instructions [--against REF]`; `make bench` prints it where valgrind is installed.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from bench import cold

BAR = 1.25  # issue 21: a function's import, at most this times the floor of the stack as it uses it
_COLLECTED = re.compile(r"Collected : (\d+)")


def available() -> bool:
    return shutil.which("valgrind") is not None


def count(code: str, paths: list[Path]) -> int:
    """Instructions a fresh interpreter executes running `code` (with the code at `paths`), as in Lambda."""
    run = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, "-c", code],
        cwd=cold.ROOT,
        env={**cold._environment(paths), "PYTHONHASHSEED": "0"},
        capture_output=True,
        text=True,
        check=True,
    )
    found = _COLLECTED.search(run.stderr)
    if found is None:
        raise RuntimeError(f"valgrind printed no count: {run.stderr[-400:]}")
    return int(found.group(1))


@dataclass(frozen=True)
class Counted:
    module: str
    code: str  # "" for this working tree, else the git revision counted
    instructions: int
    api: bool  # behind the API: its floor has the REST resolver


@dataclass(frozen=True)
class Counts:
    floors: dict[str, int]  # the stack's own imports, as bench.cold.stack() lists them
    rows: list[Counted]

    def floor_of(self, row: Counted) -> int:
        """The stack as the function uses it: with the model machinery, and the resolver behind the API."""
        return self.floors[cold.RESOLVER if row.api else cold.MODEL]


def api_modules() -> set[str]:
    """The handler modules of the functions template.yaml routes API requests to."""
    from local.template import load

    stack = load()
    return {stack.functions[route.function].handler.rsplit(".", 1)[0] for route in stack.routes}


def measure(against: str | None = None, workers: int | None = None) -> Counts:
    """The floors and every function's import (and, row by row, the revision `against`'s), two at a time."""
    with tempfile.TemporaryDirectory() as scratch:
        trees = {"": cold.shipped(cold.ROOT, Path(scratch) / "tree")}
        if against:
            trees[against] = cold.shipped(cold._export(against, Path(scratch) / "source"), Path(scratch) / "revision")
        jobs: dict[tuple[str, str], tuple[str, list[Path]]] = {
            ("floor", name): (cold._AS_IN_LAMBDA.format(code), trees[""]) for name, code in cold.stack().items()
        }
        for module in cold.handler_modules():
            for code, paths in trees.items():
                if (paths[-1] / module.split(".")[0]).is_dir():  # an older revision may not have the function yet
                    jobs[(code, module)] = (cold._AS_IN_LAMBDA.format(f"import {module}"), paths)
        with ThreadPoolExecutor(workers or os.cpu_count() or 1) as pool:
            counted = dict(zip(jobs, pool.map(lambda job: count(*job), jobs.values()), strict=True))
    api = api_modules()
    floors = {name: n for (kind, name), n in counted.items() if kind == "floor"}
    rows = [Counted(m, code, n, m in api) for (code, m), n in counted.items() if code != "floor"]
    return Counts(floors, sorted(rows, key=lambda r: (r.module, r.code)))


def report(counts: Counts) -> list[str]:
    floor, model = counts.floors[cold.FLOOR], counts.floors[cold.MODEL]
    lines = ["Cold import in instructions (valgrind; the same in every run), millions, and as ratios to the floors:"]
    lines += [f"  {n / 1e6:8.1f} M  x{n / floor:5.3f}  {name}" for name, n in counts.floors.items()]
    lines.append(
        f"  {'':10}  {'x floor':>7}  {'x + model':>9}  {'x + resolver':>12}  {'x as used':>9}  verdict (bar {BAR}x)"
    )
    for r in counts.rows:
        used = r.instructions / counts.floor_of(r)
        resolver = f"{r.instructions / counts.floors[cold.RESOLVER]:12.3f}" if r.api else f"{'-':>12}"
        label = f"{r.module} ({r.code})" if r.code else r.module
        lines.append(
            f"  {r.instructions / 1e6:8.1f} M  {r.instructions / floor:7.3f}  {r.instructions / model:9.3f}  "
            f"{resolver}  {used:9.3f}  {'met' if used <= BAR else 'NOT met':<8} {label}"
        )
    return lines


def main(argv: list[str] | None = None) -> Counts | None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", metavar="REF", help="also count this git revision, row by row")
    args = parser.parse_args(argv)
    if not available():
        print("Cold import in instructions: skipped, valgrind is not installed (apt-get install valgrind)")
        return None
    counts = measure(args.against)
    print("\n".join(report(counts)), flush=True)
    return counts


if __name__ == "__main__":
    main()

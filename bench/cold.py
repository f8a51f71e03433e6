"""Cold starts of every function: its import, and its first invocation.

Import: the median of fresh interpreters importing the handler's module, as a ratio to a bare interpreter in the
same run (the machine is shared; only same-run ratios mean anything), in wall time and in CPU time (user + system,
which others' load on the machine disturbs far less). Revisions and the bare interpreter take turns, run by run,
so that a change in the machine's load falls on all of them alike. First invocation: in a fresh interpreter on
moto, the Python memory peak (tracemalloc) of importing the handler and handling its sample event of events/,
and, in other fresh interpreters without tracemalloc, the wall time of that first call and of the warm calls
after it (medians). A cold start is the import plus the first call: work moved from one to the other shows.
The harness (moto, and the botocore and pydantic it loads) is in place first, so the peak is the function's own;
moto's own time is in both the first and the warm calls. Both run as in Lambda: tracing and metrics on (the X-Ray
SDK is imported and records; nothing listens for its segments), the import with the layers and the standard
library alone on the path, timed to the end of the function's init (not the interpreter's teardown after it).
The code is measured as `sam build` ships it, in a scratch copy built for this machine: the third-party layer by
layers/deps/Makefile where there is one (the pinned wheels with their bytecode), else as SAM's python builder
ships it (the wheels' sources alone); the shared layer by shared/Makefile where there is one (with its bytecode),
else its sources; the functions' sources. No bytecode is written meanwhile: Lambda cannot write any, and a
developer's __pycache__ would flatter the sources.
`python -m bench.cold` prints them; `--against REF` measures that git revision's shared/ and functions/ in the
same run, row by row; `make bench` prints them after the call counts.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
Seconds = tuple[float, float]  # wall, CPU

_FIRST_CALL = """
import importlib, json, os, sys, time, tracemalloc
from local.world import set_environment
set_environment()
for off in ("POWERTOOLS_TRACE_DISABLED", "POWERTOOLS_METRICS_DISABLED"):  # the tests' switches; on in Lambda
    os.environ.pop(off)
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
    started, cpu = time.perf_counter(), time.process_time()
    handler(event, context)
    first, first_cpu = time.perf_counter() - started, time.process_time() - cpu
    peak = tracemalloc.get_traced_memory()[1]
    warm = []
    for _ in range(0 if traced else 10):
        started = time.perf_counter()
        handler(event, context)
        warm.append(time.perf_counter() - started)
warm = sorted(warm)[len(warm) // 2] if warm else 0.0
print(json.dumps({"peak": peak, "first": first, "first_cpu": first_cpu, "warm": warm}))
"""


def handler_modules() -> list[str]:
    """Every function's handler module, as template.yaml names them."""
    from local.template import load

    return sorted({spec.handler.rsplit(".", 1)[0] for spec in load().functions.values()})


def shipped(source: Path, into: Path) -> list[Path]:
    """The import paths of the code at `source` as `sam build` ships it, built in `into` for this machine: the
    third-party layer and shared/ each by its Makefile where it has one (template.yaml, DepsLayer and SharedLayer),
    else as SAM's python builder would (the wheels' sources; shared/ as it is); functions/ as it is. The layers
    come first on the path, before this environment's site-packages. No __pycache__ copied."""
    no_caches = shutil.ignore_patterns("__pycache__")
    shutil.copytree(source / "functions", into / "functions", ignore=no_caches)
    deps = into / "deps"
    if (source / "layers" / "deps" / "Makefile").exists():
        build = ["make", "-s", "-C", str(source / "layers" / "deps"), "build-DepsLayer", "PLATFORM="]
        subprocess.run([*build, f"ARTIFACTS_DIR={deps}", f"PYTHON={sys.executable}"], check=True, capture_output=True)
    else:
        install = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile"]
        requirements = source / "layers" / "deps" / "requirements.txt"
        subprocess.run([*install, "--target", str(deps / "python"), "-r", str(requirements)], check=True)
    if (source / "shared" / "Makefile").exists():
        layer = into / "layer"
        build = ["make", "-s", "-C", str(source / "shared"), "build-SharedLayer"]
        subprocess.run([*build, f"ARTIFACTS_DIR={layer}", f"PYTHON={sys.executable}"], check=True)
        return [deps / "python", layer / "python", into / "functions"]
    shutil.copytree(source / "shared", into / "shared", ignore=no_caches)
    return [deps / "python", into / "shared", into / "functions"]


# As in Lambda, where template.yaml turns tracing on: Powertools' Tracer then imports the X-Ray SDK, which reads
# the invocation's trace header from the environment.
LAMBDA = {
    "LAMBDA_TASK_ROOT": "/var/task",
    "_X_AMZN_TRACE_ID": "Root=1-67890abc-0123456789abcdef01234567;Parent=0123456789abcdef;Sampled=1",
}
# An import as in Lambda: the layers, the function and the standard library, not this environment's site-packages
# (its test tools would be found and patched by the X-Ray SDK); and the end of init, not the interpreter's own
# end, which Lambda never waits for (tearing down what the imports made costs about a third as much again).
_AS_IN_LAMBDA = (
    "import os, sys\nsys.path[:] = [p for p in sys.path if not p.endswith('site-packages')]\n{}\nos._exit(0)"
)
_BARE = _AS_IN_LAMBDA.format("pass")


def _environment(paths: list[Path]) -> dict[str, str]:
    searched = os.pathsep.join(str(p) for p in [*paths, ROOT])
    return {**os.environ, **LAMBDA, "PYTHONPATH": searched, "PYTHONDONTWRITEBYTECODE": "1"}


def _timed(code: str, paths: list[Path]) -> Seconds:
    """Wall and CPU seconds of a fresh interpreter running `code` (importing the code at `paths`)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=_environment(paths), check=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def import_seconds(codes: dict[str, str], paths: dict[str, list[Path]], runs: int = 5) -> dict[str, Seconds]:
    """Median wall and CPU seconds of each of `codes` in fresh interpreters, each importing from its `paths`;
    they take turns, run by run."""
    samples: dict[str, list[Seconds]] = {name: [] for name in codes}
    for _ in range(runs):
        for name, code in codes.items():
            samples[name].append(_timed(code, paths[name]))
    return {
        name: (statistics.median(w for w, _ in taken), statistics.median(c for _, c in taken))
        for name, taken in samples.items()
    }


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


def invocation_seconds(module: str, paths: list[Path], runs: int = 3) -> tuple[float, float, float]:
    """Medians over fresh interpreters of the first call's wall and CPU time, and of a warm call's wall time."""
    answers = [_first_call(module, paths, traced=False) for _ in range(runs)]
    return tuple(statistics.median(a[key] for a in answers) for key in ("first", "first_cpu", "warm"))  # type: ignore[return-value]


@dataclass(frozen=True)
class ColdStart:
    module: str
    code: str  # "" for this working tree, else the git revision measured
    import_seconds: float
    import_cpu_seconds: float
    peak_bytes: int
    first_seconds: float
    first_cpu_seconds: float
    warm_seconds: float


def stack() -> dict[str, str]:
    """What the chosen stack costs to import before any code of ours, each line adding to the one above (the
    Tracer on, as in Lambda). Powertools comes through connectability.observability, a few lines that make the
    three (and, through the package's `__init__`, keep the event handler's import-everything `__init__` out). The
    cycle collector is paused meanwhile, as every function's package pauses it for its init."""
    imports = "import gc\ngc.disable()\nimport botocore.session, botocore.client"
    steps = {"the stack: botocore, one client's modules": imports}
    imports += ", pydantic, pynamodb.models"
    steps["  + pydantic, PynamoDB's models"] = imports
    imports += "\nimport connectability.observability"  # Powertools' three, as every function makes them
    steps["  + Powertools Logger, Metrics and Tracer"] = imports
    imports += """
from aws_lambda_powertools.event_handler.api_gateway import APIGatewayRestResolver
APIGatewayRestResolver(enable_validation=True)"""
    steps["  + Powertools REST resolver, validating"] = imports
    return steps


@dataclass(frozen=True)
class ColdStarts:
    bare: Seconds
    rows: list[ColdStart]
    stack: dict[str, Seconds]  # the stack's own imports, as stack() lists them


def cold_starts(runs: int = 5, against: str | None = None) -> ColdStarts:
    """The bare interpreter's wall and CPU time, the stack's own imports, then each handler module's cold start
    (and the other revision's, row by row)."""
    with tempfile.TemporaryDirectory() as scratch:
        codes = {"": shipped(ROOT, Path(scratch) / "tree")}
        if against:
            codes[against] = shipped(_export(against, Path(scratch) / "source"), Path(scratch) / "revision")
        steps = {name: _AS_IN_LAMBDA.format(code) for name, code in stack().items()}
        floors = import_seconds({"bare": _BARE, **steps}, {"bare": [], **dict.fromkeys(steps, codes[""])}, runs)
        bares, rows = [floors.pop("bare")], []
        for module in handler_modules():
            imports = import_seconds(
                {"bare": _BARE, **{code: _AS_IN_LAMBDA.format(f"import {module}") for code in codes}},
                {"bare": [], **codes},
                runs,
            )
            bares.append(imports["bare"])
            for code, paths in codes.items():
                first, first_cpu, warm = invocation_seconds(module, paths)
                peak = first_invocation_peak(module, paths)
                rows.append(ColdStart(module, code, *imports[code], peak, first, first_cpu, warm))
        bare = (statistics.median(w for w, _ in bares), statistics.median(c for _, c in bares))
        return ColdStarts(bare, rows, floors)


def _export(revision: str, into: Path) -> Path:
    """shared/, functions/ and layers/ as they are at a git revision (the harness stays this tree's)."""
    archive = subprocess.run(
        ["git", "archive", revision, "shared", "functions", "layers"], cwd=ROOT, check=True, capture_output=True
    ).stdout
    into.mkdir(parents=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def main(argv: list[str] | None = None) -> ColdStarts:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", metavar="REF", help="also measure this git revision, row by row")
    parser.add_argument("--runs", type=int, default=5, help="fresh interpreters per import median")
    args = parser.parse_args(argv)
    measured = cold_starts(args.runs, args.against)
    (bare, bare_cpu), rows = measured.bare, measured.rows
    print(f"Cold start: import (median of {args.runs} fresh interpreters; wall and CPU time, each with its ratio to")
    print("a bare interpreter in this run); first invocation (import + one sample event of events/, on moto):")
    print("memory peak (tracemalloc); the first call's wall and CPU time and a warm call's wall time (medians of 3)")
    print(f"  {'import wall':>17}  {'import CPU':>17}  {'peak':>8}  {'first call':>17}  {'warm':>7}")
    print(f"  {bare * 1000:7.0f} ms x{1:5.1f}  {bare_cpu * 1000:7.0f} ms x{1:5.1f}  {'':>8}  {'':>17}  {'':>7}  bare")
    for name, (wall, cpu) in measured.stack.items():
        print(
            f"  {wall * 1000:7.0f} ms x{wall / bare:5.1f}  {cpu * 1000:7.0f} ms x{cpu / bare_cpu:5.1f}  {'':>37}{name}"
        )
    for r in rows:
        label = f"{r.module} ({r.code})" if r.code else r.module
        print(
            f"  {r.import_seconds * 1000:7.0f} ms x{r.import_seconds / bare:5.1f}"
            f"  {r.import_cpu_seconds * 1000:7.0f} ms x{r.import_cpu_seconds / bare_cpu:5.1f}"
            f"  {r.peak_bytes / 2**20:4.1f} MiB"
            f"  {r.first_seconds * 1000:6.1f} / {r.first_cpu_seconds * 1000:6.1f} ms"
            f"  {r.warm_seconds * 1000:4.1f} ms  {label}"
        )
    return measured


if __name__ == "__main__":
    main()

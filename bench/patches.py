"""What each library patch saves: every function's cold import and first call with the patch and without it.

Three patches reach into libraries for speed (README, Architecture): Powertools' packages swapped in `sys.modules`
(connectability.lazy_packages), the cycle collector paused while a function's init imports (functions/*/
__init__.py), and PynamoDB handed the process's one botocore session (connectability.db.base). Each variant here
is this tree with one patch taken out of a copy of its sources, built as `sam build` ships it (bench/cold.py).
In every run, the stack's floor (botocore, pydantic, PynamoDB, Powertools' Logger, Metrics and Tracer: bench.cold's
stack()) and every variant of every function are timed in turn, so a change in the machine's load falls on all
alike; a patch's saving is the difference, run by run and function by function, as a share of that run's floor.
The first call (import done; one sample event of events/ on moto) is timed the same way, in fewer runs.
`python -m bench.patches --runs 15 --first-runs 5` prints medians and quartiles; the machine's load beside them.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench import cold

ROOT = cold.ROOT
Edit = tuple[str, str, str]  # a glob of files under the tree, a text each must hold, what it becomes


@dataclass(frozen=True)
class Patch:
    name: str
    edits: tuple[Edit, ...]


PATCHES = (
    Patch(
        "Powertools' package __init__s as they are (no lazy stand-ins)",
        (("shared/connectability/__init__.py", "\nlazy_packages.install()", "\n"),),
    ),
    Patch("the cycle collector not paused during init", (("functions/*/__init__.py", "\ngc.disable()\n", "\n"),)),
    Patch(
        "PynamoDB making its own botocore sessions",
        (("shared/connectability/db/base.py", "\npynamodb.connection.base.get_session = _one_session\n", "\n"),),
    ),
)
MAIN = "as shipped"
FLOOR = "  + Powertools Logger, Metrics and Tracer"  # the stack floor's step of bench.cold.stack()


def without(patch: Patch, into: Path) -> Path:
    """A copy of this tree's shared/ and functions/ with `patch` taken out; fails if the code no longer holds it."""
    for part in ("shared", "functions"):
        shutil.copytree(ROOT / part, into / part, ignore=shutil.ignore_patterns("__pycache__"))
    for pattern, old, new in patch.edits:
        files = sorted(into.glob(pattern))
        assert files, f"{pattern}: no such file"
        for path in files:
            text = path.read_text()
            assert old in text, f"{path.relative_to(into)} no longer holds {old.strip()!r}: update bench/patches.py"
            path.write_text(text.replace(old, new))
    return into


def built(source: Path, deps: Path, into: Path) -> list[Path]:
    """The import paths of `source`'s shared layer (by its Makefile, with bytecode) and functions, on `deps`."""
    layer = into / "layer"
    build = ["make", "-s", "-C", str(source / "shared"), "build-SharedLayer"]
    subprocess.run([*build, f"ARTIFACTS_DIR={layer}", f"PYTHON={sys.executable}"], check=True)
    shutil.copytree(source / "functions", into / "functions", ignore=shutil.ignore_patterns("__pycache__"))
    return [deps, layer / "python", into / "functions"]


@dataclass
class Samples:
    """Seconds (wall, CPU) per run: the floor's, and each (variant, module)'s."""

    floor: list[cold.Seconds] = field(default_factory=list)
    bare: list[cold.Seconds] = field(default_factory=list)
    rows: dict[tuple[str, str], list[cold.Seconds]] = field(default_factory=dict)

    def add(self, variant: str, module: str, seconds: cold.Seconds) -> None:
        self.rows.setdefault((variant, module), []).append(seconds)


def measure_imports(trees: dict[str, list[Path]], modules: list[str], runs: int) -> Samples:
    floor_code = cold._AS_IN_LAMBDA.format(cold.stack()[FLOOR])
    samples = Samples()
    for _ in range(runs):
        samples.bare.append(cold._timed(cold._BARE, []))
        samples.floor.append(cold._timed(floor_code, trees[MAIN]))
        for module in modules:
            for variant, paths in trees.items():
                samples.add(variant, module, cold._timed(cold._AS_IN_LAMBDA.format(f"import {module}"), paths))
    return samples


def measure_first_calls(trees: dict[str, list[Path]], modules: list[str], runs: int) -> Samples:
    samples = Samples()
    for _ in range(runs):
        for module in modules:
            for variant, paths in trees.items():
                answer = cold._first_call(module, paths, traced=False)
                samples.add(variant, module, (answer["first"], answer["first_cpu"]))
    return samples


def quartiles(values: list[float]) -> tuple[float, float, float]:
    if len(values) < 2:
        return (values[0],) * 3 if values else (float("nan"),) * 3
    q1, q2, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return q1, q2, q3


def savings(
    samples: Samples, variant: str, of: Callable[[cold.Seconds], float], floor: bool, only: str | None = None
) -> list[float]:
    """Per run and function (or `only` that function): (variant - as shipped), as a share of that run's floor (or
    in ms)."""
    found = []
    for (name, module), taken in samples.rows.items():
        if name != variant or only not in (None, module):
            continue
        shipped = samples.rows[(MAIN, module)]
        for n, (without_patch, with_patch) in enumerate(zip(taken, shipped, strict=True)):
            difference = of(without_patch) - of(with_patch)
            found.append(difference / of(samples.floor[n]) if floor else difference * 1000)
    return found


def report(imports: Samples, first: Samples | None, runs: int, first_runs: int, load: str) -> list[str]:
    wall, cpu = (lambda s: s[0]), (lambda s: s[1])
    floor_ms = statistics.median(w for w, _ in imports.floor) * 1000
    bare_ms = statistics.median(w for w, _ in imports.bare) * 1000
    lines = [
        f"Library patches: what each saves ({runs} runs of imports, {first_runs} of first calls; load average {load})",
        f"  the stack's floor {floor_ms:.0f} ms ({floor_ms / bare_ms:.1f}x a bare interpreter, {bare_ms:.0f} ms)",
        "  import, every function as a ratio to the floor in its run (median; quartiles):",
    ]
    variants = sorted({v for v, _ in imports.rows}, key=lambda v: v != MAIN)
    for variant in variants:
        ratios = [
            wall(s) / wall(imports.floor[n])
            for (name, _), taken in imports.rows.items()
            if name == variant
            for n, s in enumerate(taken)
        ]
        q1, q2, q3 = quartiles(ratios)
        lines.append(f"    {q2:5.2f}x ({q1:.2f}-{q3:.2f})  {variant}")
    modules = sorted({m for _, m in imports.rows})
    shipped = {
        m: statistics.median(wall(s) / wall(imports.floor[n]) for n, s in enumerate(imports.rows[(MAIN, m)]))
        for m in modules
    }
    lines.append("    as shipped, by function: " + ", ".join(f"{m.split('.')[0]} {r:.2f}x" for m, r in shipped.items()))
    lines.append("  saving of each patch (without it minus with it), run by run and function by function:")
    for variant in variants[1:]:
        w1, w2, w3 = quartiles(savings(imports, variant, wall, floor=True))
        c1, c2, c3 = quartiles(savings(imports, variant, cpu, floor=True))
        lines.append(
            f"    import: wall {w2:+.1%} of the floor ({w1:+.1%} to {w3:+.1%}), CPU {c2:+.1%} ({c1:+.1%} to {c3:+.1%})"
        )
        if first is not None:
            f1, f2, f3 = quartiles(savings(first, variant, wall, floor=False))
            g1, g2, g3 = quartiles(savings(first, variant, cpu, floor=False))
            lines.append(
                f"    first call: wall {f2:+.1f} ms ({f1:+.1f} to {f3:+.1f}), CPU {g2:+.1f} ms ({g1:+.1f} to {g3:+.1f})"
            )
        by_function = []
        for m in modules:
            saved = f"{statistics.median(savings(imports, variant, cpu, floor=True, only=m)):+.0%}"
            if first is not None:
                saved += f" {statistics.median(savings(first, variant, cpu, floor=False, only=m)):+.0f} ms"
            by_function.append(f"{m.split('.')[0]} {saved}")
        lines.append("    by function, CPU (import, median; first call): " + ", ".join(by_function))
        lines.append(f"      {variant}")
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="runs of every import")
    parser.add_argument("--first-runs", type=int, default=3, help="runs of every first call (0: none)")
    parser.add_argument("--module", action="append", help="only these handler modules (default: every function)")
    args = parser.parse_args(argv)
    load = ", ".join(f"{n:.1f}" for n in os.getloadavg())
    modules = args.module or cold.handler_modules()
    with tempfile.TemporaryDirectory() as scratch:
        shipped = cold.shipped(ROOT, Path(scratch) / "tree")
        trees = {MAIN: shipped}
        for n, patch in enumerate(PATCHES):
            source = without(patch, Path(scratch) / f"source{n}")
            trees[patch.name] = built(source, shipped[0], Path(scratch) / f"variant{n}")
        imports = measure_imports(trees, modules, args.runs)
        first = measure_first_calls(trees, modules, args.first_runs) if args.first_runs else None
    end = ", ".join(f"{n:.1f}" for n in os.getloadavg())
    print("\n".join(report(imports, first, args.runs, args.first_runs, f"{load} at start, {end} at the end")))


if __name__ == "__main__":
    main()

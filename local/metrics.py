"""What the functions would publish to CloudWatch, kept where a developer can read it: GET /_local/metrics.

Powertools writes each invocation's metrics as one line of CloudWatch's embedded metric format (EMF) on
standard output, where Lambda hands it to CloudWatch. Locally that line (which an execution environment sends to
the stack's process, local/workers.py) is taken off standard output (the terminal stays readable) and kept,
newest last.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from datetime import UTC, datetime
from typing import Any, TextIO

KEEP = 1000
EMF_START = '{"_aws":'


class MetricsSink:
    """Stands in for standard output: EMF lines are kept, everything else passes through."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.items: deque[dict[str, Any]] = deque(maxlen=KEEP)
        self._state = threading.local()

    def write(self, text: str) -> int:
        if text.startswith(EMF_START):
            try:
                self.items.append(summary(json.loads(text)))
            except ValueError:
                return self.out.write(text)
            # print() writes the line's end separately; an execution environment's line comes whole
            self._state.swallow_newline = not text.endswith("\n")
            return len(text)
        if text == "\n" and getattr(self._state, "swallow_newline", False):
            self._state.swallow_newline = False
            return 1
        self._state.swallow_newline = False
        return self.out.write(text)

    def flush(self) -> None:
        self.out.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.out, name)

    def totals(self) -> dict[str, float]:
        """Each metric summed over everything kept (a Count is a count; for Seconds see the items)."""
        sums: dict[str, float] = {}
        for item in self.items:
            for name, value in item["metrics"].items():
                sums[name] = sums.get(name, 0.0) + sum(value if isinstance(value, list) else [value])
        return sums


def summary(emf: dict[str, Any]) -> dict[str, Any]:
    """One EMF document as a developer reads it: when, which namespace and dimensions, which values."""
    spec = emf["_aws"]
    directive = (spec.get("CloudWatchMetrics") or [{}])[0]
    names = [m["Name"] for m in directive.get("Metrics", [])]
    dimensions = [d for group in directive.get("Dimensions", []) for d in group]
    return {
        "at": datetime.fromtimestamp(spec.get("Timestamp", 0) / 1000, UTC).isoformat(),
        "namespace": directive.get("Namespace"),
        "dimensions": {d: emf.get(d) for d in dimensions},
        "metrics": {n: emf.get(n) for n in names},
        "units": {m["Name"]: m.get("Unit") for m in directive.get("Metrics", [])},
    }

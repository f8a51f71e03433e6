"""Which fault points of test_pipeline_faults.py a `make test` run tries: a seventh of them, chosen by the day, so
the runs of seven days in a row try every point at least once; and which way each fails, shifted every week, so
four weeks try each point each way. `make faults` tries every point; FAULT_POINTS picks some, FAULT_KIND the way.

The seed is the day (UTC), printed at the end of a pytest run that tried them; FAULT_ROTATION=YYYY-MM-DD replays a
day's points.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, date, datetime

DAYS = 7  # a week of daily runs tries every point
KINDS = ("crash", "throttle", "error", "timeout")


@dataclass(frozen=True)
class Rotation:
    day: date

    @property
    def slice(self) -> int:
        """This day's points are those numbered slice + 1, slice + 8, slice + 15, ..."""
        return self.day.toordinal() % DAYS

    @property
    def shift(self) -> int:
        """How far this week's kinds are shifted along KINDS."""
        return (self.day.toordinal() // DAYS) % len(KINDS)

    def points(self, total: int) -> list[int]:
        return [p for p in range(1, total + 1) if (p - 1) % DAYS == self.slice]

    def kind(self, point: int) -> str:
        return KINDS[(point - 1 + self.shift) % len(KINDS)]

    def describe(self) -> str:
        return (
            f"fault rotation of {self.day.isoformat()}: points {self.slice + 1}, {self.slice + 1 + DAYS}, "
            f"{self.slice + 1 + 2 * DAYS}, ... (one in {DAYS}), kinds shifted by {self.shift}; "
            f"FAULT_ROTATION={self.day.isoformat()} replays it, `make faults` tries every point"
        )


def today() -> Rotation:
    """The rotation of FAULT_ROTATION's day if set, else of today (UTC)."""
    chosen = os.environ.get("FAULT_ROTATION", "")
    return Rotation(date.fromisoformat(chosen) if chosen else datetime.now(UTC).date())


def chosen() -> str:
    """What this run tries, in words: the points asked for, or the day's rotation."""
    if os.environ.get("FAULT_POINTS"):
        return f"fault points: FAULT_POINTS={os.environ['FAULT_POINTS']}" + (
            f", FAULT_KIND={os.environ['FAULT_KIND']}" if os.environ.get("FAULT_KIND") else ""
        )
    return today().describe()

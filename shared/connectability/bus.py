"""EventBridge: events for integrators put on the stack's bus (R44), ten per call as PutEvents takes."""

from __future__ import annotations

from collections.abc import Sequence

from connectability import aws
from connectability.config import get_settings
from connectability.models.events import SOURCE, BusEvent

BATCH = 10  # PutEvents takes at most ten entries
ATTEMPTS = 3


class NotPut(Exception):
    """Some events were refused by EventBridge after ATTEMPTS: the caller's duty stays and is done again."""


def put(events: Sequence[BusEvent]) -> None:
    """Put every event on the bus; entries EventBridge refused are put again, then NotPut is raised."""
    bus = get_settings().event_bus_name
    for start in range(0, len(events), BATCH):
        entries = [
            {"Source": SOURCE, "DetailType": e.type.value, "Detail": e.body(), "EventBusName": bus}
            for e in events[start : start + BATCH]
        ]
        for _ in range(ATTEMPTS):
            answer = aws.events().put_events(Entries=entries)
            if not answer.get("FailedEntryCount"):
                break
            entries = [
                entry for entry, result in zip(entries, answer["Entries"], strict=False) if "ErrorCode" in result
            ]
        else:
            raise NotPut(f"EventBridge refused {len(entries)} events")

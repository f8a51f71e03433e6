"""The outbox relay: does the duties a change recorded but could not finish (DESIGN: nothing is lost)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from connectability.db import outbox as outbox_db
from connectability.domain import drawings, notifications
from connectability.models.common import utcnow
from connectability.observability import logger

# Younger duties are most likely still being done by the request that recorded them.
RELAY_AFTER = timedelta(seconds=30)


def relay_pending(now: datetime | None = None) -> int:
    """Queue the events and write the manifests still pending after RELAY_AFTER; answers how many were done."""
    done = 0
    manifests: dict[str, list[outbox_db.OutboxItem]] = defaultdict(list)
    for item in outbox_db.pending((now or utcnow()) - RELAY_AFTER):
        if item.kind == outbox_db.MANIFEST and item.project_id:
            manifests[item.project_id].append(item)
        else:
            done += notifications.redispatch(item)
    for project_id, intents in manifests.items():
        done += drawings.write_manifests(project_id, intents)
    if done:
        logger.warning("relayed what a change left undone", extra={"count": done})
    return done

"""The outbox relay: does the duties a change recorded but could not finish (DESIGN: nothing is lost)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial

from connectability.db import outbox as outbox_db
from connectability.domain import bus_events, drawing_deletes, initial_sync, manifests, notification_events, revisions
from connectability.models.common import utcnow
from connectability.observability import logger, metrics

# Younger duties are most likely still being done by the request that recorded them.
RELAY_AFTER = timedelta(seconds=30)


def relay_pending(now: datetime | None = None) -> int:
    """Queue the events and write the manifests still pending after RELAY_AFTER; answers how many were done.

    One duty that keeps failing is logged and skipped, never allowed to stop the others; the age of the oldest
    one left is published, and an alarm watches it.
    """
    moment = now or utcnow()
    items = outbox_db.pending(moment - RELAY_AFTER)
    done = 0
    due: dict[str, list[outbox_db.Duty]] = defaultdict(list)
    for item in items:
        if item.kind == outbox_db.MANIFEST and item.project_id:
            due[item.project_id].append(item)
        elif item.kind == outbox_db.DRAWING_DELETE:  # before any manifest: they then read the finished delete
            done += _safely(partial(drawing_deletes.finish_delete, item), item.event_id)
        elif item.kind == outbox_db.FILE_CHECK:
            done += _safely(partial(revisions.request_file_check, item), item.event_id)
        elif item.kind == outbox_db.BUS_EVENT:
            done += _safely(partial(bus_events.retell, item), item.event_id)
        elif item.kind == outbox_db.SYNC_MESSAGE:
            done += _safely(partial(initial_sync.dispatch, item), item.event_id)
        else:
            done += _safely(partial(notification_events.redispatch, item), item.event_id)
    for project_id, intents in due.items():
        done += _safely(partial(manifests.write_manifests, project_id, intents), project_id)
    left = outbox_db.oldest_pending(moment - RELAY_AFTER, items)
    oldest = (moment - left.created_at).total_seconds() if left else 0.0
    metrics.add_metric(name="OutboxOldestAgeSeconds", unit="Seconds", value=oldest)
    if done:
        logger.warning("relayed what a change left undone", extra={"count": done})
    return done


def _safely(duty: Callable[[], int | bool], about: str) -> int:
    try:
        return int(duty())
    except Exception:
        logger.exception("outbox duty failed; it stays for the next run", extra={"about": about})
        return 0

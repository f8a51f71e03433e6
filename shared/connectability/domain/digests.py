"""Digests of news for a downstream's Drawings admins (R35, R36, R39): copies counted as they land are mailed as
one message per burst, saying how many, once no more came for the quiet period; each digest is sent once,
however often its check is delivered."""

from __future__ import annotations

import time

from connectability.config import get_settings
from connectability.db import connections as connections_db
from connectability.db import sync_counters as counters
from connectability.domain import notification_events
from connectability.models.notifications import EventType, Side


def check_digest(connection_id: str) -> bool:
    """Mail the news counted for a connection once none came for the quiet period: one message per burst,
    whatever its size, saying how many. A later check (from a later copy) covers news still arriving.

    The generation is read before the counters: a check that read counters another check has since taken
    holds an old generation, so its close is refused and nothing is mailed or taken twice."""
    generation = counters.digest_generation(connection_id)
    shards = [s for s in counters.counter_shards(connection_id) if s.news_published or s.news_deleted]
    if not shards:
        return False
    quiet = get_settings().sync_digest_quiet_seconds
    if time.time() - max(float(s.last_news_at or 0) for s in shards) < quiet - 0.5:
        return False
    connection = connections_db.get_connection(connection_id)
    if connection is None:
        return False
    published = sum(int(s.news_published or 0) for s in shards)
    deleted = sum(int(s.news_deleted or 0) for s in shards)
    mails = []
    if published > 0:
        mails.append(
            notification_events.prepare(EventType.drawings_published, connection, [Side.downstream], count=published)
        )
    if deleted > 0:
        mails.append(
            notification_events.prepare(EventType.drawings_deleted, connection, [Side.downstream], count=deleted)
        )
    if not counters.close_digest(connection_id, generation, shards, [m.record for m in mails]):
        return False
    for mail in mails:
        notification_events.dispatch(mail)
    return True

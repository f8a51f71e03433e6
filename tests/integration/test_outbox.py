"""The outbox is sharded: a change's duty lands in one of OUTBOX_SHARDS partitions by a hash of its id, so no
partition takes every change of the product; the relay reads them all, and nothing recorded is left behind."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from connectability.config import get_settings
from connectability.db import outbox as outbox_db
from connectability.domain import notification_events
from connectability.domain.outbox import relay_pending
from connectability.models.common import utcnow
from connectability.models.notifications import EventType, Side
from tests.integration.conftest import Connected, Queues


def test_duties_spread_over_the_partitions_and_the_relay_does_them_all(two: Connected, queues: Queues) -> None:
    # Given 40 events whose first send failed, left in the outbox by 40 changes
    connection = two.request().body
    queues.drain("NotificationsQueue")
    ids = {"connection_id": connection["id"], "upstream_project_id": two.up, "downstream_project_id": two.down}

    class Changed:
        connection_id, upstream_project_id, downstream_project_id = ids.values()
        upstream_company_id, downstream_company_id = "cmp_up", "cmp_down"

    for _ in range(40):
        outgoing = notification_events.prepare(EventType.connection_requested, Changed(), [Side.upstream])
        outbox_db.outbox_item(outgoing.record).save()
    # Then they sit in several partitions, none holding them all
    shards = get_settings().outbox_shards
    partitions = Counter(i.pk for i in outbox_db.OutboxItem.scan(outbox_db.OutboxItem.pk.startswith("OUTBOX")))
    assert shards > 1
    assert 1 < len(partitions) <= shards
    assert max(partitions.values()) < 40
    # When the relay runs, it finds and sends every one of them, and the outbox is empty after
    later = utcnow() + timedelta(minutes=1)
    assert len(outbox_db.pending(later)) == 40
    assert relay_pending(now=later) == 40
    assert outbox_db.pending(later) == []
    assert len(queues.drain("NotificationsQueue")) >= 4  # 40 messages, ten a batch

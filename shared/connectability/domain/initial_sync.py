"""The initial sync (R29): a connection that becomes active gets every revision its upstream has published,
through the same copy path as live changes. It starts through the outbox (never lost), pages through the
upstream's revisions (a project of any size never sits in memory), counts its total once per page and its
progress once per revision, and completes exactly once, with its mail (R34)."""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError

from connectability import queues
from connectability.db import connections as connections_db
from connectability.db import drawings as drawings_db
from connectability.db import outbox as outbox_db
from connectability.db import records as records_db
from connectability.db import sync as db
from connectability.db import sync_counters as counters
from connectability.db.rows import ConnectionRow, RevisionRow
from connectability.domain import notification_events
from connectability.domain.manifests import manifest_of
from connectability.domain.record_views import records_of
from connectability.models.common import utcnow
from connectability.models.manifests import RevisionManifest
from connectability.models.notifications import EventType, Side
from connectability.models.sync import InitialSyncPage, copy_job
from connectability.observability import logger

PAGE = 100  # upstream revisions per page


def initial_sync_duty(connection_id: str) -> outbox_db.Duty:
    """The first page of a connection's initial sync, to commit with the change that makes it active."""
    page = InitialSyncPage(connection_id=connection_id)
    return outbox_db.sync_message(f"init-{connection_id}", page.model_dump_json(), utcnow())


def dispatch(duty: outbox_db.Duty) -> bool:
    """Send a committed sync message and clear its outbox record; on failure the relay sends it later."""
    try:
        queues.send_initial_sync_page(InitialSyncPage.model_validate_json(duty.body))
    except (BotoCoreError, ClientError):
        logger.exception("sync message not queued yet", extra={"event_id": duty.event_id})
        return False
    outbox_db.sent(duty)
    return True


def enqueue_initial_page(page: InitialSyncPage) -> int:
    """Enqueue one page of copy jobs, count them into the total, then ask for the next page (R29).

    The connection's cursor makes each page count once: a page delivered again after its count finds the
    cursor moved on, and only asks for the page the connection stands at (it may have died before asking).
    """
    connection = connections_db.get_connection(page.connection_id)
    if connection is None or connection.status != "active" or connection.initial_sync_status != "running":
        return 0
    if connection.initial_sync_pages_done:
        finish_initial_sync(page.connection_id)
        return 0
    if (connection.initial_sync_cursor or "") != page.cursor:
        # Delivered again after its page counted (it may have died before asking for the next one): ask for
        # the page the connection stands at. A page asked for twice counts once, by the cursor's condition.
        queues.send_initial_sync_page(
            InitialSyncPage(connection_id=page.connection_id, cursor=connection.initial_sync_cursor or "")
        )
        return 0
    revisions, next_cursor = db.published_page(connection.upstream_project_id, page.cursor, PAGE)
    manifests = manifests_of(connection.upstream_project_id, revisions)
    jobs = [copy_job(connection, m, initial=True) for m in manifests if not m.deleted]  # a delete still finishing
    queues.send_copy_jobs(jobs)
    if counters.record_initial_page(page.connection_id, page.cursor, next_cursor, len(jobs)):
        if next_cursor is None:
            finish_initial_sync(page.connection_id)
        else:
            queues.send_initial_sync_page(InitialSyncPage(connection_id=page.connection_id, cursor=next_cursor))
    logger.info("initial sync page enqueued", extra={"connection_id": page.connection_id, "jobs": len(jobs)})
    return len(jobs)


def manifests_of(project_id: str, revisions: list[RevisionRow]) -> list[RevisionManifest]:
    """Manifests of revisions, from their state now and the version they last took. One whose first manifest
    is still on its way is left to that manifest's own event, which reaches every active connection."""
    written = [r for r in revisions if int(r.manifest_version or 0) > 0]
    if not written:
        return []
    read_at = utcnow()
    drawings = drawings_db.get_drawings(project_id, {r.drawing_id for r in written}, consistent=True)
    pointed = records_db.records_for(records_of(project_id, written, consistent=True), project_id, written)
    return [manifest_of(r, drawings[r.drawing_id], of, read_at) for r, of in zip(written, pointed, strict=True)]


def initial_progress(connection: ConnectionRow) -> int:
    """How many revisions of a running initial sync are in the downstream so far (copied of total)."""
    if connection.initial_sync_status != "running":
        return int(connection.initial_sync_copied or 0)
    return sum(int(s.initial_copied or 0) for s in counters.counter_shards(connection.connection_id))


def finish_initial_sync(connection_id: str) -> bool:
    """Once every page is enqueued and every job done, the initial sync is complete, announced once (R34)."""
    connection = connections_db.get_connection(connection_id)
    if connection is None or connection.initial_sync_status != "running" or not connection.initial_sync_pages_done:
        return False
    total = int(connection.initial_sync_total or 0)
    if initial_progress(connection) < total:
        return False
    announce = notification_events.prepare(EventType.initial_sync_complete, connection, [Side.downstream], count=total)
    if not counters.complete_initial_sync(connection_id, total, [announce.record]):
        return False
    notification_events.dispatch(announce)
    logger.info("initial sync complete", extra={"connection_id": connection_id, "total": total})
    return True

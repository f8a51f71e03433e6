"""Reconcile (R42): a pass that compares each active connection's downstream with its upstream's revisions, by
manifest version, and repairs every difference through the normal copy path. It heals what was lost on the
way (an event never delivered, a job dropped half-way); it copies no file twice (the copy path keeps files
whose sha256 the downstream holds) and changes nothing that is already right (it enqueues differences only).

It pages through the upstream one message at a time, so a project of any size never sits in memory; two runs
of one connection at once only send the same idempotent jobs twice, and only the newest run counts.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from connectability import queues
from connectability.db import connections as connections_db
from connectability.db import sync as db
from connectability.db.rows import AuditEntry, ConnectionRow, RevisionRow
from connectability.domain import bus_events, digests
from connectability.domain.ids import new_id
from connectability.domain.initial_sync import manifests_of
from connectability.domain.sync import connected_id
from connectability.models.common import utcnow
from connectability.models.manifests import FileCheck, FileState, RevisionManifest
from connectability.models.sync import ReconcilePage, copy_job
from connectability.observability import logger, metrics

PAGE = 100
STUCK_AFTER = timedelta(minutes=30)  # a file check still running after this is lost: ask for it again


def start(connection: ConnectionRow, recorded: Callable[[dict[str, Any]], AuditEntry] | None = None) -> bool:
    """Begin a run for an active connection; False if it is not active (nothing to reconcile). A user's request
    is recorded with the run's start (`recorded`: its entry, given the fields the start sets; R46)."""
    run_id, now = new_id("rec"), utcnow()
    starts = {"reconcile_run_id": run_id, "reconcile_started_at": now, "reconcile_finished_at": None}
    record = recorded(starts) if recorded is not None else None
    if not connections_db.start_reconcile(connection.connection_id, run_id, now, record):
        return False
    queues.send_reconcile_page(ReconcilePage(connection_id=connection.connection_id, run_id=run_id))
    return True


def start_all() -> int:
    """The scheduled pass: a run for every active connection; answers how many started."""
    started, token = 0, None
    while True:
        connections, token = connections_db.active_connections(100, token)
        started += sum(start(c) for c in connections)
        if token is None:
            break
    metrics.add_metric(name="SyncDeadLetters", unit="Count", value=queues.dead_letters())
    logger.info("reconcile started", extra={"connections": started})
    return started


def reconcile_page(page: ReconcilePage) -> int:
    """Compare one page and enqueue its repairs; answers how many. A page of a run that a newer one replaced,
    or of a connection no longer active, does nothing."""
    connection = connections_db.get_connection(page.connection_id)
    if connection is None or connection.status != "active" or connection.reconcile_run_id != page.run_id:
        return 0
    revisions, next_cursor = db.reconcilable_page(connection.upstream_project_id, page.cursor, PAGE)
    stuck = _stuck_checks(connection.upstream_project_id, revisions)
    synced = [r for r in revisions if int(r.manifest_version or 0) > 0]
    wanted = _wanted(connection, synced)
    initial = connection.initial_sync_status == "running"  # a job of it lost on the way still counts once
    repairs = [copy_job(connection, m, initial=initial, repair=True) for m in wanted]
    queues.send_copy_jobs(repairs)
    finished = utcnow() if next_cursor is None else None
    if not connections_db.record_reconcile_page(
        page.connection_id, page.run_id, len(synced), len(repairs), stuck, finished
    ):
        return len(repairs)
    if next_cursor is not None:
        queues.send_reconcile_page(
            ReconcilePage(connection_id=page.connection_id, run_id=page.run_id, cursor=next_cursor)
        )
    else:
        digests.check_digest(page.connection_id)  # news whose digest check was lost is mailed now
        total = int(connection.reconcile_repairs or 0) + len(repairs)
        if total:
            checked = int(connection.reconcile_checked or 0) + len(synced)
            bus_events.reconcile_repaired(connection, page.run_id, checked, total)
    if repairs:
        metrics.add_metric(name="SyncRepairs", unit="Count", value=len(repairs))
        logger.warning("reconcile repairs", extra={"connection_id": page.connection_id, "repairs": len(repairs)})
    return len(repairs)


def _wanted(connection: ConnectionRow, revisions: list[RevisionRow]) -> list[RevisionManifest]:
    """Manifests of the revisions the downstream lacks or holds at an older version."""
    ids = {r.revision_id: connected_id("rev", connection.connection_id, r.revision_id) for r in revisions}
    held = db.synced_versions(connection.downstream_project_id, list(ids.values()))
    behind = [r for r in revisions if held.get(ids[r.revision_id], 0) < int(r.manifest_version)]
    return manifests_of(connection.upstream_project_id, behind)


def _stuck_checks(project_id: str, revisions: list[RevisionRow]) -> int:
    """Large files whose check never finished: asked for again (the check is idempotent); answers how many."""
    cutoff = utcnow() - STUCK_AFTER
    stuck = [r for r in revisions if r.file_state == FileState.checking.value and r.created_at < cutoff]
    for revision in stuck:
        try:
            queues.send_file_check(FileCheck(project_id=project_id, revision_id=revision.revision_id))
        except (BotoCoreError, ClientError):
            logger.exception("file check not asked again", extra={"revision_id": revision.revision_id})
    return len(stuck)

"""The downstream's review of connected copies (R21): they arrive `pending_review`, and a Drawings admin publishes
them, one, several or all at once; only then do the project's other users see them (R22)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import datetime
from functools import partial

from connectability.aws import together
from connectability.db import drawings as drawings_db
from connectability.db import records as records_db
from connectability.db import sync as sync_db
from connectability.db.base import read_items
from connectability.db.rows import AuditEntry, DrawingRow, RevisionRow
from connectability.db.sync import Written
from connectability.domain import audit, bus_events
from connectability.domain.drawing_views import revision_views
from connectability.domain.permissions import DRAWINGS, Caller, read_rights, tool_level_at_least
from connectability.errors import InvalidInput, InvalidState
from connectability.models.audit import AuditAction
from connectability.models.common import Level, Page, utcnow
from connectability.models.drawings import Arrival, ConnectedPublishRequest, Published, Revision
from connectability.models.manifests import RevisionState

PAGE = 100
ATTEMPTS = 5


def review_queue(caller: Caller, project_id: str, limit: int, next_token: str | None) -> Page[Revision]:
    """Connected copies waiting for review, by drawing number; each says whether it brings a new sheet or the next
    revision of one the project has (its drawings are read with its records)."""
    tool_level_at_least(caller, project_id, DRAWINGS, Level.admin)
    items, token = sync_db.review_page(project_id, limit, next_token)
    drawings = {r.drawing_id: drawings_db.drawing_ref(project_id, r.drawing_id) for r in items}
    found = read_items([*drawings.values(), *(ref for r in items for ref in records_db.record_refs(project_id, r))])
    views = revision_views(project_id, items, records=found)
    for view, item in zip(views, items, strict=True):
        view.arrival = _arrival(item, found.get(drawings[item.drawing_id]))
    return Page[Revision](items=views, next_token=token)


def _arrival(copy: RevisionRow, drawing: DrawingRow | None) -> Arrival:
    """A copy of a sheet the project shows already (a published revision is current) is its next revision."""
    current = drawing.current_revision_id if drawing is not None else None
    return Arrival.new_revision if current and current != copy.revision_id else Arrival.new_drawing


def publish_copies(caller: Caller, project_id: str, body: ConnectedPublishRequest) -> Published:
    """Publish the given copies (all checked before any changes; read with the caller's rights), or every copy
    waiting, a page at a time."""
    ids = list(dict.fromkeys(body.revision_ids or []))
    asked = {i: drawings_db.revision_ref(project_id, i) for i in ids}
    rights = read_rights(caller, [project_id], also=asked.values())
    access = rights.tool_level_at_least(project_id, DRAWINGS, Level.admin)
    company_id, now = access.project.company_id, utcnow()

    def recorded(revision: RevisionRow) -> AuditEntry:
        """Each copy is published in a transaction of its own, with its record."""
        return audit.entry(
            caller,
            access.caller_name,
            AuditAction.copy_publish,
            "revision",
            [revision.revision_id],
            companies=[company_id],
            projects=[project_id],
            before={"state": RevisionState.pending_review.value},
            after={"state": RevisionState.published.value, "published_at": now},
        )

    if body.all:
        published: list[str] = []
        token: str | None = None
        while True:
            waiting, token = sync_db.review_page(project_id, PAGE, token)
            told = bus_events.copies_published(project_id, company_id, [r.revision_id for r in waiting], caller.user_id)
            published += _publish_waiting(project_id, waiting, told, now, recorded)
            if token is None:
                return Published(published=published)
    found = {i: r for i, ref in asked.items() if (r := rights.found.get(ref))}
    missing = [i for i in ids if i not in found or not found[i].connected]
    if missing:
        raise InvalidInput(
            f"No connected copy with these ids in this project: {', '.join(missing)}.",
            details=[{"field": f"revision_ids.{ids.index(i)}", "message": "no such connected copy"} for i in missing],
        )
    not_waiting = [i for i in ids if found[i].state != RevisionState.pending_review.value]
    if not_waiting:
        raise InvalidState(
            f"Only copies waiting for review can be published; these are not: {', '.join(not_waiting)}. "
            f"GET /projects/{project_id}/connected-drawings/review lists those that are."
        )
    told = bus_events.copies_published(project_id, company_id, ids, caller.user_id)
    done = set(_publish_waiting(project_id, list(found.values()), told, now, recorded))
    return Published(published=[i for i in ids if i in done])


def _publish_waiting(
    project_id: str,
    revisions: list[RevisionRow],
    told: bus_events.Fact,
    now: datetime,
    recorded: Callable[[RevisionRow], AuditEntry],
) -> list[str]:
    """Waiting copies become published, each with its record; the newest of each drawing becomes its current
    revision, with the synced fields it holds at that moment (a copy landing meanwhile is read again). Drawings
    are made current at once, each by its copies in turn: no two of those writes touch the same item. The
    copies.published fact (R44) is committed with the first copy published, and told while the drawings are made
    current."""
    published, owed = [], [told.duty]
    for revision in sorted(revisions, key=lambda r: (r.drawing_id, r.seq)):
        if sync_db.publish_copy(revision, now, recorded(revision), owed):
            published.append(revision)
            owed = []
    ids = [r.revision_id for r in published]
    together(partial(_make_all_current, project_id, published), partial(bus_events.tell_published, told, ids))
    return ids


def _make_all_current(project_id: str, published: list[RevisionRow]) -> None:
    drawings = drawings_db.get_drawings(project_id, {r.drawing_id for r in published}, consistent=True)
    by_drawing: dict[str, list[RevisionRow]] = defaultdict(list)
    for revision in published:
        by_drawing[revision.drawing_id].append(revision)
    together(*(partial(_make_current, project_id, drawings.get(d), copies) for d, copies in by_drawing.items()))


def _make_current(project_id: str, drawing: DrawingRow | None, copies: list[RevisionRow]) -> None:
    for revision in copies:
        current: RevisionRow | None = revision
        for _ in range(ATTEMPTS):
            if drawing is None or current is None:
                break
            if sync_db.make_copy_current(drawing, current) is not Written.changed:
                break
            current = drawings_db.get_revision(project_id, revision.revision_id, consistent=True)

"""Markups (R27): notes a project's users draw on a drawing's revision. They stay with the project that made
them: manifests never carry them, so sync never copies them either way, and a downstream's markups stay on
its connected drawing when new upstream revisions arrive (the drawing keeps its id).
"""

from __future__ import annotations

from connectability.db import markups as markups_db
from connectability.domain import audit
from connectability.domain.drawings import drawing_access
from connectability.domain.ids import new_id
from connectability.domain.permissions import Caller
from connectability.errors import InvalidInput
from connectability.models.audit import AuditAction
from connectability.models.common import Level, Page, utcnow
from connectability.models.drawings import Markup, MarkupCreate


def add_markup(caller: Caller, project_id: str, drawing_id: str, body: MarkupCreate) -> Markup:
    """Markups stay with the project's drawing and revision; sync never copies them (R27)."""
    seen = drawing_access(caller, project_id, drawing_id, Level.standard)
    if body.revision_id not in {r.revision_id for r in seen.revisions}:
        raise InvalidInput(
            f"Revision {body.revision_id} is not a revision of drawing {drawing_id} that you can see.",
            details=[{"field": "revision_id", "message": "not a visible revision of this drawing"}],
        )
    markup_id, now = new_id("mkp"), utcnow()
    markup = markups_db.MarkupRow(
        markup_id=markup_id,
        drawing_id=drawing_id,
        revision_id=body.revision_id,
        data=body.data,
        created_by=caller.user_id,
        created_at=now,
    )
    record = audit.entry(
        caller,
        seen.access.caller_name,
        AuditAction.markup_create,
        "markup",
        [markup_id],
        companies=[seen.access.project.company_id],
        projects=[project_id],
        after={"drawing_id": drawing_id, "revision_id": body.revision_id, "data": body.data},
    )
    markups_db.put_markup(project_id, markup, record)
    return _markup_view(markup)


def list_markups(caller: Caller, project_id: str, drawing_id: str, limit: int, next_token: str | None) -> Page[Markup]:
    visible = {r.revision_id for r in drawing_access(caller, project_id, drawing_id, Level.read_only).revisions}
    items, token = markups_db.markups_of(project_id, drawing_id, limit, next_token)
    return Page[Markup](items=[_markup_view(m) for m in items if m.revision_id in visible], next_token=token)


def _markup_view(item: markups_db.MarkupRow) -> Markup:
    return Markup(
        id=item.markup_id,
        drawing_id=item.drawing_id,
        revision_id=item.revision_id,
        data=item.data,
        created_by=item.created_by,
        created_at=item.created_at,
    )

"""Deleting a drawing (R28), whole from every reader's view however many revisions it has.

One transaction holds 100 items, so a drawing with more revisions than that is deleted in several. The first
marks the drawing deleted, and from then on every reader treats all its revisions as deleted (the register,
the drawing, its files, markups and manifests read the drawing; publishing refuses; the deleted report lists
them). That first transaction also records an outbox duty for the rest, which this request finishes at once
when it can and the outbox relay finishes otherwise: a failure midway never leaves a revision published.
"""

from __future__ import annotations

import json

from connectability.db import drawing_deletes as deletes_db
from connectability.db import drawings as db
from connectability.db import outbox as outbox_db
from connectability.domain import audit
from connectability.domain.drawing_views import revision_views
from connectability.domain.drawings import access_at, drawing_access
from connectability.domain.ids import new_id
from connectability.domain.manifests import manifests_follow
from connectability.domain.permissions import Caller
from connectability.errors import ConnectedDrawingReadOnly, NotFound
from connectability.models.audit import AuditAction
from connectability.models.common import Level, Page, utcnow
from connectability.models.drawings import Revision
from connectability.models.manifests import RevisionState


def delete_drawing(caller: Caller, project_id: str, drawing_id: str) -> None:
    """All revisions move to the Deleted Drawing Revisions report (files kept); published ones tell sync (R28)."""
    seen = drawing_access(caller, project_id, drawing_id, Level.admin)
    drawing, revisions = seen.drawing, seen.revisions
    if drawing.connected:
        raise ConnectedDrawingReadOnly("This drawing is connected; only the upstream project can delete it.")
    now = utcnow()
    duty = None
    if len(revisions) > deletes_db.FIRST_CHUNK:
        duty = outbox_db.drawing_delete(project_id, drawing_id, caller.user_id, now, new_id("del"))
    record = audit.entry(
        caller,
        seen.access.caller_name,
        AuditAction.drawing_delete,
        "drawing",
        [drawing_id],
        companies=[drawing.company_id],
        projects=[project_id],
        before={"deleted": False},
        after={"deleted": True},
    )
    # Every revision: one published meanwhile must tell sync it is deleted too; drafts are skipped when written.
    with manifests_follow(project_id, revisions):
        if not deletes_db.start_delete(drawing, revisions, caller.user_id, now, duty, record):
            raise NotFound(f"Drawing {drawing_id} was deleted meanwhile.")
        if duty is not None:
            finish_delete(duty)


def finish_delete(duty: outbox_db.Duty) -> bool:
    """Move what a started delete left to the deleted report; answers whether it is finished. A failure leaves
    the duty for the relay: readers already see the drawing deleted, so nothing shows half-done meanwhile."""
    drawing_id, by = _what(duty)
    drawing = db.get_drawing(duty.project_id or "", drawing_id)
    if drawing is not None and not deletes_db.finish_delete(drawing, by, duty.created_at):
        return False
    outbox_db.sent(duty)
    return True


def _what(duty: outbox_db.Duty) -> tuple[str, str]:
    body = json.loads(duty.body)
    return str(body["drawing_id"]), str(body["by"])


def deleted_report(caller: Caller, project_id: str, limit: int, next_token: str | None) -> Page[Revision]:
    """The Deleted Drawing Revisions report (R28): every deleted revision, who and when, newest first. The first
    page starts with the revisions of deletes still finishing, shown as the deleted revisions they already are."""
    access_at(caller, project_id, Level.admin)
    items, token = db.deleted_revisions(project_id, limit, next_token)
    finishing: list[Revision] = []
    if next_token is None:
        for duty in outbox_db.deletes_under_way(project_id):
            drawing_id, by = _what(duty)
            left = [r for r in db.revisions_of(drawing_id) if r.state != RevisionState.deleted.value]
            finishing += [
                view.model_copy(
                    update={"state": RevisionState.deleted, "deleted_at": duty.created_at, "deleted_by": by}
                )
                for view in revision_views(project_id, left)
            ]
    return Page[Revision](items=finishing + revision_views(project_id, items), next_token=token)

"""The drawing aggregate: drawings and their revisions, under their project's partition. The records they share
(areas, disciplines, sets) are in db.records; publishing is in db.publishing; deletes, uploads and markups have
modules of their own.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

from pynamodb.attributes import (
    BooleanAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from connectability.db import audit as audit_db
from connectability.db.base import (
    TRANSACTION_ITEMS,
    Changes,
    Gsi1,
    Gsi2,
    Gsi3,
    Item,
    Ref,
    actions,
    as_row,
    condition_failed,
    held,
    low,
    page,
    ref,
    retry_conflicts,
    written,
)
from connectability.db.outbox import Duty, outbox_item
from connectability.db.projects import project_key
from connectability.db.rows import AuditEntry, DrawingNumberRow, DrawingRow, RevisionNumberRow, RevisionRow
from connectability.models.common import name_key


def _natural(text: str) -> str:
    """Digits compare as numbers: A-2 before A-10 (runs of digits padded to one width)."""
    return re.sub(r"\d+", lambda m: m.group().rjust(12, "0"), text)


def register_keys(project_id: str, discipline_key: str, number: str) -> dict[str, str]:
    """Where a drawing stands in its project's register: by discipline, then number in natural order. The
    separator sorts before any character a name may hold (no control characters), so "elec" < "elec x"."""
    return {
        "gsi3pk": f"{project_key(project_id)}#REGISTER",
        "gsi3sk": f"{discipline_key}\x01{_natural(name_key(number))}",
    }


def review_keys(project_id: str, number: str, seq: int, revision_id: str) -> dict[str, str]:
    """Where a connected copy waiting for review is listed (gsi2): by drawing number, then revision."""
    return {"gsi2pk": f"{project_key(project_id)}#REVIEW", "gsi2sk": f"{name_key(number)}#{seq:06d}#{revision_id}"}


def deleted_keys(project_id: str, deleted_at: datetime, revision_id: str) -> dict[str, str]:
    """Where a deleted revision is listed (gsi2, the Deleted Drawing Revisions report): newest first."""
    stamp = deleted_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return {"gsi2pk": f"{project_key(project_id)}#DELETED", "gsi2sk": f"{stamp}#{revision_id}"}


def drawing_keys(drawing_id: str, seq: int) -> dict[str, str]:
    """Where a revision is listed among its drawing's (gsi1), oldest first."""
    return {"gsi1pk": f"DRAWING#{drawing_id}", "gsi1sk": f"REV#{seq:06d}"}


class DrawingItem(Item):
    register_index = Gsi3()
    gsi3pk = UnicodeAttribute(null=True)
    gsi3sk = UnicodeAttribute(null=True)
    drawing_id = UnicodeAttribute()
    project_id = UnicodeAttribute()
    company_id = UnicodeAttribute()
    number = UnicodeAttribute()
    title = UnicodeAttribute()
    obsolete = BooleanAttribute(default=False)
    discipline_key = UnicodeAttribute()
    area_id = UnicodeAttribute(null=True)
    connected = BooleanAttribute(default=False)
    source_connection_id = UnicodeAttribute(null=True)
    source_project_id = UnicodeAttribute(null=True)  # connected drawings: the upstream project and company
    source_company_id = UnicodeAttribute(null=True)
    current_revision_id = UnicodeAttribute(null=True)
    current_seq = NumberAttribute(null=True)
    revision_count = NumberAttribute(default=0)
    deleted = BooleanAttribute(default=False)


class DrawingNumberItem(Item):
    drawing_id = UnicodeAttribute()


class RevisionNumberItem(Item):
    """Claims a revision number within its drawing: no drawing holds two revisions "1"."""

    revision_id = UnicodeAttribute()


class RevisionItem(Item):
    gsi1 = Gsi1()
    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()
    gsi2 = Gsi2()
    gsi2pk = UnicodeAttribute(null=True)
    gsi2sk = UnicodeAttribute(null=True)
    revision_id = UnicodeAttribute()
    drawing_id = UnicodeAttribute()
    project_id = UnicodeAttribute()
    company_id = UnicodeAttribute()
    seq = NumberAttribute()
    number = UnicodeAttribute()
    title = UnicodeAttribute()
    revision_number = UnicodeAttribute()
    status = UnicodeAttribute(null=True)
    state = UnicodeAttribute()
    drawing_date = UnicodeAttribute(null=True)
    received_date = UnicodeAttribute(null=True)
    set_key = UnicodeAttribute(null=True)
    discipline_key = UnicodeAttribute()
    area_id = UnicodeAttribute(null=True)
    connected = BooleanAttribute(default=False)
    source_connection_id = UnicodeAttribute(null=True)
    source_revision_id = UnicodeAttribute(null=True)
    source_project_id = UnicodeAttribute(null=True)
    source_company_id = UnicodeAttribute(null=True)
    obsolete = BooleanAttribute(null=True)  # connected copies: the drawing's obsolete flag, per their manifest
    synced_version = NumberAttribute(null=True)  # connected copies: the manifest version they hold
    bucket = UnicodeAttribute()
    file_key = UnicodeAttribute()
    file_version = UnicodeAttribute(null=True)
    file_state = UnicodeAttribute(default="ready")
    content_type = UnicodeAttribute()
    size = NumberAttribute()
    sha256 = UnicodeAttribute(null=True)
    thumbnail_state = UnicodeAttribute(null=True)  # none yet: pending
    thumbnail_key = UnicodeAttribute(null=True)  # in `bucket`
    thumbnail_version = UnicodeAttribute(null=True)
    thumbnail_width = NumberAttribute(null=True)
    thumbnail_height = NumberAttribute(null=True)
    thumbnail_reason = UnicodeAttribute(null=True)
    thumbnail_source = UnicodeAttribute(null=True)  # connected copies: the upstream thumbnail version they hold
    published_at = UTCDateTimeAttribute(null=True)
    manifest_version = NumberAttribute(default=0)
    deleted_at = UTCDateTimeAttribute(null=True)
    deleted_by = UnicodeAttribute(null=True)
    created_by = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()


def drawing_item(drawing: DrawingRow) -> DrawingItem:
    """The item of a drawing, in its place in the register."""
    return DrawingItem(
        project_key(drawing.project_id),
        f"DRAWING#{drawing.drawing_id}",
        **(held(drawing) | register_keys(drawing.project_id, drawing.discipline_key, drawing.number)),
    )


def revision_item(revision: RevisionRow) -> RevisionItem:
    """The item of a revision, listed with its drawing's (and, waiting for review or deleted, in those lists)."""
    indexes: dict[str, Any] = drawing_keys(revision.drawing_id, revision.seq)
    if revision.state == "pending_review":
        indexes |= review_keys(revision.project_id, revision.number, revision.seq, revision.revision_id)
    elif revision.state == "deleted" and revision.deleted_at is not None:
        indexes |= deleted_keys(revision.project_id, revision.deleted_at, revision.revision_id)
    return RevisionItem(
        project_key(revision.project_id), f"REVISION#{revision.revision_id}", **(held(revision) | indexes)
    )


def _drawing_key(project_id: str, drawing_id: str) -> tuple[str, str]:
    return project_key(project_id), f"DRAWING#{drawing_id}"


def _revision_key(project_id: str, revision_id: str) -> tuple[str, str]:
    return project_key(project_id), f"REVISION#{revision_id}"


def drawing_at(project_id: str, drawing_id: str) -> DrawingItem:
    """A drawing's key, to write to."""
    return DrawingItem(*_drawing_key(project_id, drawing_id))


def revision_at(project_id: str, revision_id: str) -> RevisionItem:
    """A revision's key, to write to."""
    return RevisionItem(*_revision_key(project_id, revision_id))


# Tries of a transaction whose items another request changed between the read and the write.
CHUNK_ATTEMPTS = 3


def drawing_ref(project_id: str, drawing_id: str) -> Ref[DrawingRow]:
    return ref(DrawingItem, DrawingRow, *_drawing_key(project_id, drawing_id))


def number_ref(project_id: str, number: str) -> Ref[DrawingNumberRow]:
    """Who holds a drawing number in its project."""
    return ref(DrawingNumberItem, DrawingNumberRow, project_key(project_id), f"DRAWNUM#{name_key(number)}")


def revision_number_ref(project_id: str, drawing_id: str, revision_number: str) -> Ref[RevisionNumberRow]:
    """Who holds a revision number in its drawing."""
    sk = f"REVNUM#{drawing_id}#{name_key(revision_number)}"
    return ref(RevisionNumberItem, RevisionNumberRow, project_key(project_id), sk)


def revision_ref(project_id: str, revision_id: str) -> Ref[RevisionRow]:
    return ref(RevisionItem, RevisionRow, *_revision_key(project_id, revision_id))


_T = TypeVar("_T", bound=Item)


def _get(model: type[_T], key: tuple[str, str], consistent: bool = False) -> _T | None:
    try:
        return model.get(*key, consistent_read=consistent)
    except DoesNotExist:
        return None


# -- drawings -------------------------------------------------------------------------------------------------
def drawing_by_number(project_id: str, number: str) -> DrawingRow | None:
    lookup = _get(DrawingNumberItem, (project_key(project_id), f"DRAWNUM#{name_key(number)}"))
    return get_drawing(project_id, lookup.drawing_id) if lookup else None


@retry_conflicts
def create_drawing(drawing: DrawingRow) -> bool:
    """Create a drawing and claim its number; False when another drawing holds the number already."""
    pk = project_key(drawing.project_id)

    def write() -> None:
        with TransactWrite(connection=low()) as tx:
            tx.save(
                DrawingNumberItem(pk, f"DRAWNUM#{name_key(drawing.number)}", drawing_id=drawing.drawing_id),
                condition=DrawingNumberItem.pk.does_not_exist(),
            )
            tx.save(drawing_item(drawing), condition=DrawingItem.pk.does_not_exist())

    return written(write)


def get_drawing(project_id: str, drawing_id: str) -> DrawingRow | None:
    found = _get(DrawingItem, _drawing_key(project_id, drawing_id))
    return as_row(DrawingRow, found) if found else None


def get_drawings(project_id: str, drawing_ids: Iterable[str], consistent: bool = False) -> dict[str, DrawingRow]:
    keys = [_drawing_key(project_id, d) for d in set(drawing_ids)]
    found = DrawingItem.batch_get(keys, consistent_read=consistent) if keys else []
    return {d.drawing_id: as_row(DrawingRow, d) for d in found}


@retry_conflicts
def next_seq(project_id: str, drawing_id: str) -> int | None:
    """The next revision's position within its drawing: an atomic counter, so racing uploads never share one.

    None when the drawing was deleted meanwhile.
    """
    drawing = drawing_at(project_id, drawing_id)
    update: list[Action] = [DrawingItem.revision_count.add(1)]
    if not written(lambda: drawing.update(actions=update, condition=DrawingItem.deleted == False)):  # noqa: E712
        return None
    return int(drawing.revision_count)


def register(
    project_id: str,
    area_id: str | None,
    discipline_key: str | None,
    include_obsolete: bool,
    with_unpublished: bool,
    limit: int,
    next_token: str | None,
) -> tuple[list[DrawingRow], str | None]:
    """A page of the project's drawings that match, by discipline then number; pages may come back short (the
    filter runs after the read)."""
    condition: Condition = DrawingItem.deleted == False  # noqa: E712 - a DynamoDB condition, not a comparison
    if not with_unpublished:
        condition &= DrawingItem.current_revision_id.exists()
    if not include_obsolete:
        condition &= DrawingItem.obsolete == False  # noqa: E712
    if area_id:
        condition &= DrawingItem.area_id == area_id
    keys = register_keys(project_id, discipline_key or "", "")
    items, token = page(
        DrawingItem.register_index,
        keys["gsi3pk"],
        DrawingItem.gsi3sk.startswith(keys["gsi3sk"]) if discipline_key else None,
        limit=limit,
        next_token=next_token,
        filter_condition=condition,
    )
    return [as_row(DrawingRow, d) for d in items], token


@retry_conflicts
def edit_drawing(
    drawing: DrawingRow, changes: Changes, revisions: dict[str, Changes], audit: AuditEntry | None
) -> bool:
    """Set the changed fields of a drawing and of its revisions (by id) together (None removes a field), with the
    edit's record (None: it changes nothing); False when the drawing was deleted meanwhile.

    One transaction holds 100 items: a drawing with more revisions finishes in the following ones. The first
    holds the drawing and the record: the drawing is what readers take the edited fields from.
    """
    if "discipline_key" in changes:
        changes = changes | register_keys(drawing.project_id, changes["discipline_key"], drawing.number)
    update = actions(DrawingItem, changes)
    pending = [(revision_at(drawing.project_id, r), a) for r, c in revisions.items() if (a := actions(RevisionItem, c))]
    first = TRANSACTION_ITEMS - 1 - audit_db.items_for(audit)
    chunks = [pending[:first]] + [
        pending[i : i + TRANSACTION_ITEMS] for i in range(first, len(pending), TRANSACTION_ITEMS)
    ]
    for n, chunk in enumerate(chunks):
        try:
            with TransactWrite(connection=low()) as tx:
                if n == 0:
                    condition = DrawingItem.deleted == False  # noqa: E712
                    key = _drawing_key(drawing.project_id, drawing.drawing_id)
                    if update:
                        tx.update(DrawingItem(*key), actions=update, condition=condition)
                    else:
                        tx.condition_check(DrawingItem, *key, condition=condition)
                for revision, revision_actions in chunk:
                    tx.update(revision, actions=revision_actions, condition=RevisionItem.state != "deleted")
                if n == 0:
                    audit_db.record(tx, audit)
        except TransactWriteError as exc:
            if n == 0 and condition_failed(exc):
                return False
            raise
    return True


# -- revisions ------------------------------------------------------------------------------------------------
class NewRevision(StrEnum):
    """What became of a new revision: written, or refused because its drawing was deleted meanwhile or another
    revision of the drawing holds its revision number."""

    written = "written"
    drawing_deleted = "drawing_deleted"
    number_taken = "number_taken"


@retry_conflicts
def put_revision(revision: RevisionRow, duty: Duty | None, audit: AuditEntry) -> NewRevision:
    """Save a new revision, claiming its revision number in its drawing (and the duty it leaves, if any), with its
    record, only while its drawing stands."""
    claim = revision_number_ref(revision.project_id, revision.drawing_id, revision.revision_number)
    try:
        with TransactWrite(connection=low()) as tx:
            tx.condition_check(
                DrawingItem,
                *_drawing_key(revision.project_id, revision.drawing_id),
                condition=DrawingItem.deleted == False,  # noqa: E712
            )
            tx.save(revision_item(revision), condition=RevisionItem.pk.does_not_exist())
            tx.save(
                RevisionNumberItem(claim.pk, claim.sk, revision_id=revision.revision_id),
                condition=RevisionNumberItem.pk.does_not_exist(),
            )
            if duty is not None:
                tx.save(outbox_item(duty))
            audit_db.record(tx, audit)
    except TransactWriteError as exc:
        if not condition_failed(exc):
            raise
        failed = [r is not None and r.code == "ConditionalCheckFailed" for r in exc.cancellation_reasons or []]
        if failed[2:3] == [True] and not failed[0]:
            return NewRevision.number_taken
        return NewRevision.drawing_deleted
    return NewRevision.written


def get_revision(project_id: str, revision_id: str, consistent: bool = False) -> RevisionRow | None:
    found = _get(RevisionItem, _revision_key(project_id, revision_id), consistent)
    return as_row(RevisionRow, found) if found else None


def get_revisions(project_id: str, revision_ids: Iterable[str], consistent: bool = False) -> dict[str, RevisionRow]:
    keys = [_revision_key(project_id, r) for r in set(revision_ids)]
    found = RevisionItem.batch_get(keys, consistent_read=consistent) if keys else []
    return {r.revision_id: as_row(RevisionRow, r) for r in found}


def revisions_of(drawing_id: str) -> list[RevisionRow]:
    """Every revision of a drawing, oldest first."""
    query = RevisionItem.gsi1.query(f"DRAWING#{drawing_id}", RevisionItem.gsi1sk.startswith("REV#"))
    return [as_row(RevisionRow, r) for r in query]


@retry_conflicts
def record_sha256(project_id: str, revision_id: str, sha256: str) -> bool:
    """The file check's result; False when the revision was not waiting for one (already checked, or gone)."""
    revision = revision_at(project_id, revision_id)
    update: list[Action] = [RevisionItem.sha256.set(sha256), RevisionItem.file_state.set("ready")]
    return written(lambda: revision.update(actions=update, condition=RevisionItem.file_state == "checking"))


@retry_conflicts
def bump_manifest_version(project_id: str, revision_id: str) -> RevisionRow | None:
    """Take the next manifest version of a published, non-connected revision, and the revision as it is now
    (the update's own answer, so nothing read later can be older than the version). None: nothing to write."""
    revision = revision_at(project_id, revision_id)
    update: list[Action] = [RevisionItem.manifest_version.add(1)]
    condition = RevisionItem.published_at.exists() & (RevisionItem.connected != True)  # noqa: E712
    if not written(lambda: revision.update(actions=update, condition=condition)):
        return None
    return as_row(RevisionRow, revision)


THUMBNAIL_FIELDS = (
    "thumbnail_state",
    "thumbnail_key",
    "thumbnail_version",
    "thumbnail_width",
    "thumbnail_height",
    "thumbnail_reason",
)


@retry_conflicts
def record_thumbnail(
    project_id: str, revision_id: str, file_version: str, fields: dict[str, Any]
) -> RevisionRow | None:
    """Give a revision its thumbnail: only once, only for the file version it holds, never once deleted. The
    revision as it is now, or None when it took none (another version, already given, deleted, not there)."""
    revision = revision_at(project_id, revision_id)
    update = actions(RevisionItem, {n: fields.get(n) for n in THUMBNAIL_FIELDS})
    condition = (
        (RevisionItem.file_version == file_version)
        & (RevisionItem.thumbnail_state.does_not_exist() | (RevisionItem.thumbnail_state == "pending"))
        & (RevisionItem.state != "deleted")
    )
    if not written(lambda: revision.update(actions=update, condition=condition)):
        return None
    return as_row(RevisionRow, revision)


def deleted_revisions(project_id: str, limit: int, next_token: str | None) -> tuple[list[RevisionRow], str | None]:
    items, token = page(
        RevisionItem.gsi2,
        f"{project_key(project_id)}#DELETED",
        limit=limit,
        next_token=next_token,
        scan_index_forward=False,
    )
    return [as_row(RevisionRow, r) for r in items], token


def revisions_using(
    project_id: str, *, discipline_key: str | None = None, area_id: str | None = None, set_key: str | None = None
) -> list[RevisionRow]:
    """Revisions of a project in the discipline, area or set named (one of them), deleted ones excluded: those a
    change to that shared record reaches."""
    named = [
        (a, v)
        for a, v in (
            (RevisionItem.discipline_key, discipline_key),
            (RevisionItem.area_id, area_id),
            (RevisionItem.set_key, set_key),
        )
        if v is not None
    ]
    if len(named) != 1:
        raise TypeError("name exactly one of discipline_key, area_id and set_key")
    [(attribute, value)] = named
    query = RevisionItem.query(
        project_key(project_id),
        RevisionItem.sk.startswith("REVISION#"),
        filter_condition=(RevisionItem.state != "deleted") & (attribute == value),
    )
    return [as_row(RevisionRow, r) for r in query]

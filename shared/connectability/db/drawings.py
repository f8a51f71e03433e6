"""The drawing aggregate: drawings and their revisions, under their project's partition. The records they share
(areas, disciplines, sets) are in db.records; deletes, uploads and markups have modules of their own.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum
from functools import cache
from typing import Any, TypeVar

from pynamodb.attributes import (
    BooleanAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.connection import Connection
from pynamodb.exceptions import DoesNotExist, TransactWriteError, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from connectability.db.base import Gsi1, Gsi2, Gsi3, Item, Ref, condition_failed, error_code, page, retry_conflicts
from connectability.db.projects import project_key
from connectability.db.sync_counters import SHARDS, PublishedCountItem, published_shard


def name_key(name: str) -> str:
    """Names identify areas, disciplines, sets and drawing numbers regardless of case and spacing."""
    return " ".join(name.split()).casefold()


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


_T = TypeVar("_T", bound=Item)
# Tries of a transaction whose items another request changed between the read and the write.
CHUNK_ATTEMPTS = 3


@cache
def connection() -> Connection:
    return Connection()


def get_item(model: type[_T], project_id: str, sk: str) -> _T | None:
    try:
        return model.get(project_key(project_id), sk)
    except DoesNotExist:
        return None


def drawing_ref(project_id: str, drawing_id: str) -> Ref[DrawingItem]:
    return Ref(DrawingItem, project_key(project_id), f"DRAWING#{drawing_id}")


def number_ref(project_id: str, number: str) -> Ref[DrawingNumberItem]:
    """The item that claims a drawing number in its project (and names the drawing that holds it)."""
    return Ref(DrawingNumberItem, project_key(project_id), f"DRAWNUM#{name_key(number)}")


def revision_number_ref(project_id: str, drawing_id: str, revision_number: str) -> Ref[RevisionNumberItem]:
    """The item that claims a revision number in its drawing (and names the revision that holds it)."""
    return Ref(RevisionNumberItem, project_key(project_id), f"REVNUM#{drawing_id}#{name_key(revision_number)}")


def revision_ref(project_id: str, revision_id: str) -> Ref[RevisionItem]:
    return Ref(RevisionItem, project_key(project_id), f"REVISION#{revision_id}")


# -- drawings -------------------------------------------------------------------------------------------------
def drawing_by_number(project_id: str, number: str) -> DrawingItem | None:
    lookup = get_item(DrawingNumberItem, project_id, f"DRAWNUM#{name_key(number)}")
    return get_drawing(project_id, lookup.drawing_id) if lookup else None


@retry_conflicts
def create_drawing(drawing: DrawingItem) -> bool:
    """Create a drawing and claim its number; False when another drawing holds the number already."""
    for name, value in register_keys(drawing.project_id, drawing.discipline_key, drawing.number).items():
        setattr(drawing, name, value)
    try:
        with TransactWrite(connection=connection()) as tx:
            tx.save(
                DrawingNumberItem(drawing.pk, f"DRAWNUM#{name_key(drawing.number)}", drawing_id=drawing.drawing_id),
                condition=DrawingNumberItem.pk.does_not_exist(),
            )
            tx.save(drawing, condition=DrawingItem.pk.does_not_exist())
    except TransactWriteError as exc:
        if condition_failed(exc):
            return False
        raise
    return True


def get_drawing(project_id: str, drawing_id: str) -> DrawingItem | None:
    return get_item(DrawingItem, project_id, f"DRAWING#{drawing_id}")


def get_drawings(project_id: str, drawing_ids: Iterable[str], consistent: bool = False) -> dict[str, DrawingItem]:
    keys = [(project_key(project_id), f"DRAWING#{d}") for d in set(drawing_ids)]
    return {d.drawing_id: d for d in DrawingItem.batch_get(keys, consistent_read=consistent)} if keys else {}


@retry_conflicts
def next_seq(drawing: DrawingItem) -> int | None:
    """The next revision's position within its drawing: an atomic counter, so racing uploads never share one.

    None when the drawing was deleted meanwhile.
    """
    try:
        drawing.update(actions=[DrawingItem.revision_count.add(1)], condition=DrawingItem.deleted == False)  # noqa: E712
    except UpdateError as exc:
        if error_code(exc) == "ConditionalCheckFailedException":
            return None
        raise
    return int(drawing.revision_count)


def register(
    project_id: str,
    area_id: str | None,
    discipline_key: str | None,
    include_obsolete: bool,
    with_unpublished: bool,
    limit: int,
    next_token: str | None,
) -> tuple[list[DrawingItem], str | None]:
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
    return page(
        DrawingItem.register_index,
        keys["gsi3pk"],
        DrawingItem.gsi3sk.startswith(keys["gsi3sk"]) if discipline_key else None,
        limit=limit,
        next_token=next_token,
        filter_condition=condition,
    )


@retry_conflicts
def edit_drawing(
    drawing: DrawingItem, changes: dict[str, Any], revisions: dict[str, tuple[RevisionItem, dict[str, Any]]]
) -> bool:
    """Set the changed fields of a drawing and of its revisions together (None removes a field); False when the
    drawing was deleted meanwhile.

    One transaction holds 100 items: a drawing with more revisions finishes in the following ones.
    """
    if "discipline_key" in changes:
        changes = changes | register_keys(drawing.project_id, changes["discipline_key"], drawing.number)
    actions = _actions(DrawingItem, changes)
    pending = [(r, a) for r, c in revisions.values() if (a := _actions(RevisionItem, c))]
    chunks = [pending[:99]] + [pending[i : i + 100] for i in range(99, len(pending), 100)]
    for n, chunk in enumerate(chunks):
        try:
            with TransactWrite(connection=connection()) as tx:
                if n == 0:
                    condition = DrawingItem.deleted == False  # noqa: E712
                    if actions:
                        tx.update(drawing, actions=actions, condition=condition)
                    else:
                        tx.condition_check(DrawingItem, drawing.pk, drawing.sk, condition=condition)
                for revision, revision_actions in chunk:
                    tx.update(revision, actions=revision_actions, condition=RevisionItem.state != "deleted")
        except TransactWriteError as exc:
            if n == 0 and condition_failed(exc):
                return False
            raise
    return True


def _actions(model: type[DrawingItem] | type[RevisionItem], changes: dict[str, Any]) -> list[Action]:
    """Set each attribute to its value; None removes it."""
    return [getattr(model, n).set(v) if v is not None else getattr(model, n).remove() for n, v in changes.items()]


def current_actions(revision: RevisionItem) -> list[Action]:
    """What a drawing takes from the revision that becomes its current one."""
    return [
        DrawingItem.current_revision_id.set(revision.revision_id),
        DrawingItem.current_seq.set(revision.seq),
        DrawingItem.title.set(revision.title),
        DrawingItem.discipline_key.set(revision.discipline_key),
        DrawingItem.gsi3sk.set(register_keys(revision.project_id, revision.discipline_key, revision.number)["gsi3sk"]),
        DrawingItem.area_id.set(revision.area_id) if revision.area_id else DrawingItem.area_id.remove(),
        *([DrawingItem.obsolete.set(bool(revision.obsolete))] if revision.connected else []),
    ]


def may_become_current(revision: RevisionItem) -> Condition:
    """The drawing stands, and this revision is newer than its current one."""
    return (DrawingItem.deleted == False) & (  # noqa: E712 - a DynamoDB condition
        DrawingItem.current_seq.does_not_exist() | (DrawingItem.current_seq < revision.seq)
    )


# -- revisions ------------------------------------------------------------------------------------------------
class NewRevision(StrEnum):
    """What became of a new revision: written, or refused because its drawing was deleted meanwhile or another
    revision of the drawing holds its revision number."""

    written = "written"
    drawing_deleted = "drawing_deleted"
    number_taken = "number_taken"


@retry_conflicts
def put_revision(revision: RevisionItem, drawing: DrawingItem, duty: Item | None = None) -> NewRevision:
    """Save a new revision, claiming its revision number in the drawing (and the duty it leaves, if any), only
    while its drawing stands."""
    claim = revision_number_ref(revision.project_id, drawing.drawing_id, revision.revision_number)
    try:
        with TransactWrite(connection=connection()) as tx:
            tx.condition_check(DrawingItem, drawing.pk, drawing.sk, condition=DrawingItem.deleted == False)  # noqa: E712
            tx.save(revision, condition=RevisionItem.pk.does_not_exist())
            tx.save(
                RevisionNumberItem(claim.pk, claim.sk, revision_id=revision.revision_id),
                condition=RevisionNumberItem.pk.does_not_exist(),
            )
            if duty is not None:
                tx.save(duty)
    except TransactWriteError as exc:
        if not condition_failed(exc):
            raise
        failed = [r is not None and r.code == "ConditionalCheckFailed" for r in exc.cancellation_reasons or []]
        if failed[2:3] == [True] and not failed[0]:
            return NewRevision.number_taken
        return NewRevision.drawing_deleted
    return NewRevision.written


def get_revision(project_id: str, revision_id: str, consistent: bool = False) -> RevisionItem | None:
    try:
        return RevisionItem.get(project_key(project_id), f"REVISION#{revision_id}", consistent_read=consistent)
    except DoesNotExist:
        return None


def get_revisions(project_id: str, revision_ids: Iterable[str], consistent: bool = False) -> dict[str, RevisionItem]:
    keys = [(project_key(project_id), f"REVISION#{r}") for r in set(revision_ids)]
    return {r.revision_id: r for r in RevisionItem.batch_get(keys, consistent_read=consistent)} if keys else {}


def revisions_of(drawing_id: str) -> list[RevisionItem]:
    """Every revision of a drawing, oldest first."""
    return list(RevisionItem.gsi1.query(f"DRAWING#{drawing_id}", RevisionItem.gsi1sk.startswith("REV#")))


@retry_conflicts
def publish(revision: RevisionItem, at: datetime) -> bool:
    """Draft to published in one transaction with its count and, if it is the newest, its drawing's current
    revision; False if it was not a draft any more, or its drawing was deleted (a concurrent publish or delete).
    A drawing that changed between the read and the write is read again."""
    for _ in range(CHUNK_ATTEMPTS):
        try:
            drawing = DrawingItem.get(revision.pk, f"DRAWING#{revision.drawing_id}", consistent_read=True)
        except DrawingItem.DoesNotExist:
            return False
        if drawing.deleted:
            return False  # a delete still finishing owns its revisions
        try:
            _publish_chunk([revision], {revision.drawing_id: drawing}, at)
        except TransactWriteError as exc:
            if not condition_failed(exc):
                raise
            reasons = exc.cancellation_reasons or []
            if any(r is not None and r.code == "ConditionalCheckFailed" for r in reasons[1:]):
                return False  # not a draft any more
            continue  # the drawing changed meanwhile
        return True
    return False


def publish_many(revisions: list[RevisionItem], drawings: dict[str, DrawingItem], at: datetime) -> list[RevisionItem]:
    """Publish drafts in transactions of up to a hundred items: the revisions, their drawings (each made current
    by its newest revision of the chunk when that is newer than the current one), the count's shards. A chunk
    is whole or nothing, so a publish that dies half-way leaves no revision published with its drawing behind;
    a set of thousands takes tens of round trips. A chunk that lost a race to another change goes one by one.
    Answers the revisions this call published. `drawings`: as read before, by id."""
    published: list[RevisionItem] = []
    for chunk in _publish_chunks(revisions):
        try:
            _publish_chunk(chunk, drawings, at)
            published += chunk
        except TransactWriteError as exc:
            if not condition_failed(exc):
                raise
            published += [r for r in chunk if publish(r, at)]
    return published


def _publish_chunks(revisions: list[RevisionItem]) -> list[list[RevisionItem]]:
    room = TRANSACTION_ITEMS - SHARDS  # every shard of the count may be touched
    chunks: list[list[RevisionItem]] = [[]]
    drawings: set[str] = set()
    for revision in revisions:
        if len(chunks[-1]) + 1 + len(drawings | {revision.drawing_id}) > room:  # with this revision
            chunks.append([])
            drawings = set()
        chunks[-1].append(revision)
        drawings.add(revision.drawing_id)
    return [c for c in chunks if c]


@retry_conflicts
def _publish_chunk(chunk: list[RevisionItem], drawings: dict[str, DrawingItem], at: datetime) -> None:
    """Drawings first (one item each), then the revisions, then the count's shards."""
    pk = chunk[0].pk
    newest: dict[str, RevisionItem] = {}
    for revision in chunk:
        if revision.seq > getattr(newest.get(revision.drawing_id), "seq", -1):
            newest[revision.drawing_id] = revision
    with TransactWrite(connection=connection()) as tx:
        for drawing_id, revision in sorted(newest.items()):
            drawing = drawings.get(drawing_id)
            if drawing is not None and (drawing.current_seq is None or drawing.current_seq < revision.seq):
                tx.update(drawing, actions=current_actions(revision), condition=may_become_current(revision))
            else:  # an older revision than the current one: published, the drawing left as it is
                tx.condition_check(DrawingItem, pk, f"DRAWING#{drawing_id}", condition=DrawingItem.deleted == False)  # noqa: E712
        counts: Counter[str] = Counter()
        for revision in chunk:
            tx.update(revision, actions=publish_actions(revision, at), condition=RevisionItem.state == "draft")
            counts[published_shard(revision.project_id, revision.revision_id).sk] += 1
        for sk, count in sorted(counts.items()):
            tx.update(PublishedCountItem(pk, sk), actions=[PublishedCountItem.published.add(count)])


TRANSACTION_ITEMS = 100


def publish_actions(revision: RevisionItem, at: datetime) -> list[Action]:
    """Published at `at`, and its first manifest version taken in the same write: nothing can change the
    revision between the two, so the manifest read after it is at least as new as its version says."""
    actions: list[Action] = [RevisionItem.state.set("published"), RevisionItem.published_at.set(at)]
    if not revision.connected:
        actions.append(RevisionItem.manifest_version.add(1))
    return actions


@retry_conflicts
def record_sha256(project_id: str, revision_id: str, sha256: str) -> bool:
    """The file check's result; False when the revision was not waiting for one (already checked, or gone)."""
    revision = RevisionItem(project_key(project_id), f"REVISION#{revision_id}")
    try:
        revision.update(
            actions=[RevisionItem.sha256.set(sha256), RevisionItem.file_state.set("ready")],
            condition=RevisionItem.file_state == "checking",
        )
    except UpdateError as exc:
        if error_code(exc) == "ConditionalCheckFailedException":
            return False
        raise
    return True


@retry_conflicts
def bump_manifest_version(project_id: str, revision_id: str) -> RevisionItem | None:
    """Take the next manifest version of a published, non-connected revision, and the revision as it is now
    (the update's own answer, so nothing read later can be older than the version). None: nothing to write."""
    revision = RevisionItem(project_key(project_id), f"REVISION#{revision_id}")
    try:
        revision.update(
            actions=[RevisionItem.manifest_version.add(1)],
            condition=RevisionItem.published_at.exists() & (RevisionItem.connected != True),  # noqa: E712
        )
    except UpdateError as exc:
        if error_code(exc) == "ConditionalCheckFailedException":
            return None
        raise
    return revision


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
) -> RevisionItem | None:
    """Give a revision its thumbnail: only once, only for the file version it holds, never once deleted. The
    revision as it is now, or None when it took none (another version, already given, deleted, not there)."""
    revision = RevisionItem(project_key(project_id), f"REVISION#{revision_id}")
    try:
        revision.update(
            actions=_actions(RevisionItem, {n: fields.get(n) for n in THUMBNAIL_FIELDS}),
            condition=(RevisionItem.file_version == file_version)
            & (RevisionItem.thumbnail_state.does_not_exist() | (RevisionItem.thumbnail_state == "pending"))
            & (RevisionItem.state != "deleted"),
        )
    except UpdateError as exc:
        if error_code(exc) == "ConditionalCheckFailedException":
            return None
        raise
    return revision


def deleted_revisions(project_id: str, limit: int, next_token: str | None) -> tuple[list[RevisionItem], str | None]:
    return page(
        RevisionItem.gsi2,
        f"{project_key(project_id)}#DELETED",
        limit=limit,
        next_token=next_token,
        scan_index_forward=False,
    )


def revisions_using(
    project_id: str, *, discipline_key: str | None = None, area_id: str | None = None, set_key: str | None = None
) -> list[RevisionItem]:
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
    return list(
        RevisionItem.query(
            project_key(project_id),
            RevisionItem.sk.startswith("REVISION#"),
            filter_condition=(RevisionItem.state != "deleted") & (attribute == value),
        )
    )

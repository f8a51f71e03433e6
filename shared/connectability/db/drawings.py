"""The drawing aggregate: drawings, their revisions, and the records they share (areas, disciplines, sets),
uploads and markups. Every item lives under its project's partition.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from functools import cache
from typing import TypeVar

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

from connectability.db.base import Gsi1, Gsi2, Item, condition_failed, page, retry_conflicts
from connectability.db.projects import project_key


def name_key(name: str) -> str:
    """Names identify areas, disciplines, sets and drawing numbers regardless of case and spacing."""
    return " ".join(name.split()).casefold()


class DrawingItem(Item):
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
    current_revision_id = UnicodeAttribute(null=True)
    current_seq = NumberAttribute(null=True)
    revision_count = NumberAttribute(default=0)
    deleted = BooleanAttribute(default=False)


class DrawingNumberItem(Item):
    drawing_id = UnicodeAttribute()


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
    obsolete = BooleanAttribute(null=True)  # connected copies: the drawing's obsolete flag, per their manifest
    synced_version = NumberAttribute(null=True)  # connected copies: the manifest version they hold
    bucket = UnicodeAttribute()
    file_key = UnicodeAttribute()
    file_version = UnicodeAttribute(null=True)
    file_state = UnicodeAttribute(default="ready")
    content_type = UnicodeAttribute()
    size = NumberAttribute()
    sha256 = UnicodeAttribute(null=True)
    published_at = UTCDateTimeAttribute(null=True)
    manifest_version = NumberAttribute(default=0)
    deleted_at = UTCDateTimeAttribute(null=True)
    deleted_by = UnicodeAttribute(null=True)
    created_by = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()


class AreaItem(Item):
    area_id = UnicodeAttribute()
    name = UnicodeAttribute()
    description = UnicodeAttribute(null=True)
    connection_id = UnicodeAttribute(null=True)  # an upstream's area that came with a connection (read-only here)
    read_at = UTCDateTimeAttribute(null=True)  # connected records: as of which manifest read


class AreaNameItem(Item):
    area_id = UnicodeAttribute()


class DisciplineItem(Item):
    name = UnicodeAttribute()
    position = NumberAttribute(null=True)
    read_at = UTCDateTimeAttribute(null=True)


class SetItem(Item):
    name = UnicodeAttribute()
    date = UnicodeAttribute()
    read_at = UTCDateTimeAttribute(null=True)


def record_key(key: str, connection_id: str | None) -> str:
    """The key of a discipline or set record: a connected copy's records are its connection's own (R24)."""
    return f"{connection_id}#{key}" if connection_id else key


_T = TypeVar("_T", bound=Item)


@cache
def _connection() -> Connection:
    return Connection()


def _get(model: type[_T], project_id: str, sk: str) -> _T | None:
    try:
        return model.get(project_key(project_id), sk)
    except DoesNotExist:
        return None


# -- drawings -------------------------------------------------------------------------------------------------
def drawing_by_number(project_id: str, number: str) -> DrawingItem | None:
    lookup = _get(DrawingNumberItem, project_id, f"DRAWNUM#{name_key(number)}")
    return get_drawing(project_id, lookup.drawing_id) if lookup else None


@retry_conflicts
def create_drawing(drawing: DrawingItem) -> bool:
    """Create a drawing and claim its number; False when another drawing holds the number already."""
    try:
        with TransactWrite(connection=_connection()) as tx:
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
    return _get(DrawingItem, project_id, f"DRAWING#{drawing_id}")


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
        if exc.cause_response_code == "ConditionalCheckFailedException":
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
    """A page of the project's drawings that match; pages may come back short (the filter runs after the read)."""
    condition: Condition = DrawingItem.deleted == False  # noqa: E712 - a DynamoDB condition, not a comparison
    if not with_unpublished:
        condition &= DrawingItem.current_revision_id.exists()
    if not include_obsolete:
        condition &= DrawingItem.obsolete == False  # noqa: E712
    if area_id:
        condition &= DrawingItem.area_id == area_id
    if discipline_key:
        condition &= DrawingItem.discipline_key == discipline_key
    return page(
        DrawingItem,
        project_key(project_id),
        DrawingItem.sk.startswith("DRAWING#"),
        limit=limit,
        next_token=next_token,
        filter_condition=condition,
    )


@retry_conflicts
def edit_drawing(
    drawing: DrawingItem, actions: list[Action], revisions: dict[str, tuple[RevisionItem, list[Action]]]
) -> bool:
    """Apply an edit to a drawing and its revisions together; False when the drawing was deleted meanwhile.

    One transaction holds 100 items: a drawing with more revisions finishes in the following ones.
    """
    pending = [(r, a) for r, a in revisions.values() if a]
    chunks = [pending[:99]] + [pending[i : i + 100] for i in range(99, len(pending), 100)]
    for n, chunk in enumerate(chunks):
        try:
            with TransactWrite(connection=_connection()) as tx:
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


@retry_conflicts
def make_current(drawing: DrawingItem, revision: RevisionItem) -> bool:
    """The newest published revision becomes current; publishing an older one leaves the current one."""
    try:
        drawing.update(
            actions=[
                DrawingItem.current_revision_id.set(revision.revision_id),
                DrawingItem.current_seq.set(revision.seq),
                DrawingItem.title.set(revision.title),
                DrawingItem.discipline_key.set(revision.discipline_key),
                DrawingItem.area_id.set(revision.area_id) if revision.area_id else DrawingItem.area_id.remove(),
                *([DrawingItem.obsolete.set(bool(revision.obsolete))] if revision.connected else []),
            ],
            condition=(DrawingItem.deleted == False)  # noqa: E712
            & (DrawingItem.current_seq.does_not_exist() | (DrawingItem.current_seq < revision.seq)),
        )
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def delete_drawing(drawing: DrawingItem, revisions: list[RevisionItem], by: str, at: datetime) -> bool:
    """Remove a drawing from the register and move its revisions to the deleted report.

    False when another request deleted it first.
    """
    stamp = at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    # One transaction holds 100 items: the drawing and its number, then revisions in chunks. The first chunk
    # commits the delete itself; a drawing with more revisions than fit finishes in the following ones.
    first, rest = revisions[:98], revisions[98:]
    chunks = [first] + [rest[i : i + 100] for i in range(0, len(rest), 100)]
    for n, chunk in enumerate(chunks):
        try:
            _delete_chunk(drawing, chunk, first=n == 0, by=by, at=at, stamp=stamp)
        except TransactWriteError as exc:
            if n == 0 and condition_failed(exc):
                return False
            raise
    return True


@retry_conflicts
def _delete_chunk(
    drawing: DrawingItem, chunk: list[RevisionItem], *, first: bool, by: str, at: datetime, stamp: str
) -> None:
    with TransactWrite(connection=_connection()) as tx:
        if first:
            tx.update(drawing, actions=[DrawingItem.deleted.set(True)], condition=DrawingItem.deleted == False)  # noqa: E712
            tx.delete(DrawingNumberItem(drawing.pk, f"DRAWNUM#{name_key(drawing.number)}"))
        for revision in chunk:
            tx.update(
                revision,
                actions=[
                    RevisionItem.state.set("deleted"),
                    RevisionItem.deleted_at.set(at),
                    RevisionItem.deleted_by.set(by),
                    RevisionItem.gsi2pk.set(f"{drawing.pk}#DELETED"),
                    RevisionItem.gsi2sk.set(f"{stamp}#{revision.revision_id}"),
                ],
            )


# -- revisions ------------------------------------------------------------------------------------------------
@retry_conflicts
def put_revision(revision: RevisionItem, drawing: DrawingItem, duty: Item | None = None) -> bool:
    """Save a new revision (and the duty it leaves, if any) only while its drawing stands: False when a delete
    committed first."""
    try:
        with TransactWrite(connection=_connection()) as tx:
            tx.condition_check(DrawingItem, drawing.pk, drawing.sk, condition=DrawingItem.deleted == False)  # noqa: E712
            tx.save(revision, condition=RevisionItem.pk.does_not_exist())
            if duty is not None:
                tx.save(duty)
    except TransactWriteError as exc:
        if condition_failed(exc):
            return False
        raise
    return True


def get_revision(project_id: str, revision_id: str, consistent: bool = False) -> RevisionItem | None:
    try:
        return RevisionItem.get(project_key(project_id), f"REVISION#{revision_id}", consistent_read=consistent)
    except DoesNotExist:
        return None


def get_revisions(project_id: str, revision_ids: Iterable[str]) -> dict[str, RevisionItem]:
    keys = [(project_key(project_id), f"REVISION#{r}") for r in set(revision_ids)]
    return {r.revision_id: r for r in RevisionItem.batch_get(keys)} if keys else {}


def revisions_of(drawing_id: str) -> list[RevisionItem]:
    """Every revision of a drawing, oldest first."""
    return list(RevisionItem.gsi1.query(f"DRAWING#{drawing_id}", RevisionItem.gsi1sk.startswith("REV#")))


@retry_conflicts
def publish(revision: RevisionItem, at: datetime) -> bool:
    """Draft to published; False if it was not a draft any more (a concurrent publish or delete)."""
    try:
        revision.update(
            actions=[RevisionItem.state.set("published"), RevisionItem.published_at.set(at)],
            condition=RevisionItem.state == "draft",
        )
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


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
        if exc.cause_response_code == "ConditionalCheckFailedException":
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
        if exc.cause_response_code == "ConditionalCheckFailedException":
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


# -- shared records: areas, disciplines, sets -----------------------------------------------------------------
def area_by_name(project_id: str, name: str) -> AreaItem | None:
    lookup = _get(AreaNameItem, project_id, f"AREANAME#{name_key(name)}")
    return get_area(project_id, lookup.area_id) if lookup else None


@retry_conflicts
def create_area(project_id: str, area_id: str, name: str, description: str | None) -> AreaItem:
    """Create an area and claim its name; when another request claimed it first, answer that area."""
    area = AreaItem(project_key(project_id), f"AREA#{area_id}", area_id=area_id, name=name, description=description)
    try:
        with TransactWrite(connection=_connection()) as tx:
            tx.save(
                AreaNameItem(area.pk, f"AREANAME#{name_key(name)}", area_id=area_id),
                condition=AreaNameItem.pk.does_not_exist(),
            )
            tx.save(area)
    except TransactWriteError as exc:
        existing = area_by_name(project_id, name) if condition_failed(exc) else None
        if existing is None:
            raise
        return existing
    return area


def get_area(project_id: str, area_id: str) -> AreaItem | None:
    return _get(AreaItem, project_id, f"AREA#{area_id}")


def get_areas(project_id: str, area_ids: Iterable[str | None], consistent: bool = False) -> dict[str, AreaItem]:
    keys = [(project_key(project_id), f"AREA#{a}") for a in {a for a in area_ids if a}]
    return {a.area_id: a for a in AreaItem.batch_get(keys, consistent_read=consistent)} if keys else {}


def areas(project_id: str, limit: int, next_token: str | None) -> tuple[list[AreaItem], str | None]:
    return page(AreaItem, project_key(project_id), AreaItem.sk.startswith("AREA#"), limit=limit, next_token=next_token)


@retry_conflicts
def update_area(area: AreaItem, name: str, description: str | None) -> bool:
    """Rename an area (its name moves to the new one atomically) and set its description; False if the new
    name belongs to another area."""
    old, new = name_key(area.name), name_key(name)
    try:
        with TransactWrite(connection=_connection()) as tx:
            if new != old:
                tx.delete(AreaNameItem(area.pk, f"AREANAME#{old}"), condition=AreaNameItem.area_id == area.area_id)
                tx.save(
                    AreaNameItem(area.pk, f"AREANAME#{new}", area_id=area.area_id),
                    condition=AreaNameItem.pk.does_not_exist(),
                )
            tx.update(
                area,
                actions=[
                    AreaItem.name.set(name),
                    AreaItem.description.set(description) if description else AreaItem.description.remove(),
                ],
                condition=AreaItem.pk.exists(),
            )
    except TransactWriteError as exc:
        if condition_failed(exc):
            return False
        raise
    return True


def update_area_description(area: AreaItem, description: str | None) -> None:
    area.update(actions=[AreaItem.description.set(description) if description else AreaItem.description.remove()])


def get_discipline(project_id: str, key: str) -> DisciplineItem | None:
    return _get(DisciplineItem, project_id, f"DISCIPLINE#{key}")


def put_discipline(project_id: str, name: str, position: int | None) -> DisciplineItem:
    item = DisciplineItem(project_key(project_id), f"DISCIPLINE#{name_key(name)}", name=name, position=position)
    item.save()
    return item


def get_disciplines(project_id: str, keys: Iterable[str], consistent: bool = False) -> dict[str, DisciplineItem]:
    wanted = [(project_key(project_id), f"DISCIPLINE#{k}") for k in set(keys)]
    found = DisciplineItem.batch_get(wanted, consistent_read=consistent) if wanted else []
    return {d.sk.removeprefix("DISCIPLINE#"): d for d in found}


def get_set(project_id: str, key: str) -> SetItem | None:
    return _get(SetItem, project_id, f"SET#{key}")


def put_set(project_id: str, name: str, day: str) -> SetItem:
    item = SetItem(project_key(project_id), f"SET#{name_key(name)}", name=name, date=day)
    item.save()
    return item


def get_sets(project_id: str, keys: Iterable[str | None], consistent: bool = False) -> dict[str, SetItem]:
    wanted = [(project_key(project_id), f"SET#{k}") for k in {k for k in keys if k}]
    found = SetItem.batch_get(wanted, consistent_read=consistent) if wanted else []
    return {s.sk.removeprefix("SET#"): s for s in found}


def revisions_where(project_id: str, condition: Condition) -> list[RevisionItem]:
    """Revisions of a project that match, deleted ones excluded (fan-out of a shared record's change)."""
    return list(
        RevisionItem.query(
            project_key(project_id),
            RevisionItem.sk.startswith("REVISION#"),
            filter_condition=(RevisionItem.state != "deleted") & condition,
        )
    )

"""The records drawings share within a project: areas, disciplines and drawing sets. A change to one reaches every
revision that uses it. A connected copy uses records of its connection's own (R24), keyed apart from the
project's, so no downstream edit reaches a synced field through them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from connectability.db import audit as audit_db
from connectability.db.base import (
    Found,
    Item,
    Ref,
    as_row,
    condition_failed,
    held,
    low,
    page,
    ref,
    retry_conflicts,
    written,
)
from connectability.db.companies import company_ref
from connectability.db.projects import project_key, project_ref
from connectability.db.rows import (
    AreaNameRow,
    AreaRow,
    AuditEntry,
    DisciplineRow,
    DrawingRow,
    RevisionRow,
    RowRecords,
    SetRow,
)
from connectability.models.common import name_key


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


Record = AreaRow | DisciplineRow | SetRow


def _record_key(name: str, connection_id: str | None) -> str:
    """The key of a discipline or set record: a connected copy's records are its connection's own (R24)."""
    return f"{connection_id}#{name_key(name)}" if connection_id else name_key(name)


def area_ref(project_id: str, area_id: str) -> Ref[AreaRow]:
    return ref(AreaItem, AreaRow, project_key(project_id), f"AREA#{area_id}")


def area_name_ref(project_id: str, name: str) -> Ref[AreaNameRow]:
    """Which area holds a name in its project."""
    return ref(AreaNameItem, AreaNameRow, project_key(project_id), f"AREANAME#{name_key(name)}")


def discipline_ref(project_id: str, name: str, connection_id: str | None = None) -> Ref[DisciplineRow]:
    """The project's discipline of this name (or, for copies of a connection, that connection's)."""
    return ref(DisciplineItem, DisciplineRow, project_key(project_id), f"DISCIPLINE#{_record_key(name, connection_id)}")


def set_ref(project_id: str, name: str, connection_id: str | None = None) -> Ref[SetRow]:
    """The project's drawing set of this name (or, for copies of a connection, that connection's)."""
    return ref(SetItem, SetRow, project_key(project_id), f"SET#{_record_key(name, connection_id)}")


def record_refs(project_id: str, row: DrawingRow | RevisionRow) -> list[Ref[Any]]:
    """What a drawing or revision points at (records_for): its discipline, area and (a revision's) set, a
    connected one's being its connection's own; for a connected one, the upstream project and company too."""
    source = row.source_connection_id if row.connected else None
    refs: list[Ref[Any]] = [discipline_ref(project_id, row.discipline_key, source)]
    if row.area_id:
        refs.append(area_ref(project_id, row.area_id))
    if isinstance(row, RevisionRow) and row.set_key:
        refs.append(set_ref(project_id, row.set_key, source))
    if row.connected and row.source_project_id and row.source_company_id:
        refs += [project_ref(row.source_project_id), company_ref(row.source_company_id)]
    return refs


def records_for(found: Found, project_id: str, rows: Iterable[DrawingRow | RevisionRow]) -> list[RowRecords]:
    """What each of these drawings and revisions points at (record_refs), as read in `found`, in their order."""
    return [_records(found, project_id, row) for row in rows]


def _records(found: Found, project_id: str, row: DrawingRow | RevisionRow) -> RowRecords:
    source = row.source_connection_id if row.connected else None
    set_key = row.set_key if isinstance(row, RevisionRow) else None
    return RowRecords(
        discipline=found.get(discipline_ref(project_id, row.discipline_key, source)),
        area=found.get(area_ref(project_id, row.area_id)) if row.area_id else None,
        drawing_set=found.get(set_ref(project_id, set_key, source)) if set_key else None,
        source_project=found.get(project_ref(row.source_project_id)) if row.source_project_id else None,
        source_company=found.get(company_ref(row.source_company_id)) if row.source_company_id else None,
    )


def found(project_id: str, discipline: DisciplineRow | None, area: AreaRow | None, drawing_set: SetRow | None) -> Found:
    """A project's own records at hand (just found or made), as if read: for the views of what uses them."""
    return Found.of(
        [
            *([(discipline_ref(project_id, discipline.name), discipline)] if discipline else []),
            *([(area_ref(project_id, area.area_id), area)] if area else []),
            *([(set_ref(project_id, drawing_set.name), drawing_set)] if drawing_set else []),
        ]
    )


def record_item(project_id: str, connection_id: str, record: Record) -> Item:
    """The item of a connected copy's record (its connection's own, R24), as a copy writes it."""
    pk = project_key(project_id)
    fields = held(record)
    if isinstance(record, AreaRow):
        return AreaItem(pk, f"AREA#{record.area_id}", **fields)
    if isinstance(record, DisciplineRow):
        return DisciplineItem(pk, f"DISCIPLINE#{_record_key(record.name, connection_id)}", **fields)
    return SetItem(pk, f"SET#{_record_key(record.name, connection_id)}", **fields)


def record_row(item: Item) -> Record:
    """A record as read, as a row."""
    if isinstance(item, AreaItem):
        return as_row(AreaRow, item)
    if isinstance(item, DisciplineItem):
        return as_row(DisciplineRow, item)
    return as_row(SetRow, item)


def area_by_name(project_id: str, name: str) -> AreaRow | None:
    try:
        lookup = AreaNameItem.get(project_key(project_id), f"AREANAME#{name_key(name)}")
    except AreaNameItem.DoesNotExist:
        return None
    return get_area(project_id, lookup.area_id)


@retry_conflicts
def create_area(project_id: str, area_id: str, name: str, description: str | None) -> AreaRow:
    """Create an area and claim its name; when another request claimed it first, answer that area."""
    pk = project_key(project_id)
    area = AreaItem(pk, f"AREA#{area_id}", area_id=area_id, name=name, description=description)

    try:
        with TransactWrite(connection=low()) as tx:
            tx.save(
                AreaNameItem(pk, f"AREANAME#{name_key(name)}", area_id=area_id),
                condition=AreaNameItem.pk.does_not_exist(),
            )
            tx.save(area)
    except TransactWriteError as exc:
        existing = area_by_name(project_id, name) if condition_failed(exc) else None
        if existing is None:
            raise
        return existing  # another request made it first
    return as_row(AreaRow, area)


def get_area(project_id: str, area_id: str) -> AreaRow | None:
    try:
        return as_row(AreaRow, AreaItem.get(project_key(project_id), f"AREA#{area_id}"))
    except AreaItem.DoesNotExist:
        return None


def areas(project_id: str, limit: int, next_token: str | None) -> tuple[list[AreaRow], str | None]:
    items, token = page(
        AreaItem, project_key(project_id), AreaItem.sk.startswith("AREA#"), limit=limit, next_token=next_token
    )
    return [as_row(AreaRow, a) for a in items], token


def disciplines(project_id: str, limit: int, next_token: str | None) -> tuple[list[DisciplineRow], str | None]:
    """The project's own disciplines, by name (a connected copy's, which carry their read time, are not its own)."""
    items, token = page(
        DisciplineItem,
        project_key(project_id),
        DisciplineItem.sk.startswith("DISCIPLINE#"),
        limit=limit,
        next_token=next_token,
        filter_condition=DisciplineItem.read_at.does_not_exist(),
    )
    return [as_row(DisciplineRow, d) for d in items], token


def sets(project_id: str, limit: int, next_token: str | None) -> tuple[list[SetRow], str | None]:
    """The project's own drawing sets, by name."""
    items, token = page(
        SetItem,
        project_key(project_id),
        SetItem.sk.startswith("SET#"),
        limit=limit,
        next_token=next_token,
        filter_condition=SetItem.read_at.does_not_exist(),
    )
    return [as_row(SetRow, s) for s in items], token


@retry_conflicts
def update_area(project_id: str, area: AreaRow, name: str, description: str | None, audit: AuditEntry) -> bool:
    """Rename an area (its name moves to the new one atomically) and set its description, with the change's
    record; False if the new name belongs to another area."""
    pk, old, new = project_key(project_id), name_key(area.name), name_key(name)

    def write() -> None:
        with TransactWrite(connection=low()) as tx:
            if new != old:
                tx.delete(AreaNameItem(pk, f"AREANAME#{old}"), condition=AreaNameItem.area_id == area.area_id)
                tx.save(
                    AreaNameItem(pk, f"AREANAME#{new}", area_id=area.area_id),
                    condition=AreaNameItem.pk.does_not_exist(),
                )
            tx.update(
                AreaItem(pk, f"AREA#{area.area_id}"),
                actions=[
                    AreaItem.name.set(name),
                    AreaItem.description.set(description) if description else AreaItem.description.remove(),
                ],
                condition=AreaItem.pk.exists(),
            )
            audit_db.record(tx, audit)

    return written(write)


def update_area_description(project_id: str, area_id: str, description: str | None) -> None:
    AreaItem(project_key(project_id), f"AREA#{area_id}").update(
        actions=[AreaItem.description.set(description) if description else AreaItem.description.remove()]
    )


def put_discipline(project_id: str, name: str, position: int | None) -> DisciplineRow:
    item = DisciplineItem(project_key(project_id), f"DISCIPLINE#{name_key(name)}", name=name, position=position)
    item.save()
    return as_row(DisciplineRow, item)


def put_set(project_id: str, name: str, day: str) -> SetRow:
    item = SetItem(project_key(project_id), f"SET#{name_key(name)}", name=name, date=day)
    item.save()
    return as_row(SetRow, item)

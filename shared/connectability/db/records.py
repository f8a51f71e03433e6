"""The records drawings share within a project: areas, disciplines and drawing sets. A change to one reaches every
revision that uses it. A connected copy uses records of its connection's own (R24), keyed apart from the
project's, so no downstream edit reaches a synced field through them."""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from connectability.db.base import Item, Ref, condition_failed, page, retry_conflicts
from connectability.db.drawings import connection, get_item, name_key
from connectability.db.projects import project_key


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


def area_ref(project_id: str, area_id: str) -> Ref[AreaItem]:
    return Ref(AreaItem, project_key(project_id), f"AREA#{area_id}")


def area_name_ref(project_id: str, name: str) -> Ref[AreaNameItem]:
    """The item that claims an area's name in its project (and names the area)."""
    return Ref(AreaNameItem, project_key(project_id), f"AREANAME#{name_key(name)}")


def discipline_ref(project_id: str, key: str) -> Ref[DisciplineItem]:
    """`key`: the record key (record_key) of a discipline."""
    return Ref(DisciplineItem, project_key(project_id), f"DISCIPLINE#{key}")


def set_ref(project_id: str, key: str) -> Ref[SetItem]:
    """`key`: the record key (record_key) of a drawing set."""
    return Ref(SetItem, project_key(project_id), f"SET#{key}")


def area_by_name(project_id: str, name: str) -> AreaItem | None:
    lookup = get_item(AreaNameItem, project_id, f"AREANAME#{name_key(name)}")
    return get_area(project_id, lookup.area_id) if lookup else None


@retry_conflicts
def create_area(project_id: str, area_id: str, name: str, description: str | None) -> AreaItem:
    """Create an area and claim its name; when another request claimed it first, answer that area."""
    area = AreaItem(project_key(project_id), f"AREA#{area_id}", area_id=area_id, name=name, description=description)
    try:
        with TransactWrite(connection=connection()) as tx:
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
    return get_item(AreaItem, project_id, f"AREA#{area_id}")


def areas(project_id: str, limit: int, next_token: str | None) -> tuple[list[AreaItem], str | None]:
    return page(AreaItem, project_key(project_id), AreaItem.sk.startswith("AREA#"), limit=limit, next_token=next_token)


def disciplines(project_id: str, limit: int, next_token: str | None) -> tuple[list[DisciplineItem], str | None]:
    """The project's own disciplines, by name (a connected copy's, which carry their read time, are not its own)."""
    return page(
        DisciplineItem,
        project_key(project_id),
        DisciplineItem.sk.startswith("DISCIPLINE#"),
        limit=limit,
        next_token=next_token,
        filter_condition=DisciplineItem.read_at.does_not_exist(),
    )


def sets(project_id: str, limit: int, next_token: str | None) -> tuple[list[SetItem], str | None]:
    """The project's own drawing sets, by name."""
    return page(
        SetItem,
        project_key(project_id),
        SetItem.sk.startswith("SET#"),
        limit=limit,
        next_token=next_token,
        filter_condition=SetItem.read_at.does_not_exist(),
    )


@retry_conflicts
def update_area(area: AreaItem, name: str, description: str | None) -> bool:
    """Rename an area (its name moves to the new one atomically) and set its description; False if the new
    name belongs to another area."""
    old, new = name_key(area.name), name_key(name)
    try:
        with TransactWrite(connection=connection()) as tx:
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


def put_discipline(project_id: str, name: str, position: int | None) -> DisciplineItem:
    item = DisciplineItem(project_key(project_id), f"DISCIPLINE#{name_key(name)}", name=name, position=position)
    item.save()
    return item


def put_set(project_id: str, name: str, day: str) -> SetItem:
    item = SetItem(project_key(project_id), f"SET#{name_key(name)}", name=name, date=day)
    item.save()
    return item

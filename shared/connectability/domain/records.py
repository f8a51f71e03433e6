"""The records drawings share (areas, disciplines, sets), found or made from what a body names. Sync copies the
area's name and description and the discipline's name and position with each revision (R20): a change to one
reaches every revision that uses it, and a manifest follows for each published one (manifests.py)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, NamedTuple

from connectability.aws import together
from connectability.db import drawings as db
from connectability.db import records as records_db
from connectability.db.base import Found, Ref
from connectability.db.rows import AreaRow, DisciplineRow, SetRow
from connectability.domain.ids import new_id
from connectability.domain.manifests import manifests_follow
from connectability.models.common import name_key
from connectability.models.drawings import AreaIn, DisciplineIn, DrawingSetIn


# A body names its discipline, area and set; they are read with the caller's rights (named_refs, then, for the
# area its name points at, named_area_refs), and found or made from what was read (find_or_make).
def named_refs(
    project_id: str, discipline: DisciplineIn | None, area: AreaIn | None, drawing_set: DrawingSetIn | None
) -> list[Ref[Any]]:
    return [
        *([records_db.discipline_ref(project_id, discipline.name)] if discipline else []),
        *([records_db.area_name_ref(project_id, area.name)] if area else []),
        *([records_db.set_ref(project_id, drawing_set.name)] if drawing_set else []),
    ]


def named_area_refs(project_id: str, area: AreaIn | None, found: Found) -> list[Ref[Any]]:
    lookup = found.get(records_db.area_name_ref(project_id, area.name)) if area else None
    return [records_db.area_ref(project_id, lookup.area_id)] if lookup else []


def _named_discipline(project_id: str, given: DisciplineIn, found: Found) -> DisciplineRow | None:
    return found.get(records_db.discipline_ref(project_id, given.name))


def _named_set(project_id: str, given: DrawingSetIn, found: Found) -> SetRow | None:
    return found.get(records_db.set_ref(project_id, given.name))


def _named_area(project_id: str, given: AreaIn, found: Found) -> AreaRow | None:
    lookup = found.get(records_db.area_name_ref(project_id, given.name))
    return found.get(records_db.area_ref(project_id, lookup.area_id)) if lookup else None


class NamedRecords(NamedTuple):
    """The records a body names, as found or made (None: not named), and the same records for its view."""

    project_id: str
    discipline: DisciplineRow | None
    area: AreaRow | None
    drawing_set: SetRow | None

    @property
    def found(self) -> Found:
        return records_db.found(self.project_id, self.discipline, self.area, self.drawing_set)


def find_or_make(
    project_id: str,
    discipline: DisciplineIn | None,
    area: AreaIn | None,
    drawing_set: DrawingSetIn | None,
    found: Found,
    *,
    may_change: bool = True,
    alongside: Callable[[], object] | None = None,
) -> NamedRecords:
    """Find (as read in `found`) or make the records a body names; those to write are written at once, with
    `alongside` (another write of the request) if given."""
    calls: list[Callable[[], object]] = [alongside] if alongside is not None else []
    if discipline is not None:
        current = _named_discipline(project_id, discipline, found)
        calls.append(partial(_discipline, project_id, discipline, current, may_change))
    if area is not None:
        calls.append(partial(_area, project_id, area, _named_area(project_id, area, found), may_change))
    if drawing_set is not None:
        calls.append(partial(_set, project_id, drawing_set, _named_set(project_id, drawing_set, found), may_change))
    answers = iter(together(*calls)[1 if alongside is not None else 0 :])
    return NamedRecords(
        project_id,
        next(answers) if discipline is not None else None,
        next(answers) if area is not None else None,
        next(answers) if drawing_set is not None else None,
    )


def _discipline(
    project_id: str, given: DisciplineIn, current: DisciplineRow | None, may_change: bool = True
) -> DisciplineRow:
    """Find (`current`, as read) or make the discipline; only a Drawings admin's value changes an existing one (and
    reaches sync)."""
    key = name_key(given.name)
    if current is None:
        return records_db.put_discipline(project_id, given.name, given.position)
    if may_change and given.position is not None and given.position != current.position:
        with manifests_follow(project_id, db.revisions_using(project_id, discipline_key=key)):
            return records_db.put_discipline(project_id, current.name, given.position)
    return current


def _area(project_id: str, given: AreaIn, current: AreaRow | None, may_change: bool = True) -> AreaRow:
    if current is None:
        return records_db.create_area(project_id, new_id("area"), given.name, given.description)
    if may_change and given.description is not None and given.description != (current.description or ""):
        with manifests_follow(project_id, db.revisions_using(project_id, area_id=current.area_id)):
            records_db.update_area_description(project_id, current.area_id, given.description)
    return current


def _set(project_id: str, given: DrawingSetIn, current: SetRow | None, may_change: bool = True) -> SetRow:
    key = name_key(given.name)
    if current is None:
        return records_db.put_set(project_id, given.name, given.date.isoformat())
    if may_change and current.date != given.date.isoformat():
        with manifests_follow(project_id, db.revisions_using(project_id, set_key=key)):
            return records_db.put_set(project_id, current.name, given.date.isoformat())
    return current

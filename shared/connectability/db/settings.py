"""A project's settings per tool: who gets its notifications (R38)."""

from __future__ import annotations

from pynamodb.attributes import ListAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist

from connectability.db import audit as audit_db
from connectability.db.base import Item, Ref, as_read, as_row, lost_race, ref, transaction, written
from connectability.db.projects import project_key
from connectability.db.rows import AuditEntry, SettingsRow


class SettingsItem(Item):
    mode = UnicodeAttribute(default="default")
    user_ids = ListAttribute[str](default=list)


def settings_ref(project_id: str, tool: str) -> Ref[SettingsRow]:
    """A project's settings of one tool; none are stored until they are first saved (the defaults hold)."""
    return ref(SettingsItem, SettingsRow, project_key(project_id), f"SETTINGS#{tool}")


def get_settings_of(project_id: str, tool: str) -> SettingsRow:
    """The stored settings, or the defaults when none were ever saved."""
    try:
        return as_row(SettingsRow, SettingsItem.get(project_key(project_id), f"SETTINGS#{tool}"))
    except DoesNotExist:
        return SettingsRow()


def put_settings_of(
    project_id: str, tool: str, settings: SettingsRow, before: SettingsRow | None, audit: AuditEntry
) -> bool:
    """Save a tool's settings over those read (`before`; None: never saved), with the change's record; False when
    they changed meanwhile (nothing written)."""
    item = SettingsItem(project_key(project_id), f"SETTINGS#{tool}", mode=settings.mode, user_ids=settings.user_ids)
    condition = (
        SettingsItem.pk.does_not_exist()
        if before is None
        else as_read(SettingsItem, {"mode": before.mode, "user_ids": before.user_ids})
    )

    def write() -> None:
        with transaction() as tx:
            tx.save(item, condition=condition)
            audit_db.record(tx, audit)

    return written(write, lost_race)

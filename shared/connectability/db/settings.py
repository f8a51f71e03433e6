"""A project's settings per tool: who gets its notifications (R38)."""

from __future__ import annotations

from pynamodb.attributes import ListAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist

from connectability.db.base import Item, as_row
from connectability.db.projects import project_key
from connectability.db.rows import SettingsRow


class SettingsItem(Item):
    mode = UnicodeAttribute(default="default")
    user_ids = ListAttribute[str](default=list)


def get_settings_of(project_id: str, tool: str) -> SettingsRow:
    """The stored settings, or the defaults when none were ever saved."""
    try:
        return as_row(SettingsRow, SettingsItem.get(project_key(project_id), f"SETTINGS#{tool}"))
    except DoesNotExist:
        return SettingsRow()


def put_settings_of(project_id: str, tool: str, mode: str, user_ids: list[str]) -> SettingsRow:
    SettingsItem(project_key(project_id), f"SETTINGS#{tool}", mode=mode, user_ids=user_ids).save()
    return SettingsRow(mode=mode, user_ids=list(user_ids))

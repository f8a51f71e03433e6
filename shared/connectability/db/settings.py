"""A project's settings per tool: who gets its notifications (R38)."""

from __future__ import annotations

from pynamodb.attributes import ListAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist

from connectability.db.base import Item
from connectability.db.projects import project_key


class SettingsItem(Item):
    mode = UnicodeAttribute(default="default")
    user_ids = ListAttribute[str](default=list)


def get_settings_of(project_id: str, tool: str) -> SettingsItem:
    """The stored settings, or the defaults when none were ever saved."""
    try:
        return SettingsItem.get(project_key(project_id), f"SETTINGS#{tool}")
    except DoesNotExist:
        return SettingsItem(project_key(project_id), f"SETTINGS#{tool}")


def put_settings_of(project_id: str, tool: str, mode: str, user_ids: list[str]) -> SettingsItem:
    item = SettingsItem(project_key(project_id), f"SETTINGS#{tool}", mode=mode, user_ids=user_ids)
    item.save()
    return item

"""The single application table: every aggregate keeps its items under `pk`/`sk` with two overloaded GSIs."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from pynamodb.attributes import UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from connectability.config import get_settings
from connectability.errors import InvalidInput


class _SettingsBackedMeta(type):
    """Resolve the table name from settings at each use, so nothing is read from the environment at import."""

    @property
    def table_name(cls) -> str:
        return get_settings().table_name


class TableMeta(metaclass=_SettingsBackedMeta):
    """`class Meta(TableMeta)` on every model of the application table."""


class Gsi1(GlobalSecondaryIndex[Any]):
    class Meta:
        index_name = "gsi1"
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class Gsi2(GlobalSecondaryIndex[Any]):
    class Meta:
        index_name = "gsi2"
        projection = AllProjection()

    gsi2pk = UnicodeAttribute(hash_key=True)
    gsi2sk = UnicodeAttribute(range_key=True)


class Item(Model):
    """Keys common to every item of the table."""

    class Meta(TableMeta):
        pass

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)


def update_item(item: Item, **changes: object) -> None:
    """Apply changes to an item read earlier; the item must still exist (a concurrent delete wins)."""
    if not changes:
        return
    for name, value in changes.items():
        setattr(item, name, value)
    item.save(condition=type(item).pk.exists())


def encode_token(last_key: dict[str, Any] | None) -> str | None:
    """Turn DynamoDB's LastEvaluatedKey into an opaque `next_token`."""
    if not last_key:
        return None
    return base64.urlsafe_b64encode(json.dumps(last_key, sort_keys=True).encode()).decode()


_BAD_TOKEN = "next_token is not one this API gave out; repeat the first request without it."


def decode_token(token: str | None) -> dict[str, Any] | None:
    """The inverse of encode_token; anything else is the client's mistake (422), never a 500."""
    if not token:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(token.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        key = None
    if not isinstance(key, dict) or not all(
        isinstance(v, dict) and set(v) == {"S"} and isinstance(v["S"], str) for v in key.values()
    ):
        raise InvalidInput(_BAD_TOKEN, details=[{"field": "next_token", "message": "not a valid token"}])
    return key

"""The single application table: every aggregate keeps its items under `pk`/`sk` with two overloaded GSIs."""

from __future__ import annotations

import base64
import binascii
import json
import random
import time
from collections.abc import Callable, Iterable
from functools import cache, partial, wraps
from typing import Any, Generic, NamedTuple, ParamSpec, TypeVar

import pynamodb.connection.base
from botocore.session import Session
from pynamodb.attributes import UnicodeAttribute
from pynamodb.connection import Connection
from pynamodb.exceptions import PynamoDBException, QueryError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from connectability import aws, runtime
from connectability.config import get_settings
from connectability.errors import InvalidInput

P = ParamSpec("P")
R = TypeVar("R")


# PynamoDB makes a botocore session (`get_session()`) for each model's connection and each low-level one, and each
# session parses botocore's endpoint and service data again for its client: give them all the process's one.
def _one_session(env_vars: Any = None) -> Session:
    return aws.session()


pynamodb.connection.base.get_session = _one_session


class _SettingsBackedMeta(type):
    """Resolve the table name from settings at each use, so nothing is read from the environment at import."""

    @property
    def table_name(cls) -> str:
        return get_settings().table_name


class TableMeta(metaclass=_SettingsBackedMeta):
    """`class Meta(TableMeta)` on every model of the application table."""

    max_pool_connections = aws.AT_ONCE  # PynamoDB keeps 10, fewer than the calls a request makes at once


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


class Gsi3(GlobalSecondaryIndex[Any]):
    class Meta:
        index_name = "gsi3"
        projection = AllProjection()

    gsi3pk = UnicodeAttribute(hash_key=True)
    gsi3sk = UnicodeAttribute(range_key=True)


class Item(Model):
    """Keys common to every item of the table."""

    class Meta(TableMeta):
        pass

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)


ItemT = TypeVar("ItemT", bound=Item)
RowT = TypeVar("RowT")
DataT = TypeVar("DataT", bound=NamedTuple)  # a row of connectability.db.rows
Key = tuple[str, str]  # (pk, sk)
Changes = dict[str, Any]  # fields of a row to set on its item; None removes one


def held(row: NamedTuple) -> dict[str, Any]:
    """A row's fields that hold a value, for the item that stores it (None is stored as no attribute)."""
    return {name: value for name, value in row._asdict().items() if value is not None}


def as_row(row: type[DataT], item: Item) -> DataT:
    """An item as the domain sees it: a plain, frozen row of the fields it names (connectability.db.rows)."""
    return row._make(getattr(item, name) for name in row._fields)


class Ref(NamedTuple, Generic[RowT]):
    """One item's key, the model it is read as, and the row it is given to the domain as."""

    model: type[Item]
    row: Callable[[Any], RowT]
    pk: str
    sk: str

    @property
    def key(self) -> Key:
        return self.pk, self.sk


def ref(model: type[ItemT], row: type[DataT], pk: str, sk: str) -> Ref[DataT]:
    """A Ref whose item is read as a plain row of its fields."""
    return Ref(model, partial(as_row, row), pk, sk)


class Found:
    """Items read together (read_items), as rows, by key; an item that does not exist is not here."""

    def __init__(self, found: dict[Key, tuple[type[Item], Any]] | None = None) -> None:
        self._found = dict(found or {})

    @classmethod
    def of(cls, rows: Iterable[tuple[Ref[Any], Any]]) -> Found:
        """Rows at hand (just written, say), with the refs they would be read by, as if read."""
        return cls({r.key: (r.model, row) for r, row in rows if row is not None})

    def get(self, ref: Ref[RowT]) -> RowT | None:
        model, row = self._found.get(ref.key, (None, None))
        return row if model is ref.model else None

    def __or__(self, other: Found) -> Found:
        return Found({**self._found, **other._found})


BATCH_GET_KEYS = 100  # DynamoDB's limit per BatchGetItem


def read_items(refs: Iterable[Ref[Any]], *, consistent: bool = False) -> Found:
    """The items of these keys, of any aggregates, that exist: one BatchGetItem (per 100 keys, made together)
    instead of a GetItem each, one after another. `consistent`: strongly consistent (as strong as each read it
    replaces, or stronger)."""
    wanted: dict[Key, Ref[Any]] = {r.key: r for r in refs}
    found: dict[Key, tuple[type[Item], Any]] = {}
    for raw in batch_get(list(wanted), consistent=consistent):
        r = wanted[raw["pk"]["S"], raw["sk"]["S"]]
        found[r.key] = (r.model, r.row(r.model.from_raw_data(raw)))
    return Found(found)


def batch_get(keys: list[Key], *, consistent: bool) -> list[dict[str, Any]]:
    """The raw items of these keys that exist, of any models: BatchGetItems of up to 100 keys, made together; keys
    DynamoDB left unprocessed are asked for again. The one BatchGetItem loop of the table."""
    keys = list(dict.fromkeys(keys))
    chunks = [keys[start : start + BATCH_GET_KEYS] for start in range(0, len(keys), BATCH_GET_KEYS)]
    return [raw for raws in aws.together(*(partial(_batch_get, c, consistent) for c in chunks)) for raw in raws]


def _batch_get(keys: list[Key], consistent: bool) -> list[dict[str, Any]]:
    table, found = get_settings().table_name, []
    request: dict[str, Any] = {
        table: {"Keys": [{"pk": {"S": pk}, "sk": {"S": sk}} for pk, sk in keys], "ConsistentRead": consistent}
    }
    while request:
        answer = low().client.batch_get_item(RequestItems=request)  # type: ignore[attr-defined]
        found += answer.get("Responses", {}).get(table, [])
        request = answer.get("UnprocessedKeys") or {}
    return found


@cache
def low() -> Connection:
    """The process's one low-level connection, for transactions and reads of several models at once: made on first
    use and reused (each connection has a client of its own, about as dear to make as a call)."""
    return Connection(max_pool_connections=aws.AT_ONCE)


@runtime.before_snapshot
def _connected() -> None:
    """Under SnapStart: PynamoDB's clients made before the snapshot, not by a restored environment's first calls:
    the models' (every model shares the first connection made of its table, Item's here) and the low-level one's.
    The one session renews them after each restore."""
    Item._get_connection().connection.client  # noqa: B018 - made for its side effect
    low().client  # noqa: B018


def error_code(exc: PynamoDBException) -> str | None:
    """AWS's error code behind a PynamoDB error; None when there was no answer at all (a timeout, a dropped
    connection), where PynamoDB's own `cause_response_code` raises instead."""
    response = getattr(exc.cause, "response", None)
    return response.get("Error", {}).get("Code") if isinstance(response, dict) else None


def lost_race(exc: PynamoDBException) -> bool:
    """The transaction was refused because of another change: a condition no longer held, or another transaction
    held one of its items. The caller decides again from a read; any other refusal is a fault."""
    return error_code(exc) == "TransactionCanceledException" and any(
        r is not None and r.code in ("ConditionalCheckFailed", "TransactionConflict")
        for r in getattr(exc, "cancellation_reasons", None) or []
    )


def condition_failed(exc: PynamoDBException) -> bool:
    """The write was refused because a condition did not hold (not because another write was in flight)."""
    if error_code(exc) == "ConditionalCheckFailedException":
        return True
    reasons = getattr(exc, "cancellation_reasons", None) or []
    return any(r is not None and r.code == "ConditionalCheckFailed" for r in reasons)


def _in_conflict(exc: PynamoDBException) -> bool:
    if error_code(exc) == "TransactionConflictException":
        return True
    reasons = getattr(exc, "cancellation_reasons", None) or []
    return not condition_failed(exc) and any(r is not None and r.code == "TransactionConflict" for r in reasons)


def retry_conflicts(write: Callable[P, R]) -> Callable[P, R]:
    """Retry a write that DynamoDB refused because a transaction held one of its items at that moment.

    Such a write was not applied, so trying again is safe, conditional or not; botocore does not retry it.
    """

    @wraps(write)
    def attempt(*args: P.args, **kwargs: P.kwargs) -> R:
        for n in range(CONFLICT_ATTEMPTS):
            try:
                return write(*args, **kwargs)
            except PynamoDBException as exc:
                if n == CONFLICT_ATTEMPTS - 1 or not _in_conflict(exc):
                    raise
                time.sleep(0.025 * 2**n + random.uniform(0, 0.025))  # noqa: S311 - jitter, not a secret
        raise AssertionError("unreachable")

    return attempt


CONFLICT_ATTEMPTS = 4


def written(write: Callable[[], object], refused: Callable[[PynamoDBException], bool] | None = None) -> bool:
    """Make a conditional write: True when it was applied, False when DynamoDB refused it because another change
    won the race (`refused`: by default, a condition no longer held); any other error is raised."""
    try:
        write()
    except PynamoDBException as exc:
        if (refused or condition_failed)(exc):
            return False
        raise
    return True


TRANSACTION_ITEMS = 100  # DynamoDB's limit per TransactWriteItems


def packed(parts: Iterable[tuple[int, R]]) -> list[list[R]]:
    """Parts of a change (each with the items it takes) in order, packed into as few transactions as hold them."""
    chunks: list[list[R]] = [[]]
    room = TRANSACTION_ITEMS
    for size, part in parts:
        if size > room and chunks[-1]:
            chunks.append([])
            room = TRANSACTION_ITEMS
        chunks[-1].append(part)
        room -= size
    return [c for c in chunks if c]


def transaction() -> TransactWrite:
    """A transaction of any items of the table, through the one low-level connection."""
    return TransactWrite(connection=low())


def as_read(model: type[Item], values: Changes) -> Condition:
    """The item exists and still holds these values of its fields (None: the field is absent). A change whose
    before is recorded (R46) is made only to the item as read, so the record says exactly what it changed."""
    condition: Condition = model.pk.exists()
    for name, value in values.items():
        attribute = getattr(model, name)
        condition &= attribute.does_not_exist() if value is None else attribute == value
    return condition


def actions(model: type[Item], changes: Changes) -> list[Action]:
    """The update of an item of `model` that sets each field to its value; None removes it."""
    return [getattr(model, n).set(v) if v is not None else getattr(model, n).remove() for n, v in changes.items()]


def page(
    source: type[Item] | Gsi1 | Gsi2 | Gsi3,
    hash_key: str,
    range_condition: Condition | None = None,
    *,
    limit: int,
    next_token: str | None,
    **options: Any,
) -> tuple[list[Any], str | None]:
    """One page of a query, and the token of the next; a token must come from this very query."""
    partition = _partition_of(source)
    start = decode_token(next_token, _keys_of(source))
    if start is not None and start[partition]["S"] != hash_key:
        raise InvalidInput(_BAD_TOKEN, details=[{"field": "next_token", "message": "from another list"}])
    result = source.query(hash_key, range_condition, limit=limit, last_evaluated_key=start, **options)
    try:
        items = list(result)
    except QueryError as exc:
        # DynamoDB refuses a start key outside the query's range: a token of another list, or forged.
        if start is None or error_code(exc) != "ValidationException":
            raise
        raise InvalidInput(_BAD_TOKEN, details=[{"field": "next_token", "message": "not from this list"}]) from exc
    return items, encode_token(result.last_evaluated_key)


_INDEXES: dict[type, str] = {Gsi1: "gsi1", Gsi2: "gsi2", Gsi3: "gsi3"}


def _partition_of(source: object) -> str:
    index = _INDEXES.get(type(source))
    return f"{index}pk" if index else "pk"


def _keys_of(source: object) -> frozenset[str]:
    """An index's LastEvaluatedKey holds the table's keys and the index's own."""
    index = _INDEXES.get(type(source))
    return frozenset({"pk", "sk", f"{index}pk", f"{index}sk"}) if index else frozenset({"pk", "sk"})


def encode_token(last_key: dict[str, Any] | None) -> str | None:
    """Turn DynamoDB's LastEvaluatedKey into an opaque `next_token`."""
    if not last_key:
        return None
    return base64.urlsafe_b64encode(json.dumps(last_key, sort_keys=True).encode()).decode()


_BAD_TOKEN = "next_token is not one this API gave out; repeat the first request without it."


def decode_token(token: str | None, keys: frozenset[str] = frozenset({"pk", "sk"})) -> dict[str, Any] | None:
    """The inverse of encode_token, for a query whose keys are `keys`; anything else is a 422, never a 500."""
    if not token:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(token.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError, RecursionError):
        key = None
    if (
        not isinstance(key, dict)
        or set(key) != keys
        or not all(isinstance(v, dict) and set(v) == {"S"} and isinstance(v["S"], str) and v["S"] for v in key.values())
    ):
        raise InvalidInput(_BAD_TOKEN, details=[{"field": "next_token", "message": "not a valid token"}])
    return key

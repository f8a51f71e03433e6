"""Three of moto's costs that grow with a table or a queue, made to grow with the request instead; used wherever
we run on moto (tests, bench, local stack). moto's code and answers stay; only the work behind them changes.

Transactions: moto backs up a transaction by deep-copying every table it names, once per item of the transaction,
and restores the copies if any item fails. The cost grows with the table, not with the transaction: a copy into a
table of 30,000 items deep-copies 30,000 items ten times, so a scale run never ends and every sync copy pays most
of its time there. DynamoDB's answer does not depend on that copy: only the items a transaction names can change.
This swaps the whole-table copy for a copy of those items (a journal), restored in the same cases moto restores
its tables. tests/unit/test_emulator.py holds it to DynamoDB's all-or-nothing rule.

Queries: moto answers a query on a table's own key by sorting every item of the table, then keeping the
partition asked for. A page of an upstream of 100,000 revisions thus sorted the whole table, so an initial sync
cost grew with the square of its size. Here a query of the table's key reads only its partition, from the page's
start on and already in order; index queries are left as they are. tests/unit/test_emulator.py holds its pages,
filters and order to DynamoDB's.

S3 events: S3's ObjectCreated record names the object's version and a sequencer; moto's names neither. Here
they are added, so what reads an event reads the very version it announces, as on AWS.

Receives: moto checks each message a receive takes against the queue's retention period by computing every
attribute of the queue, message counts included, each a walk of all its messages. Here it reads the period.

Isolation: moto applies a transaction's writes one by one and undoes them if a later item fails, with nothing to
stop another request meanwhile (moto's server answers each request on a thread of its own): a read could see a
write that is then undone, a write could be undone with them, and two transactions could each pass a condition
that only one of them may. DynamoDB never shows a transaction half done. So each DynamoDB request runs alone
here: two transactions racing on one item end as on DynamoDB, one wins and the other is cancelled
(ConditionalCheckFailed). tests/unit/test_emulator.py races them.

Dispatch: moto's server finds each request's backend under one lock that every request takes, and looks for
it by listing moto's own package directory (a stat per service, about 170, each letting go of the interpreter's
lock) and then matching its URL patterns; the answer depends on the host alone. Under concurrent requests the lock
queued every AWS call of the local stack behind those stats. Here each host is looked up once.

AWS's limits that moto forgives are refused too (local/limits.py, installed with this).
"""

from __future__ import annotations

import bisect
import copy
import functools
import threading
import time
import types
from collections.abc import Callable
from typing import Any

_installed = False
_dynamodb_alone = threading.RLock()  # one DynamoDB request at a time (see Isolation above)
_querying = threading.local()  # the table and partition a query on this thread reads (moto's server is threaded)


class _TablesKeptInPlace(types.SimpleNamespace):
    """Stands for the `copy` module inside moto's DynamoDB backend: a table "copy" is the table itself."""

    def deepcopy(self, value: Any, memo: dict[int, Any] | None = None) -> Any:
        from moto.dynamodb.models.table import Table

        return value if isinstance(value, Table) else copy.deepcopy(value, memo)


def install() -> None:
    """Patch moto once per process (idempotent); every backend, server or in-process, then journals instead."""
    global _installed
    if _installed:
        return
    import moto.dynamodb.models as backend_module

    backend_module.copy = _TablesKeptInPlace()  # type: ignore[assignment]
    backend = backend_module.DynamoDBBackend
    backend.transact_write_items = _journaled(backend.transact_write_items)  # type: ignore[method-assign]
    from moto.dynamodb.models.table import Table

    Table.query = _partition_only(Table.query)  # type: ignore[method-assign]
    Table.all_items = _items_of_partition(Table.all_items)  # type: ignore[method-assign,assignment]
    from moto.sqs.models import SQSBackend

    SQSBackend.is_message_valid_based_on_retention_period = _retained  # type: ignore[method-assign,assignment]
    import moto.s3.notifications as s3_notifications

    s3_notifications._get_s3_event = _with_version(s3_notifications._get_s3_event)
    from moto.dynamodb.responses import DynamoHandler

    DynamoHandler.call_action = _alone(DynamoHandler.call_action)  # type: ignore[method-assign]
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    dispatcher: Any = DomainDispatcherApplication
    dispatcher.get_backend_for_host = _looked_up_once(DomainDispatcherApplication.get_backend_for_host)
    from local import limits

    limits.install()
    _installed = True


def _alone(call_action: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """Every DynamoDB request of moto's, one at a time: see Isolation in this module's docstring."""

    @functools.wraps(call_action)
    def alone(handler: Any) -> Any:
        with _dynamodb_alone:
            return call_action(handler)

    return alone


def _looked_up_once(find: Callable[[Any, str | None], Any]) -> Callable[[Any, str | None], Any]:
    """The backend of a host, found by moto once per host: see Dispatch in this module's docstring."""
    found: dict[str | None, Any] = {}

    @functools.wraps(find)
    def backend_for_host(dispatcher: Any, host: str | None) -> Any:
        if host not in found:
            found[host] = find(dispatcher, host)
        return found[host]

    return backend_for_host


def _with_version(make_event: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    """S3's event names the object's version (in a versioned bucket) and a sequencer; moto's names neither, so a
    reader of the event could only read whatever version is newest by then, which AWS never makes it do."""

    @functools.wraps(make_event)
    def event(event_name: str, bucket: Any, key: Any, notification_id: str) -> dict[str, Any]:
        made = make_event(event_name, bucket, key, notification_id)
        stored = made["Records"][0]["s3"]["object"]
        if getattr(bucket, "is_versioned", False) and getattr(key, "version_id", None):
            stored["versionId"] = str(key.version_id)
        stored["sequencer"] = f"{time.time_ns():016X}"
        return made

    return event


def _retained(backend: Any, queue_name: str, message: Any) -> bool:
    """moto's own test, reading the queue's retention period itself rather than every attribute of the queue,
    whose message counts walk every message: once per message received, a receive walked the queue squared."""
    from moto.core.utils import unix_time

    retention = int(backend.get_queue(queue_name).message_retention_period)
    return bool(retention + message.sent_timestamp / 1000 > unix_time())


# query's positional parameters after hash_key: range_comparison, range_objs, limit, exclusive_start_key,
# scan_index_forward, projection_expressions, index_name, ...
_START, _FORWARD, _INDEX_NAME = 3, 4, 6


def _partition_only(query: Callable[..., Any]) -> Callable[..., Any]:
    """A query of the table's own key tells all_items, on this thread, the one partition it reads, and where."""

    @functools.wraps(query)
    def partition_query(self: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        def given(position: int, name: str, default: Any = None) -> Any:
            return args[position] if len(args) > position else kwargs.get(name, default)

        outer = getattr(_querying, "reading", None)
        own_key = not given(_INDEX_NAME, "index_name") and hash_key is not None
        start, forward = given(_START, "exclusive_start_key"), given(_FORWARD, "scan_index_forward", True)
        _querying.reading = (self, hash_key, start, forward is not False) if own_key else None
        try:
            return query(self, hash_key, *args, **kwargs)
        finally:
            _querying.reading = outer

    return partition_query


def _items_of_partition(all_items: Callable[[Any], list[Any]]) -> Callable[[Any], list[Any]]:
    """Inside a query of the table's key, the items of its partition; else moto's own. String sort keys come
    sorted (moto's own sort then only confirms the order) and from the page's start on (moto's skip of the
    pages before it then finds at most the start itself), so a page costs the rest of its partition at most."""

    @functools.wraps(all_items)
    def items(self: Any) -> list[Any]:
        reading = getattr(_querying, "reading", None)
        if reading is None or reading[0] is not self:
            return all_items(self)
        _, hash_key, start, forward = reading
        partition = self.items.get(hash_key)  # get: the table's defaultdict must not gain an empty partition
        if partition is None:
            return []
        if not self.range_key_attr:
            return [partition]
        found = list(partition.values())
        if any(item.range_key.type != "S" for item in found):
            return found  # moto sorts them its own way
        found.sort(key=lambda item: item.range_key.value)  # str order is UTF-8 byte order, as DynamoDB sorts
        at = (start or {}).get(self.range_key_attr, {}).get("S")
        if at is None:
            return found
        keys = [item.range_key.value for item in found]
        return found[bisect.bisect_left(keys, at) :] if forward else found[: bisect.bisect_right(keys, at)]

    return items


def _journaled(transact: Callable[..., None]) -> Callable[..., None]:
    @functools.wraps(transact)
    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        journal = [_before(self, item) for item in transact_items[:100]]
        try:
            transact(self, transact_items)
        except Exception:
            for entry in reversed(journal):
                if entry is not None:
                    _restore(*entry)
            raise

    return transact_write_items


def _before(backend: Any, transact_item: dict[str, Any]) -> tuple[Any, Any, Any, Any] | None:
    """(table, hash, range, the item as it was or None) for one transaction item, or None if it names no item."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    if len(transact_item) != 1:
        return None
    _, op = next(iter(transact_item.items()))
    table = backend.tables.get(op.get("TableName")) if isinstance(op, dict) else None
    if table is None:
        return None
    key = op.get("Key") or op.get("Item") or {}
    if table.hash_key_attr not in key or (table.range_key_attr and table.range_key_attr not in key):
        return None
    hash_value = DynamoType(key[table.hash_key_attr])
    range_value = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
    try:
        item = table.get_item(hash_value, range_value)
    except Exception:  # a key moto refuses: the transaction fails on it before writing anything
        return None
    return table, hash_value, range_value, copy.deepcopy(item)


def _restore(table: Any, hash_value: Any, range_value: Any, item: Any) -> None:
    if item is None:
        table.delete_item(hash_value, range_value)
    elif range_value is not None:
        table.items[hash_value][range_value] = item
    else:
        table.items[hash_value] = item

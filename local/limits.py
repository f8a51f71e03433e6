"""AWS's limits that moto forgives, enforced wherever we run on moto (tests, benches, the local stack): a request
that AWS would refuse is refused here too, with AWS's error code and message, so the bug shows before a deploy.

Checked on moto 5.2.5; what moto already refuses as AWS does is left to moto (tests/unit/test_limits.py proves
every row either way, against moto with this module installed):

| limit (AWS)                                               | moto alone                          | here     |
|-----------------------------------------------------------|-------------------------------------|----------|
| TransactWriteItems: at most 100 actions                   | refuses                             |          |
| TransactWriteItems: at most 4 MB of items                 | takes it                            | refused  |
| TransactWriteItems: one action per item                   | refuses                             |          |
| BatchWriteItem: at most 25 requests                       | takes it                            | refused  |
| BatchWriteItem: no two requests for one key               | refuses two identical puts only     | refused  |
| BatchGetItem: at most 100 keys                            | refuses                             |          |
| an item of at most 400 KB (put, update, batch, transact)  | refuses                             |          |
| a Query or Scan page stops after 1 MB read                | does so (LastEvaluatedKey)          |          |
| SendMessageBatch: at most 10 entries                      | refuses                             |          |
| an SQS message of at most 1 MiB, body and attributes      | counts the body's characters only   | refused  |
| a SendMessageBatch of at most 1 MiB in all                | counts the bodies' characters only  | refused  |
| an S3 key of at most 1,024 bytes (UTF-8)                  | takes it                            | refused  |

Presigned URLs (expiry, signed headers) are checked in front of moto's server: local/presigned.py.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

TRANSACTION_BYTES = 4 * 1024 * 1024
BATCH_WRITE_REQUESTS = 25
SQS_MESSAGE_BYTES = 1024 * 1024  # SQS's maximum since August 2025 (was 256 KiB), the default of a new queue
S3_KEY_BYTES = 1024

_installed = False


def install() -> None:
    """Patch moto once per process (idempotent)."""
    global _installed
    if _installed:
        return
    from moto.dynamodb.responses import DynamoHandler

    handler: Any = DynamoHandler
    handler.transact_write_items = _checked(DynamoHandler.transact_write_items, _transaction_size)
    handler.batch_write_item = _checked(DynamoHandler.batch_write_item, _batch_write)
    from moto.sqs.models import SQSBackend

    SQSBackend.send_message = _message_size(SQSBackend.send_message)  # type: ignore[method-assign]
    SQSBackend.send_message_batch = _batch_size(SQSBackend.send_message_batch)  # type: ignore[method-assign]
    from moto.s3.models import S3Backend

    S3Backend.put_object = _key_length(S3Backend.put_object)  # type: ignore[method-assign]
    S3Backend.create_multipart_upload = _key_length(S3Backend.create_multipart_upload)  # type: ignore[method-assign]
    _installed = True


# -- DynamoDB ----------------------------------------------------------------------------------------------------
def _checked(action: Callable[[Any], Any], check: Callable[[dict[str, Any]], None]) -> Callable[[Any], Any]:
    """A DynamoDB action of moto's, with a check of its request (the parsed body) before moto sees it."""

    @functools.wraps(action)
    def checked(handler: Any) -> Any:
        check(handler.body)
        return action(handler)

    return checked


def _validation(message: str) -> Exception:
    from moto.dynamodb.exceptions import MockValidationException

    return MockValidationException(message)


def item_size(attributes: dict[str, Any]) -> int:
    """An item's size as DynamoDB counts it: each attribute's name in UTF-8 and its value (moto's own rule)."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    return sum(len(name.encode()) + DynamoType(value).size() for name, value in attributes.items())


def _transaction_size(body: dict[str, Any]) -> None:
    """The items a transaction writes (a Put's whole item, the others' keys) may not exceed 4 MB together."""
    total = 0
    for action in body.get("TransactItems") or []:
        for kind, op in action.items():
            total += item_size(op.get("Item") if kind == "Put" else op.get("Key") or {})
    if total > TRANSACTION_BYTES:
        raise _validation("Transaction request cannot be larger than 4 MB")


def _batch_write(body: dict[str, Any]) -> None:
    """At most 25 requests, per table and in all; no key twice (moto refuses only two puts of the very same item)."""
    requests = body.get("RequestItems") or {}
    for table, writes in requests.items():
        if len(writes) > BATCH_WRITE_REQUESTS:
            raise _validation(
                f"1 validation error detected: Value '{{{table}={len(writes)}}}' at 'requestItems' failed to satisfy "
                "constraint: Map value must satisfy constraint: [Member must have length less than or equal to 25, "
                "Member must have length greater than or equal to 1]"
            )
    if sum(len(writes) for writes in requests.values()) > BATCH_WRITE_REQUESTS:
        raise _validation("Too many items requested for the BatchWriteItem call")
    seen: set[tuple[str, str]] = set()
    for table, writes in requests.items():
        names = _key_names(table)
        for write in writes:
            attributes = (write.get("PutRequest") or {}).get("Item") or (write.get("DeleteRequest") or {}).get("Key")
            key = json.dumps({n: (attributes or {}).get(n) for n in names}, sort_keys=True)
            if (table, key) in seen:
                raise _validation("Provided list of item keys contains duplicates")
            seen.add((table, key))


def _key_names(table_name: str) -> list[str]:
    """The table's key attributes, from any backend that holds it (the request's account and region)."""
    from moto.dynamodb.models import dynamodb_backends

    for regions in dynamodb_backends.values():
        for backend in regions.values():
            table = backend.tables.get(table_name)
            if table is not None:
                return [name for name in (table.hash_key_attr, table.range_key_attr) if name]
    return []  # no such table: moto answers ResourceNotFoundException itself


# -- SQS ---------------------------------------------------------------------------------------------------------
def message_bytes(body: str, attributes: dict[str, Any] | None) -> int:
    """A message's size as SQS counts it: the body in UTF-8, and each attribute's name, data type and value."""
    size = len(body.encode())
    for name, attribute in (attributes or {}).items():
        value = attribute.get("StringValue") or attribute.get("BinaryValue") or ""
        value = value if isinstance(value, bytes) else str(value).encode()
        size += len(name.encode()) + len(str(attribute.get("DataType", "")).encode()) + len(value)
    return size


def _too_long(limit: int) -> Exception:
    from moto.sqs.exceptions import InvalidParameterValue

    return InvalidParameterValue(
        f"One or more parameters are invalid. Reason: Message must be shorter than {limit} bytes."
    )


def _message_size(send: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(send)
    def send_message(
        backend: Any, queue_name: str, message_body: str, message_attributes: Any = None, *args: Any, **kwargs: Any
    ) -> Any:
        limit = int(backend.get_queue(queue_name).maximum_message_size)
        if message_bytes(message_body, message_attributes) > limit:
            raise _too_long(limit)
        return send(backend, queue_name, message_body, message_attributes, *args, **kwargs)

    return send_message


def _batch_size(send: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(send)
    def send_message_batch(backend: Any, queue_name: str, entries: dict[str, dict[str, Any]]) -> Any:
        from moto.sqs.exceptions import BatchRequestTooLong

        total = sum(message_bytes(e["MessageBody"], e.get("MessageAttributes")) for e in entries.values())
        if total > SQS_MESSAGE_BYTES:
            raise BatchRequestTooLong(total)
        limit = int(backend.get_queue(queue_name).maximum_message_size)
        for entry in entries.values():
            if message_bytes(entry["MessageBody"], entry.get("MessageAttributes")) > limit:
                raise _too_long(limit)
        return send(backend, queue_name, entries)

    return send_message_batch


# -- S3 ----------------------------------------------------------------------------------------------------------
def _key_length(write: Callable[..., Any]) -> Callable[..., Any]:
    """PutObject, CopyObject (its target) and multipart uploads name a key of at most 1,024 bytes in UTF-8."""

    @functools.wraps(write)
    def checked(backend: Any, bucket_name: str, key_name: str, *args: Any, **kwargs: Any) -> Any:
        if len(key_name.encode()) > S3_KEY_BYTES:
            from moto.s3.exceptions import S3ClientError

            raise S3ClientError("KeyTooLongError", "Your key is too long")
        return write(backend, bucket_name, key_name, *args, **kwargs)

    return checked

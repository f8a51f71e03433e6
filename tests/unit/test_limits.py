"""Moto with the emulator is never kinder than AWS: each of AWS's limits below is broken on purpose and answered with
AWS's error code and message, whether moto refuses it itself or local/limits.py does (its table says which).
tests/e2e/test_local_limits.py runs the same rules against the local stack's server."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from local import emulator

KB = 1024


@dataclass
class World:
    """Clients and a table (pk, sk), a queue and a bucket of one's own, wherever they live."""

    dynamodb: Any
    sqs: Any
    s3: Any
    table: str
    queue_url: str
    bucket: str

    @classmethod
    def made(cls, **client_options: Any) -> World:
        dynamodb = boto3.client("dynamodb", region_name="us-east-1", **client_options)
        sqs = boto3.client("sqs", region_name="us-east-1", **client_options)
        s3 = boto3.client("s3", region_name="us-east-1", **client_options)
        name = f"limits-{uuid.uuid4().hex[:8]}"
        dynamodb.create_table(
            TableName=name,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        s3.create_bucket(Bucket=name)
        return cls(dynamodb, sqs, s3, name, sqs.create_queue(QueueName=name)["QueueUrl"], name)

    def key(self, n: int | str, pk: str = "p") -> dict[str, Any]:
        return {"pk": {"S": pk}, "sk": {"S": str(n)}}

    def put(self, item: dict[str, Any], **condition: Any) -> dict[str, Any]:
        return {"Put": {"TableName": self.table, "Item": item, **condition}}


def refusal(call: Callable[[], Any]) -> tuple[str, str]:
    """(code, message) of the error a call gets; fails the test if it is taken."""
    with pytest.raises(ClientError) as refused:
        call()
    error = refused.value.response["Error"]
    return str(error["Code"]), str(error["Message"])


# -- each rule: the request that breaks it, and AWS's answer ---------------------------------------------------------
def transaction_of_101_actions(w: World) -> tuple[str, str]:
    return refusal(lambda: w.dynamodb.transact_write_items(TransactItems=[w.put(w.key(n)) for n in range(101)]))


def transaction_over_4_mb(w: World) -> tuple[str, str]:
    items = [w.put({**w.key(n), "payload": {"S": "x" * (390 * KB)}}) for n in range(11)]  # each item under 400 KB
    return refusal(lambda: w.dynamodb.transact_write_items(TransactItems=items))


def transaction_touching_one_item_twice(w: World) -> tuple[str, str]:
    check = {"ConditionCheck": {"TableName": w.table, "Key": w.key(1), "ConditionExpression": "attribute_exists(pk)"}}
    return refusal(lambda: w.dynamodb.transact_write_items(TransactItems=[w.put(w.key(1)), check]))


def batch_write_of_26(w: World) -> tuple[str, str]:
    writes = [{"PutRequest": {"Item": w.key(n)}} for n in range(26)]
    return refusal(lambda: w.dynamodb.batch_write_item(RequestItems={w.table: writes}))


def batch_write_of_one_key_twice(w: World) -> tuple[str, str]:
    writes = [{"PutRequest": {"Item": {**w.key(1), "v": {"N": "1"}}}}, {"DeleteRequest": {"Key": w.key(1)}}]
    return refusal(lambda: w.dynamodb.batch_write_item(RequestItems={w.table: writes}))


def batch_write_putting_one_key_twice(w: World) -> tuple[str, str]:
    writes = [{"PutRequest": {"Item": {**w.key(1), "v": {"N": str(n)}}}} for n in (1, 2)]
    return refusal(lambda: w.dynamodb.batch_write_item(RequestItems={w.table: writes}))


def batch_get_of_101(w: World) -> tuple[str, str]:
    keys = [w.key(n) for n in range(101)]
    return refusal(lambda: w.dynamodb.batch_get_item(RequestItems={w.table: {"Keys": keys}}))


def item_over_400_kb(w: World) -> tuple[str, str]:
    return refusal(lambda: w.dynamodb.put_item(TableName=w.table, Item={**w.key("big"), "b": {"S": "x" * 401 * KB}}))


def update_growing_an_item_over_400_kb(w: World) -> tuple[str, str]:
    w.dynamodb.put_item(TableName=w.table, Item={**w.key("grows"), "a": {"S": "x" * 300 * KB}})
    return refusal(
        lambda: w.dynamodb.update_item(
            TableName=w.table,
            Key=w.key("grows"),
            UpdateExpression="SET b = :b",
            ExpressionAttributeValues={":b": {"S": "y" * 101 * KB}},
        )
    )


def transaction_writing_an_item_over_400_kb(w: World) -> tuple[str, str]:
    big = w.put({**w.key("big"), "b": {"S": "x" * 401 * KB}})
    return refusal(lambda: w.dynamodb.transact_write_items(TransactItems=[big]))


def batch_of_11_messages(w: World) -> tuple[str, str]:
    entries = [{"Id": str(n), "MessageBody": "m"} for n in range(11)]
    return refusal(lambda: w.sqs.send_message_batch(QueueUrl=w.queue_url, Entries=entries))


def message_over_1_mib_in_bytes(w: World) -> tuple[str, str]:
    body = "é" * (600 * KB)  # 600 KiB characters, 1.2 MiB in UTF-8: SQS counts bytes
    return refusal(lambda: w.sqs.send_message(QueueUrl=w.queue_url, MessageBody=body))


def message_over_1_mib_with_its_attributes(w: World) -> tuple[str, str]:
    attributes = {"kind": {"DataType": "String", "StringValue": "x" * KB}}
    return refusal(
        lambda: w.sqs.send_message(
            QueueUrl=w.queue_url, MessageBody="m" * (1024 * KB - 10), MessageAttributes=attributes
        )
    )


def batch_over_1_mib(w: World) -> tuple[str, str]:
    entries = [{"Id": str(n), "MessageBody": "é" * (100 * KB)} for n in range(6)]  # 600 KiB characters, 1.2 MiB
    return refusal(lambda: w.sqs.send_message_batch(QueueUrl=w.queue_url, Entries=entries))


def s3_key_over_1024_bytes(w: World) -> tuple[str, str]:
    return refusal(lambda: w.s3.put_object(Bucket=w.bucket, Key="k" * 1025, Body=b"x"))


def s3_key_over_1024_bytes_in_utf8(w: World) -> tuple[str, str]:
    return refusal(lambda: w.s3.put_object(Bucket=w.bucket, Key="é" * 513, Body=b"x"))  # 513 characters


def s3_copy_to_a_key_over_1024_bytes(w: World) -> tuple[str, str]:
    w.s3.put_object(Bucket=w.bucket, Key="source", Body=b"x")
    copy = {"Bucket": w.bucket, "Key": "source"}
    return refusal(lambda: w.s3.copy_object(Bucket=w.bucket, Key="c" * 1025, CopySource=copy))


def s3_multipart_upload_to_a_key_over_1024_bytes(w: World) -> tuple[str, str]:
    return refusal(lambda: w.s3.create_multipart_upload(Bucket=w.bucket, Key="m" * 1025))


VALIDATION = "ValidationException"
TOO_LONG = "One or more parameters are invalid. Reason: Message must be shorter than 1048576 bytes."
RULES: dict[Callable[[World], tuple[str, str]], tuple[str, str]] = {
    # rule -> (AWS's error code, a part of its message)
    transaction_of_101_actions: (VALIDATION, "Member must have length less than or equal to 100"),
    transaction_over_4_mb: (VALIDATION, "Transaction request cannot be larger than 4 MB"),
    transaction_touching_one_item_twice: (
        VALIDATION,
        "Transaction request cannot include multiple operations on one item",
    ),
    batch_write_of_26: (VALIDATION, "Member must have length less than or equal to 25"),
    batch_write_of_one_key_twice: (VALIDATION, "Provided list of item keys contains duplicates"),
    batch_write_putting_one_key_twice: (VALIDATION, "Provided list of item keys contains duplicates"),
    batch_get_of_101: (VALIDATION, "Member must have length less than or equal to 100"),
    item_over_400_kb: (VALIDATION, "Item size has exceeded the maximum allowed size"),
    update_growing_an_item_over_400_kb: (VALIDATION, "Item size to update has exceeded the maximum allowed size"),
    transaction_writing_an_item_over_400_kb: (VALIDATION, "Item size has exceeded the maximum allowed size"),
    batch_of_11_messages: (
        "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
        "Maximum number of entries per request are 10. You have sent 11.",
    ),
    message_over_1_mib_in_bytes: ("InvalidParameterValue", TOO_LONG),
    message_over_1_mib_with_its_attributes: ("InvalidParameterValue", TOO_LONG),
    batch_over_1_mib: ("AWS.SimpleQueueService.BatchRequestTooLong", "Batch requests cannot be longer than 1048576"),
    s3_key_over_1024_bytes: ("KeyTooLongError", "Your key is too long"),
    s3_key_over_1024_bytes_in_utf8: ("KeyTooLongError", "Your key is too long"),
    s3_copy_to_a_key_over_1024_bytes: ("KeyTooLongError", "Your key is too long"),
    s3_multipart_upload_to_a_key_over_1024_bytes: ("KeyTooLongError", "Your key is too long"),
}


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "test")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    emulator.install()
    with mock_aws():
        yield World.made()


@pytest.mark.parametrize("rule", list(RULES), ids=[rule.__name__ for rule in RULES])
def test_a_request_aws_refuses_is_refused_with_its_error(
    world: World, rule: Callable[[World], tuple[str, str]]
) -> None:
    # Given a request that breaks one of AWS's limits
    code, message = RULES[rule]

    # When it is sent
    got_code, got_message = rule(world)

    # Then it is refused with AWS's error code and message
    assert got_code == code
    assert message in got_message


def test_a_request_at_each_limit_is_taken(world: World) -> None:
    """The rules refuse past the limit, not at it."""
    w = world
    w.dynamodb.transact_write_items(TransactItems=[w.put(w.key(n)) for n in range(100)])
    w.dynamodb.batch_write_item(RequestItems={w.table: [{"PutRequest": {"Item": w.key(n, "q")}} for n in range(25)]})
    w.dynamodb.put_item(TableName=w.table, Item={**w.key("at"), "b": {"S": "x" * 395 * KB}})
    w.sqs.send_message(QueueUrl=w.queue_url, MessageBody="m" * (1024 * KB))
    w.sqs.send_message_batch(
        QueueUrl=w.queue_url, Entries=[{"Id": str(n), "MessageBody": "m" * 100 * KB} for n in range(10)]
    )
    w.s3.put_object(Bucket=w.bucket, Key="k" * 1024, Body=b"x")
    w.s3.create_multipart_upload(Bucket=w.bucket, Key="é" * 512)


@pytest.mark.parametrize("read", ["query", "scan"])
def test_a_page_stops_after_1_mb_read_and_says_where_to_go_on(world: World, read: str) -> None:
    # Given a partition of 30 items of 100 KB (3 MB), and a filter that none of them passes
    w = world
    for n in range(30):
        w.dynamodb.put_item(TableName=w.table, Item={**w.key(f"{n:02d}", "big"), "payload": {"S": "x" * 100 * KB}})
    asked: dict[str, Any] = {"TableName": w.table}
    if read == "query":
        asked |= {"KeyConditionExpression": "pk = :pk", "ExpressionAttributeValues": {":pk": {"S": "big"}}}

    # When it is read page by page, with and without the filter
    def pages(**more: Any) -> list[dict[str, Any]]:
        found, start = [], None
        while True:
            page = getattr(w.dynamodb, read)(**asked, **more, **({"ExclusiveStartKey": start} if start else {}))
            found.append(page)
            if not (start := page.get("LastEvaluatedKey")):
                return found

    plain, filtered = pages(), pages(FilterExpression="attribute_not_exists(payload)")

    # Then no page holds more than 1 MB, each but the last says where to go on, and together they hold everything;
    # filtered out or not, an item read counts (DynamoDB filters after the 1 MB are read)
    assert len(plain) >= 3
    assert all(sum(len(i["payload"]["S"]) for i in page["Items"]) <= 1024 * KB for page in plain)
    assert sorted(i["sk"]["S"] for page in plain for i in page["Items"]) == [f"{n:02d}" for n in range(30)]
    assert len(filtered) == len(plain)
    assert all(page["Items"] == [] for page in filtered)
    assert [p["ScannedCount"] for p in filtered] == [p["ScannedCount"] for p in plain]

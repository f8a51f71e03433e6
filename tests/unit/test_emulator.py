"""The emulator's journaled transactions keep DynamoDB's all-or-nothing rule, at a cost set by the transaction."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from local import emulator

TABLE = "journal-test"


@pytest.fixture
def dynamodb() -> Iterator[Any]:
    emulator.install()
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        for name in ("a", "b"):
            client.put_item(TableName=TABLE, Item={"pk": {"S": "p"}, "sk": {"S": name}, "n": {"N": "1"}})
        yield client


def _items(client: Any) -> list[dict[str, Any]]:
    return sorted(client.scan(TableName=TABLE)["Items"], key=lambda item: item["sk"]["S"])


def _key(name: str) -> dict[str, Any]:
    return {"pk": {"S": "p"}, "sk": {"S": name}}


def _writes() -> list[dict[str, Any]]:
    """An update of a, a delete of b and a new item c: one of each kind of write."""
    return [
        {
            "Update": {
                "TableName": TABLE,
                "Key": _key("a"),
                "UpdateExpression": "SET n = n + :one",
                "ExpressionAttributeValues": {":one": {"N": "1"}},
            }
        },
        {"Delete": {"TableName": TABLE, "Key": _key("b")}},
        {"Put": {"TableName": TABLE, "Item": {**_key("c"), "n": {"N": "7"}}}},
    ]


def _failing_check(name: str) -> dict[str, Any]:
    return {"ConditionCheck": {"TableName": TABLE, "Key": _key(name), "ConditionExpression": "attribute_exists(pk)"}}


@pytest.mark.parametrize("where", [0, 1, 3], ids=["failing first", "failing in the middle", "failing last"])
def test_a_cancelled_transaction_changes_nothing(dynamodb: Any, where: int) -> None:
    before = _items(dynamodb)
    items = _writes()
    items.insert(where, _failing_check("missing"))

    with pytest.raises(ClientError) as raised:
        dynamodb.transact_write_items(TransactItems=items)

    assert raised.value.response["Error"]["Code"] == "TransactionCanceledException"
    assert _items(dynamodb) == before


def test_a_refused_transaction_changes_nothing(dynamodb: Any) -> None:
    """Two writes of one item: moto refuses it half-way (a validation error), and the first write is undone."""
    before = _items(dynamodb)
    items = [*_writes(), {"Put": {"TableName": TABLE, "Item": {**_key("a"), "n": {"N": "9"}}}}]

    with pytest.raises(ClientError):
        dynamodb.transact_write_items(TransactItems=items)

    assert _items(dynamodb) == before


def test_a_transaction_that_succeeds_writes_every_item(dynamodb: Any) -> None:
    dynamodb.transact_write_items(TransactItems=_writes())

    assert _items(dynamodb) == [
        {**_key("a"), "n": {"N": "2"}},
        {**_key("c"), "n": {"N": "7"}},
    ]


def test_no_table_is_copied(dynamodb: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """What makes it fast: a transaction copies the items it names, not the table (moto copied it per item)."""
    copied: list[Any] = []
    real = copy.deepcopy

    def counting(value: Any, memo: Any = None) -> Any:
        copied.append(value)
        return real(value, memo)

    for number in range(50):
        dynamodb.put_item(TableName=TABLE, Item={**_key(f"other-{number}")})
    monkeypatch.setattr(copy, "deepcopy", counting)

    dynamodb.transact_write_items(TransactItems=_writes())

    from moto.dynamodb.models.dynamo_type import Item
    from moto.dynamodb.models.table import Table

    assert not [value for value in copied if isinstance(value, Table)]
    assert 0 < len([value for value in copied if isinstance(value, Item)]) <= len(_writes())


# -- queries read their partition only ---------------------------------------------------------------------------
def _fill(client: Any) -> dict[str, list[str]]:
    """Three partitions of unequal sizes, interleaved in the order written; answers each one's sort keys."""
    partitions: dict[str, list[str]] = {"p": ["a", "b"], "q": [], "r": []}
    for n in range(60):
        pk = "qr"[n % 2] if n % 3 else "p"
        sk = f"item-{(n * 37) % 100:03d}"
        client.put_item(TableName=TABLE, Item={"pk": {"S": pk}, "sk": {"S": sk}, "n": {"N": str(n)}})
        partitions[pk].append(sk)
    return {pk: sorted(set(keys)) for pk, keys in partitions.items()}


def _pages(
    client: Any, pk: str, condition: str = "pk = :pk", values: dict[str, Any] | None = None, **asked: Any
) -> list[list[str]]:
    pages, start = [], None
    while True:
        page = client.query(
            TableName=TABLE,
            KeyConditionExpression=condition,
            ExpressionAttributeValues={":pk": {"S": pk}, **(values or {})},
            **asked,
            **({"ExclusiveStartKey": start} if start else {}),
        )
        pages.append([item["sk"]["S"] for item in page["Items"]])
        if not (start := page.get("LastEvaluatedKey")):
            return pages


@pytest.mark.parametrize("forward", [True, False], ids=["ascending", "descending"])
def test_a_query_pages_through_its_partition_alone_in_order(dynamodb: Any, forward: bool) -> None:
    partitions = _fill(dynamodb)

    for pk, keys in partitions.items():
        pages = _pages(dynamodb, pk, Limit=7, ScanIndexForward=forward, ConsistentRead=True)
        assert [sk for page in pages for sk in page] == (keys if forward else keys[::-1])
        assert all(len(page) <= 7 for page in pages)
    assert _pages(dynamodb, "nobody") == [[]]
    assert "nobody" not in {item["pk"]["S"] for item in dynamodb.scan(TableName=TABLE)["Items"]}


def test_a_query_keeps_its_range_condition_and_filter(dynamodb: Any) -> None:
    partitions = _fill(dynamodb)
    values = {":from": {"S": "item-050"}, ":least": {"N": "30"}}
    wanted = [
        sk
        for item in dynamodb.scan(TableName=TABLE)["Items"]
        if item["pk"]["S"] == "q" and (sk := item["sk"]["S"]) >= "item-050" and int(item["n"]["N"]) >= 30
    ]

    pages = _pages(dynamodb, "q", "pk = :pk AND sk >= :from", values, FilterExpression="n >= :least", Limit=4)

    assert [sk for page in pages for sk in page] == sorted(wanted) != []
    assert len(partitions["q"]) > len(wanted)


# -- a receive reads the retention period, not every attribute of the queue ----------------------------------
@pytest.fixture
def queue() -> Iterator[tuple[Any, str]]:
    emulator.install()
    with mock_aws():
        sqs = boto3.client("sqs", region_name="us-east-1")
        url = sqs.create_queue(QueueName="deep", Attributes={"MessageRetentionPeriod": "60"})["QueueUrl"]
        for batch in range(5):
            entries = [{"Id": str(n), "MessageBody": f"{batch}-{n}"} for n in range(10)]
            sqs.send_message_batch(QueueUrl=url, Entries=entries)
        yield sqs, url


def test_a_receive_takes_messages_without_counting_the_queue(
    queue: tuple[Any, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from moto.sqs.models import Queue

    sqs, url = queue
    counted: list[Any] = []
    attributes = Queue.attributes
    monkeypatch.setattr(Queue, "attributes", property(lambda q: counted.append(q) or attributes.fget(q)))  # type: ignore[attr-defined]

    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]

    assert len(got) == 10
    assert counted == []  # moto computed every attribute, message counts and all, once per message taken


def test_a_message_past_the_retention_period_is_not_received(queue: tuple[Any, str]) -> None:
    from moto.sqs.models import sqs_backends

    sqs, url = queue
    deep = sqs_backends["123456789012"]["us-east-1"].queues["deep"]
    for message in deep._messages:
        message.sent_timestamp -= 61_000  # sent 61 s ago: past the queue's 60 s

    assert sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []) == []

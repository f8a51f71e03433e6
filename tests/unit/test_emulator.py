"""The emulator keeps DynamoDB's and SQS's answers while changing moto's costs: journaled transactions keep the
all-or-nothing rule; a transaction is isolated from every other request (two racing on one item end as on
DynamoDB); a query reads its partition alone, in order (its pages stop at 1 MB: tests/unit/test_limits.py); a
receive honours the retention period; S3's events name the object version they announce; and moto's server
finds a host's backend once, not per request."""

from __future__ import annotations

import contextlib
import copy
import json
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import backends as moto_backends
from moto import mock_aws
from moto.server import ThreadedMotoServer

from local import emulator
from local.client import free_port

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


# -- a transaction is isolated from every other request ----------------------------------------------------------
def _paused_at(key: str, monkeypatch: pytest.MonkeyPatch, pause: Callable[[], None]) -> None:
    """moto reads each item a transaction names, then writes it, one item after the other: pause right after its
    read of `key`, where another request running meanwhile would do the most harm."""
    from moto.dynamodb.models import DynamoDBBackend

    read = DynamoDBBackend.get_item

    def read_then_pause(backend: Any, table_name: str, keys: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        item = read(backend, table_name, keys, *args, **kwargs)
        if keys.get("sk", {}).get("S") == key:
            pause()
        return item

    monkeypatch.setattr(DynamoDBBackend, "get_item", read_then_pause)


def _meet(barrier: threading.Barrier) -> None:
    """Wait for the other side; if it never comes (kept out until this one is done), go on alone."""
    with contextlib.suppress(threading.BrokenBarrierError):
        barrier.wait()


def test_two_transactions_racing_for_one_item_end_with_one_winner(
    dynamodb: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given two transactions that each claim one item (it must not exist yet) and write one of their own, and a
    # pause after each one's read of the claim, so that they overlap there unless one is kept out
    both_read = threading.Barrier(2, timeout=2)
    _paused_at("claim", monkeypatch, lambda: _meet(both_read))

    def claim(who: str) -> str:
        claiming = {**_key("claim"), "by": {"S": who}}
        try:
            dynamodb.transact_write_items(
                TransactItems=[
                    {"Put": {"TableName": TABLE, "Item": claiming, "ConditionExpression": "attribute_not_exists(pk)"}},
                    {"Put": {"TableName": TABLE, "Item": _key(f"mine-{who}")}},
                ]
            )
        except ClientError as exc:
            error = exc.response["Error"]["Code"]
            return f"{error}/{exc.response.get('CancellationReasons', [{}])[0].get('Code')}"
        return "won"

    # When both run at once
    with ThreadPoolExecutor(2) as pool:
        outcomes = dict(zip(("one", "two"), pool.map(claim, ["one", "two"]), strict=True))

    # Then one won and the other was cancelled as DynamoDB cancels it, having written nothing
    cancelled = [
        "TransactionCanceledException/ConditionalCheckFailed",
        "TransactionCanceledException/TransactionConflict",
    ]
    assert sorted(outcomes.values()) in ([cancelled[0], "won"], [cancelled[1], "won"])
    winner = next(who for who, outcome in outcomes.items() if outcome == "won")
    names = {item["sk"]["S"]: item for item in _items(dynamodb)}
    assert names["claim"]["by"] == {"S": winner}
    assert {"mine-one", "mine-two"} & set(names) == {f"mine-{winner}"}


def test_a_read_never_sees_a_transaction_that_is_then_cancelled(dynamodb: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a transaction that writes a new item, then fails a check of another: paused between the two
    reader_ready, reader_done = threading.Barrier(2, timeout=2), threading.Barrier(2, timeout=2)
    _paused_at("missing", monkeypatch, lambda: (_meet(reader_ready), _meet(reader_done)))
    items = [{"Put": {"TableName": TABLE, "Item": {**_key("new"), "n": {"N": "1"}}}}, _failing_check("missing")]

    def read_meanwhile() -> dict[str, Any]:
        _meet(reader_ready)
        found: dict[str, Any] = dynamodb.get_item(TableName=TABLE, Key=_key("new"), ConsistentRead=True)
        _meet(reader_done)
        return found

    # When another request reads the new item while the transaction is paused there
    with ThreadPoolExecutor(1) as pool:
        read = pool.submit(read_meanwhile)
        with pytest.raises(ClientError):
            dynamodb.transact_write_items(TransactItems=items)

    # Then it never saw the write that was undone
    assert "Item" not in read.result()
    assert "new" not in {item["sk"]["S"] for item in _items(dynamodb)}


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


# -- S3's events name the version they announce, and a sequencer ----------------------------------------------
def test_an_s3_event_names_the_object_version_it_announces_and_a_growing_sequencer() -> None:
    emulator.install()
    with mock_aws():
        s3, sqs = boto3.client("s3", region_name="us-east-1"), boto3.client("sqs", region_name="us-east-1")
        url = sqs.create_queue(QueueName="events")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        for bucket, versioned in (("kept", True), ("plain", False)):
            s3.create_bucket(Bucket=bucket)
            if versioned:
                s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
            s3.put_bucket_notification_configuration(
                Bucket=bucket,
                NotificationConfiguration={
                    "QueueConfigurations": [{"QueueArn": arn, "Events": ["s3:ObjectCreated:*"]}]
                },
            )
        # Given two versions of one key in a versioned bucket, and an object in an unversioned one
        versions = [s3.put_object(Bucket="kept", Key="m.json", Body=body)["VersionId"] for body in (b"1", b"2")]
        s3.put_object(Bucket="plain", Key="m.json", Body=b"3")

        # When their events are read
        records = []
        while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
            for message in messages:
                records += [r["s3"] for r in json.loads(message["Body"]).get("Records", [])]
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])

    # Then each event of the versioned bucket names the very version it announces, as S3's do, none of the other
    kept = [r["object"] for r in records if r["bucket"]["name"] == "kept"]
    assert [o["versionId"] for o in kept] == versions
    [plain] = [r["object"] for r in records if r["bucket"]["name"] == "plain"]
    assert "versionId" not in plain
    # and a later event of one key has a greater sequencer (S3's way to order them)
    assert int(kept[1]["sequencer"], 16) > int(kept[0]["sequencer"], 16)


# -- moto's server finds each host's backend once ------------------------------------------------------------
def test_the_server_finds_a_hosts_backend_once_not_per_request(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given moto's server with the emulator, and a count of moto's listings of its own package directory
    emulator.install()
    listings: list[int] = []
    listed = moto_backends.list_of_moto_modules

    def listing() -> Any:
        listings.append(1)
        return listed()

    monkeypatch.setattr(moto_backends, "list_of_moto_modules", listing)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        endpoint = f"http://127.0.0.1:{port}"
        keys = {"aws_access_key_id": "local", "aws_secret_access_key": "local", "region_name": "us-east-1"}
        dynamodb = boto3.client("dynamodb", endpoint_url=endpoint, **keys)  # type: ignore[call-overload]
        sqs = boto3.client("sqs", endpoint_url=endpoint, **keys)  # type: ignore[call-overload]

        # When two services are each called ten times, one after the other
        dynamodb.create_table(
            TableName="dispatch",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        sqs.create_queue(QueueName="dispatch")
        answers = [(dynamodb.list_tables()["TableNames"], sqs.list_queues()["QueueUrls"]) for _ in range(9)]
    finally:
        server.stop()

    # Then each request reached its own service's backend
    assert all("dispatch" in tables and any(u.endswith("/dispatch") for u in urls) for tables, urls in answers)
    # and moto listed its package directory once per service at most, not once per request (twenty)
    assert len(listings) <= 2

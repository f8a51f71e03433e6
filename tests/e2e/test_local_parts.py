"""The local stack's parts on their own: the gateway's answers for failing functions and huge bodies, the SQS
poller's deletes, retries (when the queue's visibility timeout ends, or a stated share of it), batching windows
and batches side by side, schedules and tokens. Functions here are stand-ins wired by a tiny template."""

from __future__ import annotations

import json
import socket
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from local.client import LocalStackClient
from local.gateway import Gateway
from local.invoke import Invoker
from local.pollers import QueuePoller, rate_seconds
from local.stack import LocalStack
from local.template import REGION, QueueSource, load
from local.tokens import InvalidToken, TokenIssuer

CALLS: list[dict[str, Any]] = []


def boom(event: dict[str, Any], context: Any) -> dict[str, Any]:
    raise RuntimeError("the function broke")


def echo(event: dict[str, Any], context: Any) -> dict[str, Any]:
    CALLS.append(event)
    return {"statusCode": 200, "headers": {"X-Fn": context.function_name}, "body": json.dumps(event["pathParameters"])}


FAKE_TEMPLATE = """
Resources:
  BoomFunction:
    Type: AWS::Serverless::Function
    Properties:
      Handler: tests.e2e.test_local_parts.boom
      Events:
        Boom: {Type: Api, Properties: {Path: /boom, Method: get}}
  EchoFunction:
    Type: AWS::Serverless::Function
    Properties:
      Handler: tests.e2e.test_local_parts.echo
      Events:
        Item: {Type: Api, Properties: {Path: "/things/{thing_id}", Method: get}}
        Special: {Type: Api, Properties: {Path: /things/special, Method: get}}
      Timeout: 3
"""


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[tuple[Gateway, str]]:
    template = tmp_path / "template.yaml"
    template.write_text(textwrap.dedent(FAKE_TEMPLATE))
    stack = load(template)
    tokens = TokenIssuer()
    gw = Gateway(stack.routes, Invoker(stack), tokens, lambda *_: (404, {}), "127.0.0.1", 0)
    yield gw, f"Bearer {tokens.issue('someone')}"
    gw.server.server_close()


def test_a_failing_function_answers_502_in_the_error_shape(gateway: tuple[Gateway, str]) -> None:
    # Given a route whose function raises
    gw, auth = gateway

    # When it is requested
    status, _, body = gw.handle("GET", "/boom", {"Authorization": auth}, b"")

    # Then the gateway answers 502 like API Gateway, in the error shape
    assert status == 502
    assert json.loads(body)["error"]["code"] == "internal_error"


def test_literal_segments_win_over_path_parameters(gateway: tuple[Gateway, str]) -> None:
    # Given /things/{thing_id} and /things/special
    gw, auth = gateway
    CALLS.clear()

    # When both are requested
    special = gw.handle("GET", "/things/special", {"Authorization": auth}, b"")
    item = gw.handle("GET", "/things/a%20b?x=1&x=2", {"Authorization": auth}, b"")

    # Then each goes where API Gateway sends it, with decoded parameters and every query value
    assert special[0] == item[0] == 200
    assert item[1]["X-Fn"] == "connectability-local-EchoFunction"  # its FunctionName, as the context names it
    assert CALLS[0]["resource"] == "/things/special"
    assert CALLS[1]["resource"] == "/things/{thing_id}"
    assert CALLS[1]["pathParameters"] == {"thing_id": "a b"}
    assert CALLS[1]["multiValueQueryStringParameters"] == {"x": ["1", "2"]}
    assert CALLS[1]["requestContext"]["authorizer"]["claims"]["sub"] == "someone"


def test_a_body_over_10_mb_is_refused_before_it_is_read(local_stack: LocalStackClient) -> None:
    # Given a request that announces an 11 MB body
    host, port = local_stack.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as conn:
        conn.sendall(f"POST /companies HTTP/1.1\r\nHost: x\r\nContent-Length: {11 * 1024 * 1024}\r\n\r\n".encode())
        # When the gateway answers without waiting for the body (and closes the connection)
        reply = b""
        while chunk := conn.recv(65536):
            reply += chunk
        text = reply.decode()

    # Then it is 413 in the error shape
    assert text.startswith("HTTP/1.1 413")
    assert '"payload_too_large"' in text


def test_tokens_carry_cognito_claims_and_expire() -> None:
    # Given an issuer
    tokens = TokenIssuer()

    # When it issues tokens to the platform admin, a user, and an already expired one
    admin = tokens.verify(tokens.issue("platform-admin"))
    user = tokens.verify(tokens.issue("u1", email="u1@x.example"))

    # Then the claims are those of a Cognito id token, and expiry and other secrets are refused
    assert admin["cognito:groups"] == "platform-admins"
    assert user["email"] == "u1@x.example"
    assert "cognito:groups" not in user
    assert user["token_use"] == "id"
    assert user["exp"] - user["iat"] == 12 * 3600
    with pytest.raises(InvalidToken):
        tokens.verify(tokens.issue("u1", expires_in=-1))
    with pytest.raises(InvalidToken):
        TokenIssuer().verify(tokens.issue("u1"))


def test_rate_expressions() -> None:
    assert rate_seconds("rate(1 minute)") == 60
    assert rate_seconds("rate(15 minutes)") == 900
    assert rate_seconds("rate(2 hours)") == 7200
    assert rate_seconds("cron(0 12 * * ? *)") is None


@pytest.fixture
def sqs(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        yield boto3.client("sqs", region_name=REGION)


def make_queue(sqs: Any, max_receives: int = 2, visibility: int = 30) -> tuple[str, str]:
    dlq = sqs.create_queue(QueueName="work-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": max_receives})
    attributes = {"RedrivePolicy": redrive, "VisibilityTimeout": str(visibility)}
    url = sqs.create_queue(QueueName="work", Attributes=attributes)["QueueUrl"]
    return url, dlq


def count(sqs: Any, url: str) -> int:
    attrs = sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"])


def test_the_poller_deletes_what_succeeded_and_keeps_reported_failures(sqs: Any) -> None:
    # Given three messages and a function that reports the one saying "fail" as failed
    url, _ = make_queue(sqs)
    for body in ("ok-1", "fail", "ok-2"):
        sqs.send_message(QueueUrl=url, MessageBody=body)
    events: list[dict[str, Any]] = []

    def handler(function: str, event: dict[str, Any]) -> dict[str, Any]:
        events.append(event)
        failed = [r["messageId"] for r in event["Records"] if r["body"] == "fail"]
        return {"batchItemFailures": [{"itemIdentifier": m} for m in failed]}

    poller = QueuePoller(sqs, QueueSource("Work", "WorkFunction", 10, True), url, handler)

    # When it polls once
    received = poller.poll_once(wait_seconds=0)

    # Then the function saw one SQS batch of all three, and only the failure is left
    assert received == 3
    assert {r["body"] for r in events[0]["Records"]} == {"ok-1", "fail", "ok-2"}
    assert events[0]["Records"][0]["eventSource"] == "aws:sqs"
    assert count(sqs, url) == 1


def test_a_raising_function_keeps_the_batch_until_it_goes_to_the_dlq(sqs: Any) -> None:
    # Given a message and a function that always raises, on a queue that redrives after 2 receives
    url, dlq = make_queue(sqs, max_receives=2)
    sqs.send_message(QueueUrl=url, MessageBody="poison")

    def handler(function: str, event: dict[str, Any]) -> None:
        raise RuntimeError("broken")

    # (a failed message coming back at once: the least share of the queue's timeout there is)
    poller = QueuePoller(sqs, QueueSource("Work", "WorkFunction", 10, True), url, handler, visibility_scale=1e-9)

    # When it polls until the queue is empty
    deadline = time.monotonic() + 60
    while count(sqs, url) and time.monotonic() < deadline:
        poller.poll_once(wait_seconds=0)

    # Then nothing was deleted: the message went to the DLQ
    assert count(sqs, url) == 0, f"still on the queue after 60 s: {count(sqs, url)}"
    assert count(sqs, dlq) == 1


def _visible_at(url: str) -> float:
    """When moto makes the queue's one message visible again (epoch seconds)."""
    from moto.sqs.models import sqs_backends

    [message] = sqs_backends["123456789012"][REGION].queues[url.rsplit("/", 1)[-1]]._messages
    return float(message.visible_at) / 1000


def _failing(function: str, event: dict[str, Any]) -> dict[str, Any]:
    return {"batchItemFailures": [{"itemIdentifier": r["messageId"]} for r in event["Records"]]}


@pytest.mark.parametrize(("scale", "back_after"), [(1.0, 40), (0.25, 10)], ids=["as the queue says", "a quarter"])
def test_a_failed_message_comes_back_when_its_visibility_timeout_ends(sqs: Any, scale: float, back_after: int) -> None:
    # Given a queue whose visibility timeout is 40 s, a message, and a function that fails it
    url, _ = make_queue(sqs, visibility=40)
    sqs.send_message(QueueUrl=url, MessageBody="fails")
    poller = QueuePoller(sqs, QueueSource("Work", "WorkFunction", 10, True), url, _failing, visibility_scale=scale)

    # When the poller hands it over once
    before = time.time()
    assert poller.poll_once(wait_seconds=0) == 1
    after = time.time()

    # Then it stays invisible until the timeout ends (or the stated share of it), counted from its receive
    assert before + back_after - 1 <= _visible_at(url) <= after + back_after + 1
    assert sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0).get("Messages", []) == []


def test_a_failed_message_comes_back_when_its_function_said(sqs: Any) -> None:
    # Given a function that asks for its failed message again in 2 s (as file_check does for a thumbnail)
    url, _ = make_queue(sqs, visibility=40)
    sqs.send_message(QueueUrl=url, MessageBody="soon")

    def soon(function: str, event: dict[str, Any]) -> dict[str, Any]:
        for record in event["Records"]:
            sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=record["receiptHandle"], VisibilityTimeout=2)
        return _failing(function, event)

    # When the poller hands it over, its visibility as the template says
    before = time.time()
    QueuePoller(sqs, QueueSource("Work", "WorkFunction", 10, True), url, soon).poll_once(wait_seconds=0)

    # Then the function's own choice stands
    assert before + 1 <= _visible_at(url) <= time.time() + 3


@pytest.mark.parametrize(("window", "sizes"), [(5, [3]), (0, [1, 2])], ids=["a window", "no window"])
def test_a_batching_window_waits_for_the_batch_to_fill(sqs: Any, window: int, sizes: list[int]) -> None:
    # Given a source of batches of 3, and a queue holding one message when the poller receives
    url, _ = make_queue(sqs)
    sqs.send_message(QueueUrl=url, MessageBody="first")
    batches: list[int] = []
    source = QueueSource("Work", "WorkFunction", 3, True, batching_window=window)
    poller = QueuePoller(sqs, source, url, lambda _, event: batches.append(len(event["Records"])))
    receive, sent = poller._receive, []

    def two_more_arrive_after_the_first_receive(count: int, wait: int) -> list[dict[str, Any]]:
        got = receive(count, wait)
        if not sent:
            sent.append(True)
            for body in ("second", "third"):
                sqs.send_message(QueueUrl=url, MessageBody=body)
        return got

    poller._receive = two_more_arrive_after_the_first_receive  # type: ignore[method-assign]

    # When it polls until the queue is empty
    while count(sqs, url):
        poller.poll_once(wait_seconds=0)

    # Then with a window the batch waited for the two that came meanwhile; without, the first went alone
    assert batches == sizes


def test_batches_of_one_queue_run_side_by_side_up_to_its_concurrency(sqs: Any) -> None:
    # Given 40 messages, batches of 10, a poller that may run 2 at once, and a function whose first two batches
    # wait for each other
    url, _ = make_queue(sqs)
    for start in range(0, 40, 10):
        sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(n), "MessageBody": str(start + n)} for n in range(10)])
    meet, lock = threading.Barrier(2, timeout=20), threading.Lock()
    running, most, met = [0], [0], []

    def handler(function: str, event: dict[str, Any]) -> None:
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
            first_two = len(met) < 2
            met.append(len(event["Records"]))
        if first_two:
            meet.wait()
        time.sleep(0.05)
        with lock:
            running[0] -= 1

    poller = QueuePoller(sqs, QueueSource("Work", "WorkFunction", 10, True), url, handler, concurrency=2)

    # When it runs until every message is taken
    poller.start()
    deadline = time.monotonic() + 60
    while (count(sqs, url) or running[0]) and time.monotonic() < deadline:
        time.sleep(0.1)
    poller.stopping.set()
    poller.join(timeout=10)

    # Then the first two batches ran at once, never a third beside them, and every message was handed over once
    assert not meet.broken
    assert most[0] == 2
    assert sum(met) == 40
    assert count(sqs, url) == 0


QUEUES_TEMPLATE = """
Resources:
  WorkQueue:
    Type: AWS::SQS::Queue
    Properties:
      RedrivePolicy: {deadLetterTargetArn: !GetAtt WorkParking.Arn, maxReceiveCount: 3}
  WorkParking:
    Type: AWS::SQS::Queue
  OtherDLQ:
    Type: AWS::SQS::Queue
  NobodyReadsQueue:
    Type: AWS::SQS::Queue
  WorkFunction:
    Type: AWS::Serverless::Function
    Properties:
      Handler: tests.e2e.test_local_parts.echo_schedule
      Events:
        Work:
          Type: SQS
          Properties: {Queue: !GetAtt WorkQueue.Arn, FunctionResponseTypes: [ReportBatchItemFailures]}
  ReconcileFunction:
    Type: AWS::Serverless::Function
    Properties:
      Handler: tests.e2e.test_local_parts.echo_schedule
      Events:
        Every: {Type: Schedule, Properties: {Schedule: rate(5 minutes)}}
"""


def echo_schedule(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"detail_type": event["detail-type"], "function": context.function_name}


def test_settle_watches_consumed_queues_and_schedules_run_on_request(tmp_path: Path) -> None:
    # Given a template with a consumed work queue, its DLQ, another DLQ, a queue nobody reads yet, and a schedule
    template = tmp_path / "template.yaml"
    template.write_text(textwrap.dedent(QUEUES_TEMPLATE))
    stack = LocalStack(template=template)

    # When the stack lists the queues settle waits for, and the schedule is triggered through /_local
    watched = stack.work_queues()
    status, answer = stack.local_api("POST", "/_local/schedules/ReconcileFunction", b"")
    unknown, _ = stack.local_api("POST", "/_local/schedules/NoSuchFunction", b"")

    stack.stop()

    # Then only the consumed work queue is watched, and the function ran with a scheduled event
    assert watched == ["WorkQueue"]
    assert stack.stack.schedules[0].expression == "rate(5 minutes)"
    assert status == 200
    assert answer["result"] == {"detail_type": "Scheduled Event", "function": "connectability-local-ReconcileFunction"}
    assert unknown == 404


@pytest.mark.parametrize(
    ("options", "refusal"),
    [
        (["--visibility-scale", "2"], "it makes retries faster, never slower"),
        (["--visibility-scale", "0"], "0 is not above 0"),
        (["--concurrency", "0"], "0 is not above 0"),
    ],
    ids=["slower retries", "no visibility", "no concurrency"],
)
def test_the_stack_refuses_options_that_would_make_it_kinder_than_aws_or_stall_it(
    options: list[str], refusal: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from local.__main__ import main

    # When the stack is started with one
    with pytest.raises(SystemExit) as stopped:
        main(options)

    # Then it says why and does not start
    assert stopped.value.code == 2
    assert refusal in capsys.readouterr().err


def test_the_start_says_how_functions_run_and_when_failed_messages_come_back() -> None:
    # Given the product's template, a local cap of 3, and failed messages back after a hundredth of their timeout
    stack = LocalStack(concurrency=3, visibility_scale=0.01)

    # When it says how it runs
    lines = stack.runtime_lines()

    # Then each function's cap is the lower of the local one and its reserved concurrency, and each queue's
    # timeout is named with what it becomes
    reserved = {n: f.reserved_concurrency for n, f in stack.stack.functions.items() if f.reserved_concurrency}
    assert stack.caps() == {n: min(3, reserved.get(n, 3)) for n in stack.stack.functions}
    assert "up to 3 of one function at once" in lines[0]
    assert "connectability-local-copy-jobs 5400 s -> 54 s" in lines[1]

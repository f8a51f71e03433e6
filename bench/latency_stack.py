"""The latency bench's world: the local stack in this process, one upstream project and DOWNSTREAMS downstream
projects connected to it, with every function invocation and every copy's commit timed (bench/latency.py runs
it and reports)."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any

from bench.calls import Call, operation_name, wrapped_calls

DOWNSTREAMS = 20
POLL_SECONDS = 0.05  # a reader's pause between two reads of the copies
ROUND_TRIPS = 20  # bare calls of each kind timed on the idle stack (sqs_round_trips)
PDF = b"%PDF-1.7\n" + b"0" * 2048 + b"\n%%EOF\n"
UP_ADMIN, REQUESTER, DOWN_ADMIN = "gc-pm", "sub-pm", "sub-admin"
FANOUT, COPY = "SyncFanoutFunction", "SyncCopyFunction"
SYNC_FUNCTIONS = frozenset({FANOUT, COPY})


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Invocation:
    function: str
    started: float
    records: int
    ended: float | None = None  # None while it runs

    def busy(self, now: float) -> float:
        return (self.ended or now) - self.started


def fixture() -> dict[str, Any]:
    upstream = {
        "key": "gc",
        "name": "Apex Builders",
        "users": [
            {"user_id": "gc-admin", "email": "gc-admin@apex.example", "name": "GC Admin", "is_company_admin": True},
            {"user_id": UP_ADMIN, "email": "gc-pm@apex.example", "name": "GC PM"},
            {"user_id": REQUESTER, "email": "sub-pm@volt.example", "name": "Sub PM"},
        ],
        "projects": [
            {
                "key": "up",
                "name": "Harbor Tower",
                "directory": [
                    {"user_id": UP_ADMIN, "connection_manager": "admin", "drawings": "admin"},
                    {"user_id": REQUESTER, "connection_manager": "none", "drawings": "read_only"},
                ],
            }
        ],
    }
    downstream = {
        "key": "sub",
        "name": "Volt Electric",
        "connected_drawings_beta": True,
        "users": [
            {"user_id": DOWN_ADMIN, "email": "sub-admin@volt.example", "name": "Sub Admin", "is_company_admin": True},
            {"user_id": REQUESTER, "email": "sub-pm@volt.example", "name": "Sub PM"},
        ],
        "projects": [
            {
                "key": f"down-{n:02d}",
                "name": f"Harbor Tower - trade {n:02d}",
                "directory": [
                    {"user_id": DOWN_ADMIN, "connection_manager": "admin", "drawings": "admin"},
                    {"user_id": REQUESTER, "connection_manager": "admin", "drawings": "standard"},
                ],
            }
            for n in range(DOWNSTREAMS)
        ],
    }
    return {"companies": [upstream, downstream]}


class Bench:
    """The stack under test, with its function invocations and its copies' commits timed."""

    def __init__(self) -> None:
        import requests

        from local.invoke import Invoker
        from local.stack import LocalStack

        self.invocations: list[Invocation] = []
        self.committed: dict[tuple[str, str], float] = {}  # (downstream project, upstream revision) -> time
        self.calls: dict[tuple[str, str], list[float]] = {}  # (function, service:Operation) -> seconds each
        self.running = threading.local()  # the function this thread is invoking, if any
        record, running = self.invocations, self.running

        class TimedInvoker(Invoker):
            def invoke(self, function: str, event: dict[str, Any]) -> Any:
                call = Invocation(function, time.monotonic(), len(event.get("Records") or []))
                record.append(call)
                running.function = function
                try:
                    return super().invoke(function, event)
                finally:
                    running.function = None
                    call.ended = time.monotonic()

        self.stack = LocalStack(api_port=free_port(), aws_port=free_port())
        self.stack.invoker = TimedInvoker(self.stack.stack)
        self.http = requests.Session()
        self.tokens: dict[str, str] = {}
        self.ids: dict[str, Any] = {}
        self.connections: dict[str, str] = {}  # downstream project -> connection
        self._unhook = contextlib.ExitStack()

    def start(self) -> None:
        self.stack.start()
        from connectability.db import sync as sync_db

        real, committed = sync_db.write_copy, self.committed

        def timed(write: Any) -> Any:
            outcome = real(write)
            if outcome is sync_db.Written.applied:
                committed.setdefault((write.project_id, write.upstream_revision_id), time.monotonic())
            return outcome

        sync_db.write_copy = timed  # the domain calls it through the module, so every copy comes here

        calls, running = self.calls, self.running

        def timing(real: Call) -> Call:
            def timed_call(client: Any, operation: str, params: Any) -> Any:
                function = getattr(running, "function", None)
                if function not in SYNC_FUNCTIONS:
                    return real(client, operation, params)
                started = time.monotonic()
                try:
                    return real(client, operation, params)
                finally:
                    calls.setdefault((function, operation_name(client, operation)), []).append(
                        time.monotonic() - started
                    )

            return timed_call

        self._unhook.enter_context(wrapped_calls(timing))

    def stop(self) -> None:
        self.http.close()
        self.stack.stop()
        self._unhook.close()

    def client(self, service: str) -> Any:
        import boto3

        return boto3.client(service, endpoint_url=self.stack.endpoint)  # type: ignore[call-overload]

    def call(self, method: str, path: str, user: str, body: Any = None, **query: str) -> Any:
        if user not in self.tokens:
            self.tokens[user] = self.stack.token(user)
        answer = self.http.request(
            method,
            f"{self.stack.api_url}{path}",
            json=body,
            params=query or None,
            headers={"Authorization": f"Bearer {self.tokens[user]}"},
            timeout=60,
        )
        if answer.status_code >= 300:
            raise RuntimeError(f"{method} {path} answered {answer.status_code}: {answer.text[:300]}")
        return answer.json() if answer.content else None

    def settle(self) -> float:
        settled = self.stack.settle(timeout=60)
        if not settled["settled"]:
            raise RuntimeError("the local stack did not settle within 60 s")
        return float(settled["seconds"])

    @property
    def up(self) -> str:
        return str(self.ids["projects"]["up"])

    @property
    def downs(self) -> list[str]:
        return [self.ids["projects"][f"down-{n:02d}"] for n in range(DOWNSTREAMS)]

    def seed(self) -> None:
        self.ids = self.stack.seed(fixture())

    def connect(self) -> None:
        """20 connections requested and approved, their initial syncs (and every mail) settled."""
        for down in self.downs:
            asked = self.call("POST", f"/projects/{down}/connections", REQUESTER, {"upstream_project_id": self.up})
            approved = self.call("POST", f"/connections/{asked['id']}/approve", UP_ADMIN)
            self.connections[down] = approved["id"]
        self.settle()
        for down in self.downs:
            progress = self.call("GET", f"/connections/{self.connections[down]}", DOWN_ADMIN)["initial_sync"]
            if progress["status"] != "complete":
                raise RuntimeError(f"initial sync of {down} is {progress}")

    def sheet(self, number: str) -> str:
        import requests

        upload = self.call(
            "POST",
            f"/projects/{self.up}/drawing-uploads",
            UP_ADMIN,
            {"filename": f"{number}.pdf", "content_type": "application/pdf", "size": len(PDF)},
        )
        put = requests.put(upload["url"], data=PDF, headers=upload["headers"], timeout=30)
        if put.status_code != 200:
            raise RuntimeError(f"upload answered {put.status_code}")
        revision = self.call(
            "POST",
            f"/projects/{self.up}/drawing-revisions",
            UP_ADMIN,
            {
                "upload_id": upload["upload_id"],
                "number": number,
                "title": f"Sheet {number}",
                "revision_number": "1",
                "discipline": {"name": "Electrical"},
            },
        )
        return str(revision["id"])

    def publish(self, revision_ids: list[str]) -> tuple[float, float]:
        """Answers when the publish call was sent and when it answered."""
        sent = time.monotonic()
        self.call("POST", f"/projects/{self.up}/drawing-revisions/publish", UP_ADMIN, {"revision_ids": revision_ids})
        return sent, time.monotonic()

    def wait_commits(self, revision_ids: list[str], timeout: float) -> dict[tuple[str, str], float]:
        wanted = [(d, r) for d in self.downs for r in revision_ids]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(k in self.committed for k in wanted):
                return {k: self.committed[k] for k in wanted}
            time.sleep(0.05)
        raise RuntimeError(f"{sum(k not in self.committed for k in wanted)} copies missing after {timeout:.0f} s")

    def observe(self, revision_id: str, timeout: float) -> dict[str, float]:
        """Poll DynamoDB until the copy is pending_review in every downstream: downstream -> when first seen."""
        from connectability.db.projects import project_key
        from connectability.domain.sync import connected_id

        table = load_table_name()
        dynamodb = self.client("dynamodb")
        keys = {
            (project_key(d), f"REVISION#{connected_id('rev', self.connections[d], revision_id)}"): d for d in self.downs
        }
        seen: dict[str, float] = {}
        deadline = time.monotonic() + timeout
        while len(seen) < len(keys) and time.monotonic() < deadline:
            request = {
                "Keys": [{"pk": {"S": pk}, "sk": {"S": sk}} for (pk, sk), d in keys.items() if d not in seen],
                "ConsistentRead": True,
                "ProjectionExpression": "pk, sk, #state",
                "ExpressionAttributeNames": {"#state": "state"},
            }
            answer = dynamodb.batch_get_item(RequestItems={table: request})
            now = time.monotonic()
            for item in answer["Responses"].get(table, []):
                if item.get("state", {}).get("S") == "pending_review":
                    seen.setdefault(keys[(item["pk"]["S"], item["sk"]["S"])], now)
            time.sleep(POLL_SECONDS)
        if len(seen) < len(keys):
            raise RuntimeError(f"the reader saw {len(seen)} of {len(keys)} copies within {timeout:.0f} s")
        return seen

    def check_review_queues(self, revision_ids: list[str]) -> None:
        """Each downstream's Drawings admin finds every copy waiting for review (not timed)."""
        wanted = set(revision_ids)
        for down in self.downs:
            found: set[str] = set()
            token: str | None = None
            while True:
                query = {"limit": "200", **({"next_token": token} if token else {})}
                page = self.call("GET", f"/projects/{down}/connected-drawings/review", DOWN_ADMIN, **query)
                found |= {
                    r["source"]["upstream_revision_id"]
                    for r in page["items"]
                    if r["state"] == "pending_review" and r.get("source")
                }
                token = page.get("next_token")
                if not token:
                    break
            if not wanted <= found:
                raise RuntimeError(f"{len(wanted - found)} copies missing from the review queue of {down}")

    def between(self, function: str, start: float, end: float) -> list[Invocation]:
        return [i for i in self.invocations if i.function == function and start <= i.started <= end]

    def sqs_round_trips(self) -> dict[str, list[float]]:
        """A bare message through a queue of the same moto server, the stack idle: a long-polling receiver (as
        the pollers do, WaitTimeSeconds=1) and a sender; plus one send and one short receive on their own."""
        sqs = self.client("sqs")
        url = sqs.create_queue(QueueName="bench-round-trip")["QueueUrl"]
        got = threading.Event()
        stopping = threading.Event()
        received: list[float] = []

        def receive() -> None:
            while not stopping.is_set():
                messages = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages", [])
                if messages:
                    received.append(time.monotonic())
                    sqs.delete_message(QueueUrl=url, ReceiptHandle=messages[0]["ReceiptHandle"])
                    got.set()

        receiver = threading.Thread(target=receive, daemon=True)
        receiver.start()
        trips, sends, receives = [], [], []
        try:
            time.sleep(0.2)
            for _ in range(ROUND_TRIPS):
                got.clear()
                sent = time.monotonic()
                sqs.send_message(QueueUrl=url, MessageBody="x")
                sends.append(time.monotonic() - sent)
                if not got.wait(5):
                    raise RuntimeError("a bare SQS message did not come back within 5 s")
                trips.append(received[-1] - sent)
                time.sleep(0.05)
        finally:
            stopping.set()
            receiver.join(timeout=3)
        for _ in range(ROUND_TRIPS):
            sqs.send_message(QueueUrl=url, MessageBody="x")
            started = time.monotonic()
            message = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0)["Messages"][0]
            receives.append(time.monotonic() - started)
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        dynamodb = self.client("dynamodb")
        table = load_table_name()
        reads = []
        for _ in range(ROUND_TRIPS):
            started = time.monotonic()
            dynamodb.get_item(TableName=table, Key={"pk": {"S": "x"}, "sk": {"S": "x"}})
            reads.append(time.monotonic() - started)
        sqs.delete_queue(QueueUrl=url)
        return {"round_trip": trips, "send": sends, "receive": receives, "get_item": reads}


def load_table_name() -> str:
    from connectability.config import get_settings

    return get_settings().table_name

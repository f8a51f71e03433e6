"""What the stack's event bus carried (R44), read as a consumer would: a rule of the test's own on the bus sends
every event to a queue the test reads. And a webhook receiver on this machine (R45)."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import jsonschema
import referencing

from local.template import Stack
from tests.iam.record import acting_as

SCHEMAS = Path(__file__).resolve().parents[2] / "docs" / "events"


class Bus:
    def __init__(self, stack: Stack) -> None:
        with acting_as(None):
            sqs, events = boto3.client("sqs"), boto3.client("events")
            self.url = sqs.create_queue(QueueName="test-bus-log")["QueueUrl"]
            arn = sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            bus = stack.physical_name("EventBus")
            events.put_rule(
                Name="test-everything", EventBusName=bus, EventPattern=json.dumps({"source": ["connectability"]})
            )
            events.put_targets(Rule="test-everything", EventBusName=bus, Targets=[{"Id": "log", "Arn": arn}])
        self.seen: list[dict[str, Any]] = []

    def events(self) -> list[dict[str, Any]]:
        """Every event put on the bus so far (EventBridge's envelope: its `detail` is ours)."""
        with acting_as(None):
            sqs = boto3.client("sqs")
            while batch := sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10).get("Messages", []):
                for message in batch:
                    self.seen.append(json.loads(message["Body"]))
                    sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])
        return list(self.seen)

    def details(self, **where: Any) -> list[dict[str, Any]]:
        """Our events (the envelope's detail), those whose data holds `where`."""
        found = [e["detail"] for e in self.events()]
        return [d for d in found if all(d["data"].get(k) == v for k, v in where.items())]


def validate(event: dict[str, Any]) -> None:
    """Hold an event to its type's JSON Schema in docs/events/ (and the envelope it refers to)."""
    resources = [
        (p.name, referencing.Resource.from_contents(json.loads(p.read_text()))) for p in SCHEMAS.glob("*.json")
    ]
    registry = referencing.Registry().with_resources(resources)
    schema = json.loads((SCHEMAS / f"{event['type']}.schema.json").read_text())
    jsonschema.Draft202012Validator(
        schema, registry=registry, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    ).validate(event)


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """An integrator's endpoint on this machine: keeps every POST, answers `status` (the test may change it)."""

    status: int = 200
    got: list[Received] = field(default_factory=list)
    url: str = ""

    def serve(self) -> Iterator[Receiver]:
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.got.append(Received({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(receiver.status)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            server.shutdown()
            server.server_close()

    def events(self) -> list[dict[str, Any]]:
        return [json.loads(r.body) for r in self.got]

"""What the local stack told integrators: every event its bus carried (/_local/events) and every webhook delivery
it attempted (/_local/webhooks), to watch an integration work without an endpoint of your own."""

from __future__ import annotations

import json
import threading
from typing import Any

from local.template import Stack

LOG_QUEUE = "local-bus-log"


class BusLog:
    """A rule of the local stack's own on the bus sends every event to a queue it reads, as any consumer would."""

    def __init__(self, sqs: Any, events: Any, stack: Stack) -> None:
        self._sqs = sqs
        self._lock = threading.Lock()
        self._seen: list[dict[str, Any]] = []
        self._url = sqs.create_queue(QueueName=f"{stack.name}-{LOG_QUEUE}")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=self._url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        bus = stack.physical_name("EventBus")
        events.put_rule(Name=LOG_QUEUE, EventBusName=bus, EventPattern=json.dumps({"source": ["connectability"]}))
        events.put_targets(Rule=LOG_QUEUE, EventBusName=bus, Targets=[{"Id": "log", "Arn": arn}])

    def events(self) -> list[dict[str, Any]]:
        """Every event so far, oldest first: the bus's envelope (id, time, detail-type, detail: ours)."""
        with self._lock:
            while batch := self._sqs.receive_message(QueueUrl=self._url, MaxNumberOfMessages=10).get("Messages"):
                for message in batch:
                    self._seen.append(json.loads(message["Body"]))
                    self._sqs.delete_message(QueueUrl=self._url, ReceiptHandle=message["ReceiptHandle"])
            return sorted(self._seen, key=lambda e: e["detail"]["occurred_at"])


def webhook_deliveries(dynamodb: Any, table: str) -> list[dict[str, Any]]:
    """Every delivery attempt the webhooks logged, newest first (each endpoint's log, read as the table holds it)."""
    found = []
    for page in dynamodb.get_paginator("scan").paginate(
        TableName=table,
        FilterExpression="begins_with(pk, :log)",
        ExpressionAttributeValues={":log": {"S": "WEBHOOK_LOG#"}},
    ):
        for item in page["Items"]:
            code = item.get("response_code", {}).get("N")
            found.append(
                {
                    "webhook_id": item["webhook_id"]["S"],
                    "event_id": item["event_id"]["S"],
                    "event_type": item["event_type"]["S"],
                    "attempt": int(item["attempt"]["N"]),
                    "status": item["status"]["S"],
                    "response_code": int(code) if code else None,
                    "error": item.get("error", {}).get("S"),
                    "at": item["at"]["S"],
                }
            )
    return sorted(found, key=lambda d: d["at"], reverse=True)

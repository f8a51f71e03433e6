"""Put dead-lettered messages back on the queue they came from, once their cause is fixed.

`python -m ops.redrive copy-jobs` (or `all`) finds the stack's queues by their name prefix and each one's
dead-letter queue from its RedrivePolicy, as SQS itself knows them, so it works on any deployed stack and on
the local stack alike. SQS's StartMessageMoveTask does the move where the endpoint has it; elsewhere (moto)
messages are moved one by one, each deleted from the dead-letter queue only after it was sent back, so a
failure half-way loses nothing (at worst a message is sent twice, which every consumer here tolerates).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.exceptions import ClientError

LOCAL_STACK = "connectability-local"
SHOWN_CHARS = 120
TASK_POLL_SECONDS = 1.0
TASK_TIMEOUT_SECONDS = 300.0

Say = Callable[[str], None]


@dataclass(frozen=True)
class Queue:
    name: str
    url: str
    arn: str


@dataclass(frozen=True)
class Redrive:
    """A dead-letter queue and the source queue its messages go back to."""

    source: Queue
    dead_letters: Queue


def redrives(sqs: Any, stack: str) -> list[Redrive]:
    """Every (source, dead-letter queue) pair among the queues named `<stack>-...`."""
    queues: dict[str, Queue] = {}
    policies: dict[str, str] = {}
    for page in sqs.get_paginator("list_queues").paginate(QueueNamePrefix=f"{stack}-"):
        for url in page.get("QueueUrls", []):
            attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn", "RedrivePolicy"])["Attributes"]
            queue = Queue(url.rsplit("/", 1)[-1], url, attrs["QueueArn"])
            queues[queue.arn] = queue
            if "RedrivePolicy" in attrs:
                policies[queue.arn] = json.loads(attrs["RedrivePolicy"])["deadLetterTargetArn"]
    return sorted(
        (Redrive(queues[source], queues[dlq]) for source, dlq in policies.items() if dlq in queues),
        key=lambda r: r.source.name,
    )


def select(pairs: list[Redrive], stack: str, wanted: str) -> list[Redrive]:
    """`all`, or the pairs whose source or dead-letter queue has this name (with or without the stack prefix)."""
    if wanted == "all":
        return pairs
    names = {wanted, f"{stack}-{wanted}"}
    return [p for p in pairs if {p.source.name, p.dead_letters.name} & names]


def waiting(sqs: Any, queue: Queue) -> int:
    attrs = sqs.get_queue_attributes(QueueUrl=queue.url, AttributeNames=["ApproximateNumberOfMessages"])
    return int(attrs["Attributes"]["ApproximateNumberOfMessages"])


def _shown(message: dict[str, Any]) -> str:
    body = " ".join(str(message.get("Body", "")).split())
    return f"{message['MessageId']} {body[:SHOWN_CHARS]}{'…' if len(body) > SHOWN_CHARS else ''}"


def peek(sqs: Any, queue: Queue) -> list[dict[str, Any]]:
    """Up to ten messages, left visible where they are (a dead-letter queue has no receive limit)."""
    answer = sqs.receive_message(QueueUrl=queue.url, MaxNumberOfMessages=10, VisibilityTimeout=0)
    return list(answer.get("Messages", []))


def move_by_task(sqs: Any, pair: Redrive, say: Say) -> int:
    """SQS moves them itself; answers how many it moved. Raises NotImplementedError where it cannot."""
    try:
        handle = sqs.start_message_move_task(SourceArn=pair.dead_letters.arn, DestinationArn=pair.source.arn)
    except ClientError as exc:
        raise NotImplementedError(exc.response["Error"].get("Code", "error")) from exc
    say(f"  move task started: {handle['TaskHandle']}")
    deadline = time.monotonic() + TASK_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        tasks = sqs.list_message_move_tasks(SourceArn=pair.dead_letters.arn, MaxResults=1)["Results"]
        task = tasks[0] if tasks else {}
        if task.get("Status") in ("COMPLETED", "FAILED", "CANCELLED"):
            if task["Status"] != "COMPLETED":
                raise RuntimeError(f"the move task ended {task['Status']}: {task.get('FailureReason', '')}")
            return int(task.get("ApproximateNumberOfMessagesMoved", 0))
        time.sleep(TASK_POLL_SECONDS)
    raise RuntimeError(f"the move task did not finish within {TASK_TIMEOUT_SECONDS:.0f} s; see the SQS console")


def move_one_by_one(sqs: Any, pair: Redrive, say: Say) -> tuple[int, int]:
    """Receive, send back, and only then delete; answers (moved, failed). A message that could not be sent
    stays in the dead-letter queue (visible again after a minute)."""
    moved = failed = 0
    while True:
        batch = sqs.receive_message(
            QueueUrl=pair.dead_letters.url,
            MaxNumberOfMessages=10,
            VisibilityTimeout=60,
            WaitTimeSeconds=1,
            MessageAttributeNames=["All"],
            AttributeNames=["All"],
        ).get("Messages", [])
        if not batch:
            return moved, failed
        for message in batch:
            send: dict[str, Any] = {"QueueUrl": pair.source.url, "MessageBody": message["Body"]}
            if message.get("MessageAttributes"):
                send["MessageAttributes"] = message["MessageAttributes"]
            for attribute, parameter in (
                ("MessageGroupId", "MessageGroupId"),
                ("MessageDeduplicationId", "MessageDeduplicationId"),
            ):
                if attribute in message.get("Attributes", {}):
                    send[parameter] = message["Attributes"][attribute]
            try:
                sqs.send_message(**send)
            except ClientError as exc:
                failed += 1
                say(f"  not moved (kept): {_shown(message)} - {exc.response['Error'].get('Code')}")
                continue
            sqs.delete_message(QueueUrl=pair.dead_letters.url, ReceiptHandle=message["ReceiptHandle"])
            moved += 1
            say(f"  moved {_shown(message)}")


def redrive(sqs: Any, pair: Redrive, say: Say) -> tuple[int, int]:
    """Move one dead-letter queue back to its source; answers (moved, failed)."""
    count = waiting(sqs, pair.dead_letters)
    say(f"{pair.dead_letters.name} -> {pair.source.name}: {count} waiting")
    if not count:
        return 0, 0
    try:
        for message in peek(sqs, pair.dead_letters):
            say(f"  to move: {_shown(message)}")
        moved = move_by_task(sqs, pair, say)
    except NotImplementedError as exc:
        say(f"  StartMessageMoveTask is not available here ({exc or 'not implemented'}): moving one by one")
        return move_one_by_one(sqs, pair, say)
    say(f"  moved {moved}")
    return moved, 0


def main(argv: list[str] | None = None, say: Say = print) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops.redrive", description=__doc__.splitlines()[0])
    parser.add_argument("queue", help="a queue or its dead-letter queue, without the stack prefix (copy-jobs), or all")
    parser.add_argument("--stack", default=LOCAL_STACK, help=f"stack name, the queues' prefix (default {LOCAL_STACK})")
    parser.add_argument("--endpoint", default=None, help="SQS endpoint, e.g. the local stack's moto server")
    parser.add_argument("--region", default=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION"))
    args = parser.parse_args(argv)

    sqs = boto3.client("sqs", region_name=args.region, endpoint_url=args.endpoint)
    pairs = redrives(sqs, args.stack)
    chosen = select(pairs, args.stack, args.queue)
    if not chosen:
        known = ", ".join(p.source.name.removeprefix(f"{args.stack}-") for p in pairs) or "none"
        say(f"no dead-letter queue for {args.queue!r} in stack {args.stack}; queues with one: {known}")
        return 2
    moved = failed = 0
    for pair in chosen:
        done, kept = redrive(sqs, pair, say)
        moved, failed = moved + done, failed + kept
    say(f"moved {moved} message(s) back{f'; {failed} could not be sent and stay dead-lettered' if failed else ''}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

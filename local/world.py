"""The world tests and benches drive the product in: handlers on moto, called as AWS calls them.

Every table, queue and bucket comes from template.yaml (local.template); `Api` calls the handler a route is wired
to with the event API Gateway would send, `Queues` and `Pipeline` deliver queued messages as Lambda's pollers
would, `Builder` and `DrawingsWorld` make companies, users, projects and drawings through the API as a user would.
The tests wrap these in pytest fixtures (tests/integration/conftest.py); the benches (bench/) use them directly.
`set_environment()` first: the environment every function reads, with moto's credentials.
"""

from __future__ import annotations

import importlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from local import emulator
from local.acting import acting_as, invoked
from local.events import LambdaContext, api_event, sqs_event
from local.template import REGION, Stack, load

PLATFORM_ADMIN = "platform-admin"


def _sqs() -> Any:
    """A boto3 SQS client of the harness (Lambda's pollers' side), not of the functions."""
    import boto3

    return boto3.client("sqs")


def set_environment() -> None:
    """Credentials and region for moto; the rest exactly as template.yaml gives every function. Before anything
    imports a handler. moto copies whole tables for each transaction item: the emulator's journal gives the same
    answers in less time (local.emulator)."""
    os.environ.update(
        {
            **load().environment(),
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_DEFAULT_REGION": REGION,
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_METRICS_DISABLED": "true",
            "POWERTOOLS_LOG_LEVEL": "WARNING",
        }
    )
    os.environ.pop("AWS_ENDPOINT_URL", None)
    os.environ.pop("AWS_PROFILE", None)
    emulator.install()


@dataclass
class Answer:
    status: int
    body: Any
    headers: dict[str, str]

    @property
    def error(self) -> dict[str, Any]:
        return self.body["error"]


class Api:
    """Calls the handler that template.yaml wires to a route, as API Gateway would."""

    def __init__(self, stack: Stack):
        self.stack = stack

    def __call__(
        self,
        method: str,
        path: str,
        user: str | None,
        body: Any = None,
        query: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        request_id: str | None = None,
    ) -> Answer:
        matched = self.stack.match(method, path.split("?")[0])
        assert matched, f"template.yaml has no route {method} {path}"
        route, params = matched
        claims = None
        if user is not None:
            claims = {"sub": user, "token_use": "id"}
            if user == PLATFORM_ADMIN:
                claims["cognito:groups"] = "platform-admins"
        event = api_event(
            method,
            route.path,
            path,
            claims=claims,
            body=body,
            query=query,
            headers=headers,
            path_parameters=params,
            request_id=request_id,
        )
        handler = self.handler(route.function)
        response = handler(event, LambdaContext(route.function))
        raw = response.get("body")
        multi = {k: v[0] for k, v in (response.get("multiValueHeaders") or {}).items() if v}
        answered = {**multi, **(response.get("headers") or {})}
        text = "json" not in answered.get("Content-Type", "application/json")  # CSV, say: kept as sent
        return Answer(response["statusCode"], (raw if text else json.loads(raw)) if raw else None, answered)

    def handler(self, function: str) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
        """The function's handler; its AWS calls are made as the function's (local.acting)."""
        module, name = self.stack.functions[function].handler.rsplit(".", 1)
        return invoked(function, getattr(importlib.import_module(module), name))


class Queues:
    """Runs a queue's messages through the function template.yaml wires to it, as Lambda's poller would."""

    def __init__(self, stack: Stack, api: Api):
        self.stack = stack
        self.api = api

    def url(self, logical_id: str) -> str:
        with acting_as(None):
            return _sqs().get_queue_url(QueueName=self.stack.physical_name(logical_id))["QueueUrl"]

    def drain(self, logical_id: str, rounds: int = 10) -> list[dict[str, Any]]:
        """Deliver every message, deleting those the handler did not report as failed; answers the responses."""
        sqs = _sqs()
        source = next(s for s in self.stack.queue_sources if s.queue == logical_id)
        handler = self.api.handler(source.function)
        responses = []
        for _ in range(rounds):
            with acting_as(None):  # Lambda's poller, not the function
                messages = sqs.receive_message(
                    QueueUrl=self.url(logical_id), MaxNumberOfMessages=source.batch_size, AttributeNames=["All"]
                ).get("Messages", [])
            if not messages:
                break
            response = handler(
                sqs_event(self.stack.physical_name(logical_id), messages), LambdaContext(source.function)
            )
            failed = {f["itemIdentifier"] for f in response.get("batchItemFailures", [])}
            with acting_as(None):
                for m in messages:
                    if m["MessageId"] not in failed:
                        sqs.delete_message(QueueUrl=self.url(logical_id), ReceiptHandle=m["ReceiptHandle"])
                    else:
                        sqs.change_message_visibility(
                            QueueUrl=self.url(logical_id), ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=0
                        )
            responses.append(response)
        return responses

    def peek(self, logical_id: str) -> list[dict[str, Any]]:
        """The bodies waiting on a queue, left there."""
        sqs = _sqs()
        with acting_as(None):
            messages = sqs.receive_message(QueueUrl=self.url(logical_id), MaxNumberOfMessages=10, VisibilityTimeout=0)
        return [json.loads(m["Body"]) for m in messages.get("Messages", [])]


class Builder:
    """Makes companies, users, projects and directory entries through the Directory API."""

    def __init__(self, api: Api):
        self.api = api

    def company(self, name: str, admin: str, **options: Any) -> str:
        company = self.api("POST", "/companies", PLATFORM_ADMIN, {"name": name, **options})
        assert company.status == 201, company.body
        self.user(company.body["id"], admin, admin=True)
        return str(company.body["id"])

    def user(self, company_id: str, user_id: str, admin: bool = False) -> None:
        answer = self.api(
            "PUT",
            f"/companies/{company_id}/users/{user_id}",
            PLATFORM_ADMIN,
            {"email": f"{user_id}@example.com", "name": user_id, "is_company_admin": admin},
        )
        assert answer.status in (200, 201), answer.body

    def project(self, company_id: str, name: str, by: str) -> str:
        answer = self.api("POST", f"/companies/{company_id}/projects", by, {"name": name})
        assert answer.status == 201, answer.body
        return str(answer.body["id"])

    def member(self, project_id: str, user_id: str, by: str, cm: str = "none", drawings: str = "none") -> None:
        answer = self.api(
            "PUT",
            f"/projects/{project_id}/directory/{user_id}",
            by,
            {"permissions": {"connection_manager": cm, "drawings": drawings}},
        )
        assert answer.status == 200, answer.body


PDF = b"%PDF-1.7\n" + b"0" * 2048 + b"\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 512


@dataclass
class DrawingsWorld:
    """One project with a Drawings admin, a standard user, a read-only user and a member without Drawings."""

    api: Api
    company_id: str
    project_id: str
    uploader: str = "dr-std"
    admin: str = "dr-admin"

    def upload(
        self, data: bytes = PDF, content_type: str = "application/pdf", user: str | None = None, size: int | None = None
    ) -> str:
        """Ask for an upload and PUT the bytes to its presigned URL, as a client would."""
        import requests

        answer = self.api(
            "POST",
            f"/projects/{self.project_id}/drawing-uploads",
            user or self.uploader,
            {"filename": "sheet.pdf", "content_type": content_type, "size": size or len(data)},
        )
        assert answer.status == 201, answer.body
        put = requests.put(answer.body["url"], data=data, headers=answer.body["headers"], timeout=10)
        assert put.status_code == 200, put.text
        return str(answer.body["upload_id"])

    def revision(self, number: str = "A-101", user: str | None = None, data: bytes = PDF, **fields: Any) -> Answer:
        body = {
            "upload_id": self.upload(data),
            "number": number,
            "title": fields.pop("title", f"Plan {number}"),
            "revision_number": fields.pop("revision_number", "1"),
            "discipline": fields.pop("discipline", {"name": "Architectural", "position": 1}),
            **fields,
        }
        return self.api("POST", f"/projects/{self.project_id}/drawing-revisions", user or self.uploader, body)

    def publish(self, *revision_ids: str, user: str | None = None) -> Answer:
        return self.api(
            "POST",
            f"/projects/{self.project_id}/drawing-revisions/publish",
            user or self.admin,
            {"revision_ids": list(revision_ids)},
        )

    def published(self, number: str = "A-101", **fields: Any) -> dict[str, Any]:
        revision = self.revision(number, **fields)
        assert revision.status == 201, revision.body
        assert self.publish(revision.body["id"]).status == 200
        return dict(revision.body)

    @property
    def bucket(self) -> str:
        from connectability.storage import bucket_name

        return bucket_name(self.company_id)

    def manifest(self, revision_id: str) -> dict[str, Any]:
        import boto3

        key = f"manifests/{self.project_id}/{revision_id}.json"
        return dict(json.loads(boto3.client("s3").get_object(Bucket=self.bucket, Key=key)["Body"].read()))

    def manifest_versions(self, revision_id: str) -> list[int]:
        """Every version of a revision's manifest ever written, oldest first (the bucket is versioned)."""
        import boto3

        s3 = boto3.client("s3")
        key = f"manifests/{self.project_id}/{revision_id}.json"
        listed = s3.list_object_versions(Bucket=self.bucket, Prefix=key).get("Versions", [])
        bodies = [
            json.loads(s3.get_object(Bucket=self.bucket, Key=key, VersionId=v["VersionId"])["Body"].read())
            for v in sorted(listed, key=lambda v: v["LastModified"])
        ]
        return sorted(b["version"] for b in bodies)


SYNC_QUEUES = (
    "ManifestsDueQueue",
    "SyncEventsQueue",
    "InitialSyncPagesQueue",
    "ReconcilePagesQueue",
    "CopyJobsQueue",
    "DigestChecksQueue",
    "NotificationsQueue",
)


class Pipeline:
    """The sync pipeline on moto: publish → manifest event → fan-out → copy jobs → copies → notifications."""

    def __init__(self, queues: Queues):
        self.queues = queues

    def waiting(self, logical_id: str) -> int:
        with acting_as(None):
            attrs = _sqs().get_queue_attributes(QueueUrl=self.queues.url(logical_id), AttributeNames=["All"])
        keys = (
            "ApproximateNumberOfMessages",
            "ApproximateNumberOfMessagesNotVisible",
            "ApproximateNumberOfMessagesDelayed",
        )
        return sum(int(attrs["Attributes"][k]) for k in keys)

    def run(self, timeout: float = 120.0) -> None:
        """Deliver until every queue is empty, delayed digest checks included. The deadline only bounds a
        pipeline that never empties (it returns as soon as it is empty): a loaded machine is slow, not wrong."""
        import time

        deadline = time.monotonic() + timeout
        while True:
            for logical_id in SYNC_QUEUES:
                self.queues.drain(logical_id, rounds=100)
            left = {q: n for q in SYNC_QUEUES if (n := self.waiting(q))}
            if not left:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"the sync pipeline did not settle in {timeout:.0f} s; messages left: {left}")
            time.sleep(0.2)

    def take(self, logical_id: str) -> list[dict[str, Any]]:
        """Remove every message now visible on a queue and answer them (to deliver by hand, or lose)."""
        sqs, url = _sqs(), self.queues.url(logical_id)
        with acting_as(None):
            return self._take(sqs, url)

    @staticmethod
    def _take(sqs: Any, url: str) -> list[dict[str, Any]]:
        taken: list[dict[str, Any]] = []
        while True:
            batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"]).get(
                "Messages", []
            )
            if not batch:
                return taken
            for message in batch:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            taken += batch

    def deliver(self, logical_id: str, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Hand these messages to the queue's function one at a time, as its poller would; answers responses."""
        source = next(s for s in self.queues.stack.queue_sources if s.queue == logical_id)
        handler = self.queues.api.handler(source.function)
        name = self.queues.stack.physical_name(logical_id)
        return [handler(sqs_event(name, [m]), LambdaContext(source.function)) for m in messages]

    def deliver_batch(self, logical_id: str, messages: list[dict[str, Any]]) -> dict[str, Any]:
        """Hand these messages to the queue's function in one batch; answers its response."""
        source = next(s for s in self.queues.stack.queue_sources if s.queue == logical_id)
        handler = self.queues.api.handler(source.function)
        event = sqs_event(self.queues.stack.physical_name(logical_id), messages)
        return dict(handler(event, LambdaContext(source.function)))

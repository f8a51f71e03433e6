"""Handlers on moto: every resource made from template.yaml, events shaped as API Gateway sends them."""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from moto import mock_aws

from connectability.aws import reset_clients
from connectability.config import get_settings
from local.events import LambdaContext, api_event
from local.template import Stack, create_resources, load
from tests.iam.record import acting_as, invoked

PLATFORM_ADMIN = "platform-admin"


@dataclass
class Answer:
    status: int
    body: Any
    headers: dict[str, str]

    @property
    def error(self) -> dict[str, Any]:
        return self.body["error"]


@pytest.fixture(scope="session")
def stack() -> Stack:
    return load()


@pytest.fixture
def aws(stack: Stack) -> Iterator[None]:
    """A fresh moto account holding every table, queue and bucket of the template."""
    get_settings.cache_clear()
    reset_clients()
    with mock_aws():
        create_resources(stack)
        yield
    reset_clients()


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
        """The function's handler; its AWS calls are recorded as the function's (tests/iam)."""
        module, name = self.stack.functions[function].handler.rsplit(".", 1)
        return invoked(function, getattr(importlib.import_module(module), name))


@pytest.fixture
def api(aws: None, stack: Stack) -> Api:
    return Api(stack)


@dataclass
class Directory:
    """A small world: one company with an admin and a project, for tests that need a starting point."""

    company_id: str
    project_id: str
    admin: str


@pytest.fixture
def world(api: Api) -> Directory:
    company = api("POST", "/companies", PLATFORM_ADMIN, {"name": "Apex Builders"}).body
    api(
        "PUT",
        f"/companies/{company['id']}/users/admin",
        PLATFORM_ADMIN,
        {"email": "admin@apex.example", "name": "Ada Admin", "is_company_admin": True},
    )
    project = api("POST", f"/companies/{company['id']}/projects", "admin", {"name": "Harbor Tower"}).body
    return Directory(company["id"], project["id"], "admin")


class Queues:
    """Runs a queue's messages through the function template.yaml wires to it, as Lambda's poller would."""

    def __init__(self, stack: Stack, api: Api):
        self.stack = stack
        self.api = api

    def url(self, logical_id: str) -> str:
        import boto3

        with acting_as(None):
            return boto3.client("sqs").get_queue_url(QueueName=self.stack.physical_name(logical_id))["QueueUrl"]

    def drain(self, logical_id: str, rounds: int = 10) -> list[dict[str, Any]]:
        """Deliver every message, deleting those the handler did not report as failed; answers the responses."""
        import boto3

        from local.events import sqs_event

        sqs = boto3.client("sqs")
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
        import boto3

        sqs = boto3.client("sqs")
        with acting_as(None):
            messages = sqs.receive_message(QueueUrl=self.url(logical_id), MaxNumberOfMessages=10, VisibilityTimeout=0)
        return [json.loads(m["Body"]) for m in messages.get("Messages", [])]


@pytest.fixture
def queues(api: Api, stack: Stack) -> Queues:
    return Queues(stack, api)


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


@dataclass
class Connected:
    """Two companies ready to connect: Apex (general contractor, upstream) and Volt (subcontractor, downstream).

    `req` is a user of both companies: CM admin of Volt's project and Drawings read_only on Apex's (R07).
    """

    build: Builder
    apex: str
    volt: str
    up: str
    down: str

    def request(self, user: str = "req", down: str | None = None, up: str | None = None) -> Answer:
        return self.build.api(
            "POST", f"/projects/{down or self.down}/connections", user, {"upstream_project_id": up or self.up}
        )

    def downstream_project(self, name: str) -> str:
        """Another Volt project that `req` may connect from."""
        project = self.build.project(self.volt, name, "volt-admin")
        self.build.member(project, "req", "volt-admin", cm="admin", drawings="admin")
        self.build.member(project, "volt-cm", "volt-admin", cm="admin", drawings="admin")
        return project

    def upstream_project(self, name: str) -> str:
        """Another Apex project that `req` may connect to."""
        project = self.build.project(self.apex, name, "apex-admin")
        self.build.member(project, "req", "apex-admin", drawings="read_only")
        self.build.member(project, "apex-cm", "apex-admin", cm="admin", drawings="admin")
        return project


@pytest.fixture
def two(api: Api) -> Connected:
    build = Builder(api)
    apex = build.company("Apex Builders", "apex-admin")
    volt = build.company("Volt Electric", "volt-admin", connected_drawings_beta=True)
    for user in ("apex-cm", "apex-cm2", "apex-reader", "req"):
        build.user(apex, user)
    for user in ("volt-cm", "volt-viewer", "req"):
        build.user(volt, user)
    up = build.project(apex, "Harbor Tower", "apex-admin")
    down = build.project(volt, "Harbor Tower - Electrical", "volt-admin")
    build.member(up, "apex-cm", "apex-admin", cm="admin", drawings="admin")
    build.member(up, "apex-cm2", "apex-admin", cm="admin", drawings="standard")
    build.member(up, "apex-reader", "apex-admin", cm="read_only", drawings="read_only")
    build.member(up, "req", "apex-admin", drawings="read_only")
    build.member(down, "volt-cm", "volt-admin", cm="admin", drawings="admin")
    build.member(down, "volt-viewer", "volt-admin", cm="read_only", drawings="read_only")
    build.member(down, "req", "volt-admin", cm="admin", drawings="standard")
    return Connected(build, apex, volt, up, down)


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


@pytest.fixture
def drawings_world(api: Api) -> DrawingsWorld:
    build = Builder(api)
    company = build.company("Apex Builders", "dr-company-admin")
    for user in ("dr-admin", "dr-admin2", "dr-std", "dr-reader", "dr-none"):
        build.user(company, user)
    project = build.project(company, "Harbor Tower", "dr-company-admin")
    build.member(project, "dr-admin", "dr-company-admin", drawings="admin")
    build.member(project, "dr-admin2", "dr-company-admin", drawings="admin")
    build.member(project, "dr-std", "dr-company-admin", drawings="standard")
    build.member(project, "dr-reader", "dr-company-admin", drawings="read_only")
    build.member(project, "dr-none", "dr-company-admin", cm="admin")
    return DrawingsWorld(api, company, project)


@pytest.fixture
def small_inline_hash(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Treat every file as large: hashing happens in the file check, as for multi-GB drawings."""
    monkeypatch.setenv("INLINE_HASH_MAX_BYTES", "100")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


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
        import boto3

        with acting_as(None):
            attrs = boto3.client("sqs").get_queue_attributes(
                QueueUrl=self.queues.url(logical_id), AttributeNames=["All"]
            )
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
        import boto3

        sqs, url, taken = boto3.client("sqs"), self.queues.url(logical_id), []
        with acting_as(None):
            return self._take(sqs, url, taken)

    @staticmethod
    def _take(sqs: Any, url: str, taken: list[dict[str, Any]]) -> list[dict[str, Any]]:
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
        from local.events import sqs_event

        source = next(s for s in self.queues.stack.queue_sources if s.queue == logical_id)
        handler = self.queues.api.handler(source.function)
        name = self.queues.stack.physical_name(logical_id)
        return [handler(sqs_event(name, [m]), LambdaContext(source.function)) for m in messages]

    def deliver_batch(self, logical_id: str, messages: list[dict[str, Any]]) -> dict[str, Any]:
        """Hand these messages to the queue's function in one batch; answers its response."""
        from local.events import sqs_event

        source = next(s for s in self.queues.stack.queue_sources if s.queue == logical_id)
        handler = self.queues.api.handler(source.function)
        event = sqs_event(self.queues.stack.physical_name(logical_id), messages)
        return dict(handler(event, LambdaContext(source.function)))


@pytest.fixture
def pipeline(queues: Queues, monkeypatch: pytest.MonkeyPatch) -> Iterator[Pipeline]:
    """The pipeline, with digests of news mailed after one quiet second instead of thirty."""
    monkeypatch.setenv("SYNC_DIGEST_QUIET_SECONDS", "1")
    get_settings.cache_clear()
    yield Pipeline(queues)
    get_settings.cache_clear()


@pytest.fixture
def sync(two: Connected, pipeline: Pipeline) -> Any:
    """Apex (upstream) and Volt (downstream), ready to connect, with the sync pipeline to run."""
    from tests.integration.sync_world import sync_of

    return sync_of(two, pipeline)


class Faults:
    """AWS failing on purpose, at the SDK's edge: every call any botocore client makes passes here.

    `fail(operation, times, code, when)` makes the next `times` calls of `operation` (for which `when(params)`
    holds) fail as AWS would fail them; `calls` counts every call made, by operation.
    """

    def __init__(self) -> None:
        from collections import Counter

        self.calls: Counter[str] = Counter()
        self.rules: list[list[Any]] = []

    def fail(
        self,
        operation: str,
        times: int = 1,
        code: str = "InternalError",
        when: Callable[[dict[str, Any]], bool] | None = None,
    ) -> None:
        self.rules.append([operation, times, code, when])

    def __call__(self, operation: str, params: dict[str, Any]) -> None:
        from botocore.exceptions import ClientError

        self.calls[operation] += 1
        for rule in self.rules:
            name, times, code, when = rule
            if name == operation and times > 0 and (when is None or when(params)):
                rule[1] -= 1
                raise ClientError({"Error": {"Code": code, "Message": f"injected {code}"}}, operation)


@pytest.fixture
def faults(monkeypatch: pytest.MonkeyPatch) -> Faults:
    import botocore.client

    injected = Faults()
    real = botocore.client.BaseClient._make_api_call

    def call(self: Any, operation: str, params: dict[str, Any]) -> Any:
        injected(operation, params)
        return real(self, operation, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", call)
    return injected


def relay_as_scheduled(now: Any) -> int:
    """The outbox relay's work at `now` (a clock moved on), its calls made as the relay function's (tests/iam)."""
    from connectability.domain import outbox

    with acting_as("OutboxRelayFunction"):
        return outbox.relay_pending(now=now)

"""Records what each function asks of IAM while the tests run it: every AWS call and presigned URL it makes.

A test invokes a function through `invoked(function, handler)` (local.acting; local.world's `Api.handler` does);
while the handler runs, a context variable names the function, and every botocore call (boto3's clients and
PynamoDB's alike) and every presigned URL (not a call, but signed with the function's role) is turned into the
IAM requests it makes (tests/iam/requests.py). Calls made outside a handler, by the tests' own setup and
assertions, are not recorded. The product's thread pools carry the context into their threads.

Each pytest process records its own; tests/iam/plugin.py merges them at the end of the session.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Any

import botocore.client
import botocore.signers
from botocore.exceptions import ClientError

from local.acting import CURRENT, acting_as, follow_threads, invoked
from local.template import ACCOUNT
from tests.iam.requests import Unmapped, requests_of

__all__ = ["CURRENT", "RECORDED", "Recorded", "acting_as", "install", "invoked"]


def _test_id() -> str:
    return os.environ.get("PYTEST_CURRENT_TEST", "?").rsplit(" ", 1)[0]


@dataclass
class Recorded:
    """What the functions asked, each with the first test that asked it (to find where a denial comes from)."""

    # (function, action, resource, why) → test
    requests: dict[tuple[str, str, str, str], str] = field(default_factory=dict)
    # (function, "service:Operation") → test, for operations tests/iam/requests.py does not map yet
    unmapped: dict[tuple[str, str], str] = field(default_factory=dict)
    # (function, bucket, queue ARN) → test: the S3 → SQS notifications a bucket was given
    notifications: dict[tuple[str, str, str], str] = field(default_factory=dict)
    seconds: float = 0.0  # spent recording, every process together

    def dump(self) -> dict[str, Any]:
        return {
            "requests": [[*key, test] for key, test in sorted(self.requests.items())],
            "unmapped": [[*key, test] for key, test in sorted(self.unmapped.items())],
            "notifications": [[*key, test] for key, test in sorted(self.notifications.items())],
            "seconds": self.seconds,
        }

    def merge(self, dumped: dict[str, Any]) -> None:
        self.seconds += float(dumped.get("seconds", 0.0))
        for name, target in (
            ("requests", self.requests),
            ("unmapped", self.unmapped),
            ("notifications", self.notifications),
        ):
            for *key, test in dumped.get(name, []):
                target.setdefault(tuple(key), test)  # type: ignore[arg-type]


RECORDED = Recorded()


def record(
    function: str, service: str, operation: str, params: dict[str, Any], region: str, error: str | None, why: str = ""
) -> None:
    begun = time.perf_counter()
    try:
        _record(function, service, operation, params, region, error, why)
    finally:
        RECORDED.seconds += time.perf_counter() - begun


def _record(
    function: str, service: str, operation: str, params: dict[str, Any], region: str, error: str | None, why: str
) -> None:
    test = _test_id()
    try:
        found = requests_of(service, operation, params, region, ACCOUNT, error)
    except Unmapped as exc:
        RECORDED.unmapped.setdefault((function, f"{service}:{operation} ({exc})"), test)
        return
    for request in found:
        reason = "; ".join(r for r in (why, request.why) if r)
        RECORDED.requests.setdefault((function, request.action, request.resource, reason), test)
    if (service, operation) == ("s3", "PutBucketNotificationConfiguration"):
        for queue in params["NotificationConfiguration"].get("QueueConfigurations", []):
            RECORDED.notifications.setdefault((function, params["Bucket"], queue["QueueArn"]), test)


_installed = False


def install() -> None:
    """Hook botocore's calls and presigned URLs, and make thread pools carry the caller's context."""
    global _installed
    if _installed:
        return
    _installed = True
    real_call = botocore.client.BaseClient._make_api_call  # type: ignore[attr-defined]

    def make_api_call(client: Any, operation: str, params: dict[str, Any]) -> Any:
        function = CURRENT.get()
        if function is None:
            return real_call(client, operation, params)
        error = None
        try:
            return real_call(client, operation, params)
        except ClientError as exc:
            error = str(exc.response.get("Error", {}).get("Code", ""))
            raise
        finally:
            service = client.meta.service_model.service_name
            record(function, service, operation, params, client.meta.region_name, error)

    botocore.client.BaseClient._make_api_call = make_api_call  # type: ignore[attr-defined]

    real_presign = botocore.signers.generate_presigned_url

    def generate_presigned_url(self: Any, ClientMethod: str, Params: Any = None, **kwargs: Any) -> Any:  # noqa: N803
        function = CURRENT.get()
        if function is not None:
            operation = self._PY_TO_OP_NAME[ClientMethod]
            service = self.meta.service_model.service_name
            record(function, service, operation, dict(Params or {}), self.meta.region_name, None, "a presigned URL")
        return real_presign(self, ClientMethod, Params, **kwargs)

    # Client classes take the function when they are made (botocore's creating-client-class event).
    botocore.signers.generate_presigned_url = generate_presigned_url

    follow_threads()

"""AWS clients: one botocore session per process, each client made on first use and kept for the environment's life.

One session for every client, PynamoDB's included (connectability.db.base hands it to PynamoDB): a session reads
and parses botocore's endpoint and service data (endpoints.json alone is about a megabyte of JSON) when it makes
its first client, and PynamoDB otherwise makes a session of its own for every model and low-level connection.
Clients come from botocore directly: boto3's wrapper adds only resources and S3's transfer methods, neither used.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from functools import cache
from typing import TYPE_CHECKING, Any, TypeVar, cast

from botocore.config import Config
from botocore.session import Session

from connectability.config import get_settings

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_ses import SESClient
    from mypy_boto3_sqs import SQSClient


class _OneAtATime(Session):
    """A session that makes one client at a time: threads (manifests' writers) may ask at once, and botocore's
    client creation is not thread-safe."""

    _creating = threading.Lock()

    def create_client(self, *args: Any, **kwargs: Any) -> Any:
        with self._creating:
            return super().create_client(*args, **kwargs)


@cache
def session() -> Session:
    """The process's one botocore session."""
    return _OneAtATime()


@cache
def s3() -> S3Client:
    """SigV4 for presigned URLs; path-style addressing only where an emulator stands in for S3."""
    config = Config(
        signature_version="s3v4",
        s3={"addressing_style": "path" if get_settings().aws_endpoint_url else "virtual"},
        max_pool_connections=AT_ONCE,  # botocore keeps 10: the rest of a wave would each open a connection anew
    )
    return cast("S3Client", session().create_client("s3", config=config))


@cache
def sqs() -> SQSClient:
    return cast("SQSClient", session().create_client("sqs"))


@cache
def ses() -> SESClient:
    return cast("SESClient", session().create_client("ses"))


@cache
def events() -> Any:
    """EventBridge: the stack's bus of events for integrators (R44)."""
    return session().create_client("events")


@cache
def dynamodb() -> DynamoDBClient:
    """Powertools idempotency's client (PynamoDB makes its own from the same session)."""
    return cast("DynamoDBClient", session().create_client("dynamodb"))


T = TypeVar("T")
AT_ONCE = 32  # calls in flight at most; every client's connection pool holds as many


def together(*calls: Callable[[], Any]) -> list[Any]:
    """Make independent calls at once (AT_ONCE at most), in threads: the request waits for the slowest of them, not
    for each in turn. Every call runs to its end; then the error of the first (as given) that failed is raised."""
    if len(calls) < 2:
        return [call() for call in calls]
    with ThreadPoolExecutor(min(len(calls), AT_ONCE)) as pool:
        futures = [pool.submit(call) for call in calls]
    return [future.result() for future in futures]


@contextmanager
def meanwhile(call: Callable[[], T]) -> Iterator[Future[T]]:
    """Make `call` in a thread of its own while the block runs; its answer is the future's result. Leaving the
    block waits for it."""
    with ThreadPoolExecutor(1) as pool:
        yield pool.submit(call)


def reset_clients() -> None:
    """Forget the session and cached clients (tests switch between moto in-process and moto's server)."""
    for factory in (session, s3, sqs, ses, events, dynamodb):
        factory.cache_clear()

"""AWS clients: one botocore session per process, each client made on first use and kept for the environment's life.

One session for every client, PynamoDB's included (connectability.db.base hands it to PynamoDB): a session reads
and parses botocore's endpoint and service data (endpoints.json alone is about a megabyte of JSON) when it makes
its first client, and PynamoDB otherwise makes a session of its own for every model and low-level connection.
Clients come from botocore directly: boto3's wrapper adds only resources and S3's transfer methods, neither used.

Under Lambda SnapStart (connectability.runtime) the clients are made before the snapshot (`prepare`), and every
restored execution environment gets its own connections and credentials (`renew`): the session knows every client
it made, and gives them credentials resolved on first use in the environment that signs with them.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from functools import cache
from typing import TYPE_CHECKING, Any, TypeVar, cast

from botocore.config import Config
from botocore.credentials import Credentials, ReadOnlyCredentials
from botocore.session import Session

from connectability import runtime
from connectability.config import get_settings

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_ses import SESClient
    from mypy_boto3_sqs import SQSClient


class _EnvironmentCredentials(Credentials):
    """The credentials every client of the session signs with, resolved by botocore's chain (the environment's
    variables; or the container endpoint, which Lambda gives a SnapStart function) on first use, and again after
    `forget()`. Refreshable ones refresh themselves, as botocore's do. The rest of their fields (access_key,
    token, account_id, ...) are the resolved credentials'."""

    method = "connectability"  # read when a client is made: a fixed answer, so that resolving waits for a call

    def __init__(self, session: Session) -> None:  # not Credentials' own: nothing is known before the first use
        self._session = session
        self._lock = threading.Lock()
        self._resolved: Credentials | None = None
        self._known = False

    def _current(self) -> Credentials | None:
        with self._lock:
            if not self._known:
                self._resolved = self._session.get_component("credential_provider").load_credentials()
                self._known = True
            return self._resolved

    def forget(self) -> None:
        with self._lock:
            self._resolved, self._known = None, False

    def get_frozen_credentials(self) -> ReadOnlyCredentials | None:  # type: ignore[override]
        current = self._current()
        return current.get_frozen_credentials() if current else None  # None: botocore raises NoCredentialsError

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._current(), name, None)


class _OneSession(Session):
    """The process's session: it makes one client at a time (threads, manifests' writers, may ask at once, and
    botocore's client creation is not thread-safe), remembers every client it made, and gives them all the one
    `_EnvironmentCredentials`."""

    _creating = threading.Lock()

    def __init__(self) -> None:
        super().__init__()
        self.credentials = _EnvironmentCredentials(self)
        self.clients: weakref.WeakSet[Any] = weakref.WeakSet()

    def get_credentials(self) -> Credentials:
        return self.credentials

    def create_client(self, *args: Any, **kwargs: Any) -> Any:
        with self._creating:
            client = super().create_client(*args, **kwargs)
        self.clients.add(client)
        return client


@cache
def session() -> _OneSession:
    """The process's one botocore session."""
    return _OneSession()


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


@runtime.before_snapshot
def prepare() -> None:
    """Before a SnapStart snapshot: the settings read and every client made (their service models parsed, their
    classes built), so that no restored environment does it again. No call is made: nothing is connected, and
    no credentials are resolved."""
    for client in (s3, sqs, ses, events, dynamodb):
        client()


@runtime.after_restore
def renew() -> None:
    """After a restore: what the snapshot holds must not serve two environments. Every client the session made
    (PynamoDB's too) drops its pooled connections, so it opens its own; their credentials are resolved again on
    first use, here."""
    made = session()
    for client in list(made.clients):
        client.close()  # botocore: the connection pools are emptied; the client stays usable
    made.credentials.forget()


def reset_clients() -> None:
    """Forget the session and cached clients (tests switch between moto in-process and moto's server)."""
    for factory in (session, s3, sqs, ses, events, dynamodb):
        factory.cache_clear()

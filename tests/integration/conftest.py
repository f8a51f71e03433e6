"""Handlers on moto: the world of local.world (every resource made from template.yaml, events shaped as AWS sends
them) as fixtures, and the small worlds the tests start from."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from moto import mock_aws

from connectability.aws import reset_clients
from connectability.config import get_settings
from local.acting import acting_as
from local.template import Stack, create_resources, load
from local.world import PLATFORM_ADMIN, Answer, Api, Builder, DrawingsWorld, Pipeline, Queues
from tests.integration.bus_world import Bus, validate


@pytest.fixture(scope="session")
def stack() -> Stack:
    return load()


@pytest.fixture
def aws(stack: Stack) -> Iterator[Bus]:
    """A fresh moto account holding every table, queue and bucket of the template; and a log of its event bus:
    every event a test makes is held to its JSON Schema when the test ends (R44)."""
    get_settings.cache_clear()
    reset_clients()
    with mock_aws():
        create_resources(stack)
        bus = Bus(stack)
        yield bus
        for event in bus.events():
            validate(event["detail"])
    reset_clients()


@pytest.fixture
def bus(aws: Bus) -> Bus:
    """What the stack's event bus carried in this test, read as a consumer would."""
    return aws


@pytest.fixture
def api(aws: Bus, stack: Stack) -> Api:
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


@pytest.fixture
def queues(api: Api, stack: Stack) -> Queues:
    return Queues(stack, api)


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

"""The local stack: moto's server, the gateway, queue pollers and schedules, all wired from template.yaml.

Handlers run in execution environments of their own, side by side (local/workers.py), each with the environment
the template gives its function, pointed at moto by AWS_ENDPOINT_URL. A few variables are local-only overrides
(see `LOCAL_ENVIRONMENT`).
"""

from __future__ import annotations

import json
import logging
import os
import socket
import sys
import threading
import time
import warnings
from pathlib import Path
from typing import Any

import boto3
from pydantic import ValidationError

from local import seed as seeding
from local.gateway import Gateway, error_body
from local.integrations import BusLog, webhook_deliveries
from local.invoke import CannotImport, Runner
from local.metrics import MetricsSink
from local.pollers import QueuePoller, ScheduleRunner, rate_seconds, scheduled_event
from local.presigned import PresignedChecks
from local.sheets import publish_sheets
from local.template import REGION, TEMPLATE, Stack, create_resources, load
from local.tokens import LIFETIME_SECONDS, PLATFORM_ADMIN, TokenIssuer
from local.web import Web
from local.workers import Workers, recipes_of

# Local-only overrides, never in template.yaml: fake credentials that moto accepts, and no X-Ray daemon to send
# traces to. Metrics are written as in Lambda and kept for GET /_local/metrics (local/metrics.py).
LOCAL_ENVIRONMENT = {
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_DISABLED": "false",
    # A digest of news is mailed once none came for this long: 30 s in AWS, a few seconds here.
    "SYNC_DIGEST_QUIET_SECONDS": "2",
    # Webhooks may reach a receiver on this machine over plain http (never in AWS): the README's walk-through.
    "WEBHOOK_ALLOW_LOOPBACK": "true",
}
SETTLE_TIMEOUT_SECONDS = 60.0
CONCURRENCY = 4  # invocations of one function at once, at most (below its reserved concurrency, if lower)


class CannotStart(RuntimeError):
    """The stack cannot serve; the message is the one line that says why."""


class PortInUse(CannotStart):
    pass


def check_port_free(host: str, port: int) -> None:
    """Fail fast: moto's server waits for ever when its port is taken.

    The probe reuses the address like both servers do, so connections of a stopped stack still in TIME_WAIT
    do not count as in use; a socket still listening there does."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise PortInUse(f"{host}:{port} is in use ({exc.strerror}); pick another port") from exc


class LocalStack:
    def __init__(
        self,
        api_port: int = 3000,
        aws_port: int = 5000,
        host: str = "127.0.0.1",
        template: Path = TEMPLATE,
        concurrency: int = CONCURRENCY,
        visibility_scale: float = 1.0,
    ) -> None:
        self.host, self.api_port, self.aws_port = host, api_port, aws_port
        self.endpoint = f"http://127.0.0.1:{aws_port}"
        self.api_url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '') else host}:{api_port}"
        self.stack: Stack = load(template)
        self.concurrency, self.visibility_scale = max(1, concurrency), visibility_scale
        self.tokens = TokenIssuer()
        self._invoker: Runner | None = None
        self._making_invoker = threading.Lock()
        self.emails: dict[str, str] = {}
        self.names: dict[str, str] = {PLATFORM_ADMIN: "Platform admin"}
        self._moto: Any = None
        self._gateway: Gateway | None = None
        self._threads: list[QueuePoller | ScheduleRunner] = []
        self.metrics = MetricsSink(sys.stdout)

    # -- life cycle ------------------------------------------------------------------------------------------
    def start(self) -> None:
        from moto.server import ThreadedMotoServer

        from local import emulator

        emulator.install()
        check_port_free("127.0.0.1", self.aws_port)
        check_port_free(self.host, self.api_port)
        self.add_code_paths()
        self.metrics = MetricsSink(sys.stdout)
        sys.stdout = self.metrics
        # An invocation that publishes no metric is normal here; Powertools would warn about each one.
        warnings.filterwarnings("ignore", message="No application metrics to publish")
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's per-request access log
        import moto.moto_server.werkzeug_app as moto_app

        # moto answers every origin's CORS request by default; S3 answers only a bucket's own CORS rules.
        moto_app.DISABLE_GLOBAL_CORS = True
        self._moto = ThreadedMotoServer(ip_address="127.0.0.1", port=self.aws_port, verbose=False)
        self._moto.start()
        server = self._moto._server  # presigned URLs are checked as S3 checks them (local/presigned.py)
        server.app = PresignedChecks(
            server.app, LOCAL_ENVIRONMENT["AWS_ACCESS_KEY_ID"], LOCAL_ENVIRONMENT["AWS_SECRET_ACCESS_KEY"], REGION
        )
        os.environ.update({**LOCAL_ENVIRONMENT, "AWS_ENDPOINT_URL": self.endpoint})
        os.environ.update(self.stack.environment(self.endpoint))
        # The console is served here, beside the API: mails link to it, company buckets let it fetch and upload.
        os.environ.update({"APP_LINK_BASE": self.api_url, "CONSOLE_ORIGIN": self.api_url})
        self._forget_cached_settings()
        create_resources(self.stack, self.endpoint)
        self.bus_log = BusLog(self._client("sqs"), self._client("events"), self.stack)
        self._warm()
        self._gateway = Gateway(
            self.stack.routes, self.invoker, self.tokens, self.local_api, self.host, self.api_port, Web().answer
        )
        self._gateway.start()
        sqs = self._client("sqs")
        for source in self.stack.queue_sources:
            url = self.stack.queue_url(source.queue, self.endpoint)
            at_once = min(self.caps()[source.function], source.maximum_concurrency or self.concurrency)
            poller = QueuePoller(sqs, source, url, self.invoker.invoke, at_once, self.visibility_scale)
            self._threads.append(poller)
        for schedule in self.stack.schedules:
            seconds = rate_seconds(schedule.expression)
            if seconds is None:
                print(f"not timed: {schedule.function} {schedule.expression!r} (trigger it via /_local/schedules)")
                continue
            self._threads.append(ScheduleRunner(schedule, seconds, self.invoker.invoke))
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        for thread in self._threads:
            thread.stopping.set()
        for thread in self._threads:
            thread.join(timeout=5)
        if self._gateway:
            self._gateway.stop()
        if self._invoker is not None:
            self._invoker.stop()
        if self._moto:
            self._moto.stop()
        if isinstance(sys.stdout, MetricsSink):
            sys.stdout = sys.stdout.out

    def _forget_cached_settings(self) -> None:
        """Settings are read once per process; if anything read them before the environment was set, re-read."""
        config = sys.modules.get("connectability.config")
        if config is not None:
            config.get_settings.cache_clear()
        aws = sys.modules.get("connectability.aws")
        if aws is not None:
            aws.reset_clients()

    def add_code_paths(self) -> None:
        """Put the template's CodeUri and layer directories on sys.path, so no PYTHONPATH is needed."""
        missing = [f"{owner} ({path})" for owner, path in self.stack.code_paths() if not path.is_dir()]
        if missing:
            raise CannotStart(f"code of {', '.join(missing)} is not a directory; check CodeUri/ContentUri")
        known = {Path(p).resolve() for p in sys.path if p}
        sys.path[0:0] = [str(path) for _, path in self.stack.code_paths() if path not in known]

    # -- the functions ---------------------------------------------------------------------------------------
    @property
    def invoker(self) -> Runner:
        """What runs the functions: execution environments side by side, made on first use (the latency bench
        sets the in-process Invoker instead)."""
        with self._making_invoker:  # two first calls at once must not make two sets of environments
            if self._invoker is None:
                self.add_code_paths()
                local = {**LOCAL_ENVIRONMENT, "AWS_ENDPOINT_URL": self.endpoint}
                overrides = {**local, "APP_LINK_BASE": self.api_url, "CONSOLE_ORIGIN": self.api_url}
                self._invoker = Workers(recipes_of(self.stack, self.endpoint, overrides), self.caps())
            return self._invoker

    @invoker.setter
    def invoker(self, invoker: Runner) -> None:
        self._invoker = invoker

    def caps(self) -> dict[str, int]:
        """Invocations of each function at once, at most: its reserved concurrency or the local cap, the lower."""
        return {
            name: max(1, min(f.reserved_concurrency or self.concurrency, self.concurrency))
            for name, f in self.stack.functions.items()
        }

    def runtime_lines(self) -> list[str]:
        """How the functions run, for the start's output: at once, and when a failed message comes back."""
        caps = self.caps()
        lines = [
            f"Functions: each invocation in an execution environment of its own, up to {self.concurrency} of one "
            "function at once" + "".join(f"; {n}: {caps[n]} (reserved)" for n in caps if caps[n] < self.concurrency)
        ]
        if self.visibility_scale >= 1:
            lines.append("Failed SQS messages come back when their queue's visibility timeout ends (template.yaml)")
            return lines
        scaled = []
        for queue in self.work_queues():
            props = self.stack.resources[queue].get("Properties") or {}
            seconds = int(props.get("VisibilityTimeout", 30))
            scaled.append(f"{self.stack.physical_name(queue)} {seconds} s -> {seconds * self.visibility_scale:g} s")
        lines.append(
            f"Failed SQS messages come back after {self.visibility_scale:g} of their queue's visibility timeout: "
            + ", ".join(scaled)
        )
        return lines

    def _warm(self) -> None:
        """Every handler imports (the environments themselves are made on first use): a function that does not
        import stops the start, rather than a stack that says it is ready and answers 502."""
        try:
            self.invoker.warm()
        except CannotImport as exc:
            raise CannotStart(str(exc)) from exc

    def _client(self, service: str) -> Any:
        return boto3.client(service, region_name=REGION, endpoint_url=self.endpoint)  # type: ignore[call-overload]

    # -- what /_local offers ---------------------------------------------------------------------------------
    def token(self, user_id: str, expires_in: int | None = None) -> str:
        lifetime = LIFETIME_SECONDS if expires_in is None else min(expires_in, LIFETIME_SECONDS)
        email = self.emails.get(user_id)
        if email is None:  # a user added through the API: the email their companies know
            email = next((u["email"] for u in self.directory_users() if u["user_id"] == user_id), None)
        return self.tokens.issue(user_id, email=email, expires_in=lifetime)

    def directory_users(self) -> list[dict[str, Any]]:
        """Every user of every company, as the table holds them now (seeded or added through the API), with the
        names of their companies; the built-in platform admin first. For the console's sign-in on this stack."""
        dynamodb = self._client("dynamodb")
        table = self.stack.physical_name("AppTable")
        companies: dict[str, str] = {}
        users: dict[str, dict[str, Any]] = {}
        for page in dynamodb.get_paginator("scan").paginate(
            TableName=table,
            FilterExpression="begins_with(pk, :company)",
            ExpressionAttributeValues={":company": {"S": "COMPANY#"}},
        ):
            for item in page["Items"]:
                if item["sk"]["S"] == "COMPANY":
                    companies[item["pk"]["S"]] = item.get("name", {}).get("S", "")
                elif item["sk"]["S"].startswith("USER#"):
                    user_id = item["user_id"]["S"]
                    user = users.setdefault(
                        user_id, {"user_id": user_id, "name": item["name"]["S"], "email": item["email"]["S"], "pks": []}
                    )
                    user["pks"].append(item["pk"]["S"])
        listed = [
            {
                "user_id": u["user_id"],
                "name": u["name"],
                "email": u["email"],
                "companies": sorted(companies.get(pk, "") for pk in u["pks"]),
            }
            for u in sorted(users.values(), key=lambda u: (u["name"].casefold(), u["user_id"]))
        ]
        admin: dict[str, Any] = {
            "user_id": PLATFORM_ADMIN,
            "name": self.names[PLATFORM_ADMIN],
            "email": None,
            "companies": [],
        }
        return [admin, *listed]

    def seed(self, fixture: dict[str, Any]) -> dict[str, Any]:
        """Apply a fixture (companies named apart from the ones already here), then publish its drawings through
        the API as their projects' Drawings admins would."""
        taken = {c.casefold() for u in self.directory_users() for c in u["companies"]} | self._company_names()
        answer = seeding.apply(fixture, taken)
        self.emails.update(seeding.emails(fixture))
        self.names.update(seeding.names(fixture))
        published: dict[str, list[str]] = {}
        for project_id, publisher, project, company, sheets in seeding.drawings_to_publish(fixture, answer):
            rows = [(s.number, s.title, s.discipline, s.area) for s in sheets]
            published[project_id] = publish_sheets(
                self.api_url, self.token(publisher), project_id, rows, project=project, company=company
            )
        answer["published"] = published
        return answer

    def _company_names(self) -> set[str]:
        """Every company's name here (casefolded), users or not."""
        dynamodb = self._client("dynamodb")
        names: set[str] = set()
        for page in dynamodb.get_paginator("scan").paginate(
            TableName=self.stack.physical_name("AppTable"),
            FilterExpression="begins_with(pk, :company) AND sk = :company_sk",
            ExpressionAttributeValues={":company": {"S": "COMPANY#"}, ":company_sk": {"S": "COMPANY"}},
        ):
            names |= {item["name"]["S"].casefold() for item in page["Items"] if "name" in item}
        return names

    def settle(self, timeout: float = SETTLE_TIMEOUT_SECONDS) -> dict[str, Any]:
        """Wait until every (non-DLQ) queue is empty and no handler runs, twice in a row to let hand-offs land.

        Delayed messages count as work: a digest of news waits on its queue for the quiet period, and whoever
        settles and then reads the outbox expects its mail there."""
        started = time.monotonic()
        sqs = self._client("sqs")
        urls = [self.stack.queue_url(q, self.endpoint) for q in self.work_queues()]
        quiet = 0
        while time.monotonic() - started < timeout:
            quiet = quiet + 1 if self._idle(sqs, urls) else 0
            if quiet >= 2:
                return {"settled": True, "seconds": round(time.monotonic() - started, 3)}
            time.sleep(0.1)
        return {"settled": False, "seconds": round(time.monotonic() - started, 3)}

    def _idle(self, sqs: Any, urls: list[str]) -> bool:
        if self.invoker.in_flight:
            return False
        for url in urls:
            attrs = sqs.get_queue_attributes(
                QueueUrl=url,
                AttributeNames=[
                    "ApproximateNumberOfMessages",
                    "ApproximateNumberOfMessagesNotVisible",
                    "ApproximateNumberOfMessagesDelayed",
                ],
            )["Attributes"]
            if sum(int(v) for v in attrs.values()):
                return False
        return True

    def work_queues(self) -> list[str]:
        """Queues that a function of the template drains (a queue nobody consumes yet cannot be waited for)."""
        return sorted({source.queue for source in self.stack.queue_sources})

    def outbox(self) -> list[Any]:
        """The notification log, once the domain has one (connectability.domain.notifications.outbox)."""
        try:
            from connectability.domain import notifications  # type: ignore[attr-defined, unused-ignore]
        except ImportError:
            return []
        outbox = getattr(notifications, "outbox", None)
        items = list(outbox()) if callable(outbox) else []
        return [i.model_dump(mode="json") if hasattr(i, "model_dump") else i for i in items]

    def run_schedule(self, function: str) -> Any:
        return self.invoker.invoke(function, scheduled_event(function))

    def local_api(self, method: str, path: str, body: bytes) -> tuple[int, Any]:
        """/_local: tokens, seed, outbox, settle; routes, users (for the console's sign-in), functions, schedules."""
        try:
            data = json.loads(body) if body.strip() else {}
        except ValueError:
            return 400, error_body("malformed_json", "The body is not valid JSON; send a JSON object.")
        if not isinstance(data, dict):
            return 422, error_body("validation_error", "Send a JSON object.")
        if (method, path) == ("POST", "/_local/tokens"):
            user_id, expires_in = data.get("user_id"), data.get("expires_in")
            if not isinstance(user_id, str) or not user_id or not isinstance(expires_in, int | None):
                details = [{"field": "user_id", "message": "a non-empty string is required"}]
                return 422, error_body("validation_error", "Send {user_id, expires_in?}.", details)
            return 200, {"token": self.token(user_id, expires_in)}
        if (method, path) == ("POST", "/_local/seed"):
            if not data:
                return 422, error_body(
                    "validation_error",
                    'The body is empty: send a directory fixture (format in local/seed.py) or {"demo": true}.',
                )
            if data == {"demo": True}:
                data = seeding.demo()
            try:
                return 201, self.seed(data)
            except ValidationError as exc:
                details = [{"field": ".".join(map(str, e["loc"])), "message": e["msg"]} for e in exc.errors()]
                return 422, error_body("validation_error", "The fixture is invalid.", details)
            except seeding.FixtureError as exc:
                return 422, error_body("validation_error", str(exc))
            except Exception as exc:
                if hasattr(exc, "body") and hasattr(exc, "status"):  # a domain error: its own status and shape
                    return int(exc.status), exc.body()
                raise
        if (method, path) == ("GET", "/_local/functions"):
            return 200, {"items": self.invoker.ledger.report()}
        if (method, path) == ("GET", "/_local/metrics"):
            return 200, {"totals": self.metrics.totals(), "items": list(self.metrics.items)}
        if (method, path) == ("GET", "/_local/users"):
            return 200, {"items": self.directory_users()}
        if (method, path) == ("GET", "/_local/outbox"):
            return 200, {"items": self.outbox()}
        if (method, path) == ("GET", "/_local/events"):
            return 200, {"items": self.bus_log.events()}
        if (method, path) == ("GET", "/_local/webhooks"):
            table = self.stack.physical_name("AppTable")
            return 200, {"items": webhook_deliveries(self._client("dynamodb"), table)}
        if (method, path) == ("POST", "/_local/settle"):
            timeout = data.get("timeout", SETTLE_TIMEOUT_SECONDS)
            if not isinstance(timeout, int | float) or isinstance(timeout, bool):
                return 422, error_body("validation_error", "timeout must be a number of seconds.")
            return 200, self.settle(max(0.0, min(float(timeout), SETTLE_TIMEOUT_SECONDS)))
        if (method, path) == ("GET", "/_local/routes"):
            return 200, {
                "items": [{"method": r.method, "path": r.path, "function": r.function} for r in self.stack.routes]
            }
        if method == "POST" and path.startswith("/_local/schedules/"):
            function = path.removeprefix("/_local/schedules/")
            if function not in {s.function for s in self.stack.schedules}:
                return 404, error_body("not_found", f"No scheduled function {function}.")
            return 200, {"function": function, "result": self.run_schedule(function)}
        return 404, error_body("not_found", f"No local route {method} {path}.")


def export_name(kind: str, key: str) -> str:
    """A shell variable for a fixture key: ("project", "gc-tower") -> PROJECT_GC_TOWER."""
    return f"{kind}_{key}".upper().replace("-", "_")


def startup_lines(stack: LocalStack, fixture: dict[str, Any], answer: dict[str, Any]) -> list[str]:
    """The seeded ids as `export` lines, then one ready-to-paste request per user (each user once)."""
    lines = ["# The demo's ids, for a shell (the README's walk-through uses them):", f"export API={stack.api_url}"]
    lines += [f"export {export_name('company', k)}={v}" for k, v in answer["companies"].items()]
    lines += [f"export {export_name('project', k)}={v}" for k, v in answer["projects"].items()]
    companies: dict[str, list[tuple[str, str]]] = {}
    for user_id, company_name, company_id in seeding.memberships(fixture, answer):
        companies.setdefault(user_id, []).append((company_name, company_id))
    if answer["companies"]:
        first = next(iter(answer["companies"].values()))
        companies = {PLATFORM_ADMIN: [("platform admin", first)], **companies}
    lines.append("# One request per user: GET their (first) company")
    for user_id, memberships in companies.items():
        lines.append(f"# {user_id} @ {', '.join(name for name, _ in memberships)}")
        url = f"{stack.api_url}/companies/{memberships[0][1]}"
        lines.append(f'curl -s -H "Authorization: Bearer {stack.token(user_id)}" {url}')
    return lines

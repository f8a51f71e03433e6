"""`make smoke STACK=<name>`: the first thing to run after `sam deploy`. One drawing, end to end, through the API.

It makes throw-away people (in the stack's user pool: created, given a password and signed in with the admin
API through the smoke-only app client; locally: the local stack's token issuer), two companies named
`smoke-<run id> ...` with a project each, a connection request and its approval, a real PDF uploaded and
published upstream, waits for its copy downstream, publishes it there, downloads it as a read-only user and
compares the bytes, waits for the mails (sent to SES's mailbox simulator, which accepts them even in SES's
sandbox), disconnects, and removes the people it made. It prints each step with its time; a failed step prints
the request, the answer, API Gateway's request id and the log group to read, and the command exits 1.

Companies, projects and drawings cannot be deleted through the API: they stay, named `smoke-<run id> ...`,
disconnected, with their two buckets (a few kilobytes).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import secrets
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from local.drawing_pdf import drawing_pdf
from local.template import load

Say = Callable[[str], None]
SIMULATOR = "success+{}@simulator.amazonses.com"  # SES's mailbox simulator: accepted and dropped, sandbox or not
WAIT_SECONDS = 180.0  # a copy takes seconds; news mails wait for 30 s without news first
POLL_SECONDS = 2.0
LOCAL_STACK = "connectability-local"


@dataclass
class Answer:
    status: int
    body: Any
    request_id: str


class StepFailed(Exception):
    """A step did not get what it needed; carries what a person needs to look further."""

    def __init__(self, message: str, answer: Answer | None = None, function: str | None = None) -> None:
        super().__init__(message)
        self.answer = answer
        self.function = function


@dataclass
class Person:
    role: str
    user_id: str
    email: str
    token: str


class Identities(Protocol):
    """Who the smoke acts as: a platform admin and throw-away users, each with an API token."""

    def platform_admin(self) -> Person: ...

    def user(self, role: str, email: str) -> Person: ...

    def remove(self) -> list[str]: ...


class LocalIdentities:
    """The local stack signs a token for any user id (its /_local/tokens stands in for Cognito)."""

    def __init__(self, api: Api, run: str) -> None:
        self.api, self.run = api, run

    def platform_admin(self) -> Person:
        return Person("platform admin", "platform-admin", "", self._token("platform-admin"))

    def user(self, role: str, email: str) -> Person:
        user_id = f"smoke-{self.run}-{role}"
        return Person(role, user_id, email, self._token(user_id))

    def _token(self, user_id: str) -> str:
        answer = self.api.call("POST", "/_local/tokens", None, {"user_id": user_id})
        if answer.status != 200:
            raise StepFailed(f"the local stack signed no token for {user_id}", answer)
        return str(answer.body["token"])

    def remove(self) -> list[str]:
        return []  # local tokens simply expire; nothing was stored


class CognitoIdentities:
    """Users of the stack's user pool made with the admin API, signed in through the smoke-only app client
    (ADMIN_USER_PASSWORD_AUTH: only a caller with AWS credentials for this pool can use it)."""

    def __init__(self, cognito: Any, pool_id: str, client_id: str, run: str) -> None:
        self.cognito, self.pool_id, self.client_id, self.run = cognito, pool_id, client_id, run
        self.made: list[str] = []

    def platform_admin(self) -> Person:
        return self._person("platform-admin", SIMULATOR.format(f"smoke-{self.run}-admin"), group="platform-admins")

    def user(self, role: str, email: str) -> Person:
        return self._person(role, email)

    def _person(self, role: str, email: str, group: str | None = None) -> Person:
        password = secrets.token_urlsafe(24) + "aA1!"
        made = self.cognito.admin_create_user(
            UserPoolId=self.pool_id,
            Username=email,
            UserAttributes=[{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}],
            MessageAction="SUPPRESS",
        )["User"]
        self.made.append(email)
        self.cognito.admin_set_user_password(UserPoolId=self.pool_id, Username=email, Password=password, Permanent=True)
        if group:
            self.cognito.admin_add_user_to_group(UserPoolId=self.pool_id, Username=email, GroupName=group)
        tokens = self.cognito.admin_initiate_auth(
            UserPoolId=self.pool_id,
            ClientId=self.client_id,
            AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": email, "PASSWORD": password},
        )["AuthenticationResult"]
        sub = next(a["Value"] for a in made["Attributes"] if a["Name"] == "sub")
        return Person(role, sub, email, tokens["IdToken"])

    def remove(self) -> list[str]:
        removed = []
        for username in self.made:
            self.cognito.admin_delete_user(UserPoolId=self.pool_id, Username=username)
            removed.append(username)
        self.made = []
        return removed


class Api:
    """The HTTP API, with the standard library alone; every answer keeps API Gateway's request id."""

    def __init__(self, base_url: str) -> None:
        if not base_url.startswith(("https://", "http://")):
            raise ValueError(f"not an HTTP URL: {base_url}")
        self.base_url = base_url.rstrip("/")

    def call(self, method: str, path: str, person: Person | None, body: Any = None) -> Answer:
        headers = {"Content-Type": "application/json"}
        if person is not None:
            headers["Authorization"] = person.token
        data = None if body is None else json.dumps(body).encode()
        url = f"{self.base_url}{path}"
        request = urllib.request.Request(url, data=data, method=method, headers=headers)  # noqa: S310 - http(s), checked
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - http(s), checked
                return _answer(response.status, response.read(), response.headers)
        except urllib.error.HTTPError as exc:
            return _answer(exc.code, exc.read(), exc.headers)


def _answer(status: int, raw: bytes, headers: Any) -> Answer:
    try:
        body = json.loads(raw) if raw else None
    except ValueError:
        body = raw.decode(errors="replace")[:500]
    return Answer(status, body, headers.get("x-amzn-RequestId") or headers.get("x-amz-apigw-id") or "")


def transfer(method: str, url: str, data: bytes | None = None, headers: dict[str, str] | None = None) -> bytes:
    """A PUT or GET to a presigned S3 URL (no API token: the URL is the permission)."""
    if not url.startswith(("https://", "http://")):
        raise StepFailed(f"the API gave a URL that is not HTTP: {url[:80]}")
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})  # noqa: S310 - checked
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - http(s), checked
            return bytes(response.read())
    except urllib.error.HTTPError as exc:
        raise StepFailed(f"S3 answered {exc.code} to the presigned {method}: {exc.read()[:300]!r}") from exc


@dataclass
class Smoke:
    api: Api
    identities: Identities
    where: Callable[[str], str]  # a function's logical id → where its logs are
    run: str
    say: Say = print
    started: float = field(default_factory=time.monotonic)
    ids: dict[str, str] = field(default_factory=dict)
    people: dict[str, Person] = field(default_factory=dict)

    # -- one step ---------------------------------------------------------------------------------------------
    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        begun = time.monotonic()
        self.say(f"[{begun - self.started:6.1f}s] {name} ...")
        yield
        self.say(f"[{time.monotonic() - self.started:6.1f}s] {name}: ok ({time.monotonic() - begun:.1f}s)")

    def call(self, method: str, path: str, as_: str, body: Any = None, expect: int = 200) -> Any:
        answer = self.api.call(method, path, self.people[as_], body)
        if answer.status != expect:
            route = load().match(method, path)
            raise StepFailed(
                f"{method} {path} as {as_} answered {answer.status}, not {expect}",
                answer,
                route[0].function if route else None,
            )
        return answer.body

    def until(self, what: str, probe: Callable[[], Any], functions: list[str]) -> Any:
        """Poll `probe` until it answers something true; on time-out, say what it last saw."""
        deadline = time.monotonic() + WAIT_SECONDS
        seen: Any = None
        while time.monotonic() < deadline:
            seen = probe()
            if seen:
                return seen
            time.sleep(POLL_SECONDS)
        look = "; ".join(self.where(f) for f in functions)
        raise StepFailed(f"{what}: not within {WAIT_SECONDS:.0f}s (last seen: {seen!r:.300}); look in {look}")

    # -- the walk ---------------------------------------------------------------------------------------------
    def people_step(self) -> None:
        self.people["admin"] = self.identities.platform_admin()
        for role in ("gc", "sub", "viewer"):
            self.people[role] = self.identities.user(role, SIMULATOR.format(f"smoke-{self.run}-{role}"))

    def directory(self) -> None:
        name = f"smoke-{self.run}"
        up = self.call(
            "POST", "/companies", "admin", {"name": f"{name} upstream", "connection_approval": "manual"}, 201
        )
        down = self.call(
            "POST", "/companies", "admin", {"name": f"{name} downstream", "connected_drawings_beta": True}, 201
        )
        self.ids.update(up_company=up["id"], down_company=down["id"])
        for company, role, admin in (
            (up, "gc", True),
            (down, "sub", True),
            (down, "viewer", False),
            (up, "sub", False),
        ):
            person = self.people[role]
            body = {"email": person.email, "name": f"Smoke {role}", "is_company_admin": admin}
            self.call("PUT", f"/companies/{company['id']}/users/{person.user_id}", "admin", body, 201)
        up_project = self.call("POST", f"/companies/{up['id']}/projects", "gc", {"name": f"{name} tower"}, 201)
        down_project = self.call(
            "POST", f"/companies/{down['id']}/projects", "sub", {"name": f"{name} electrical"}, 201
        )
        self.ids.update(up=up_project["id"], down=down_project["id"])
        entries = (
            ("up", "gc", "gc", "admin", "admin"),
            ("up", "gc", "sub", "none", "read_only"),  # R07: the requester reads the upstream's drawings
            ("down", "sub", "sub", "admin", "admin"),
            ("down", "sub", "viewer", "none", "read_only"),
        )
        for project, by, who, cm, drawings in entries:
            body = {"permissions": {"connection_manager": cm, "drawings": drawings}}
            self.call("PUT", f"/projects/{self.ids[project]}/directory/{self.people[who].user_id}", by, body)

    def connect(self) -> None:
        body = {"upstream_project_id": self.ids["up"]}
        requested = self.call("POST", f"/projects/{self.ids['down']}/connections", "sub", body, 201)
        if requested["status"] != "pending":
            raise StepFailed(f"a manual-approval request answered status {requested['status']}, not pending")
        approved = self.call("POST", f"/connections/{requested['id']}/approve", "gc")
        if approved["status"] != "active":
            raise StepFailed(f"the approval answered status {approved['status']}, not active")
        self.ids["connection"] = requested["id"]

    def publish_upstream(self, pdf: bytes) -> None:
        up = self.ids["up"]
        body = {"filename": "S-101.pdf", "content_type": "application/pdf", "size": len(pdf)}
        upload = self.call("POST", f"/projects/{up}/drawing-uploads", "gc", body, 201)
        transfer(upload.get("method", "PUT"), upload["url"], pdf, upload["headers"])
        revision = self.call(
            "POST",
            f"/projects/{up}/drawing-revisions",
            "gc",
            {
                "upload_id": upload["upload_id"],
                "number": "S-101",
                "title": f"smoke-{self.run} ground floor",
                "revision_number": "1",
                "discipline": {"name": "Structural"},
            },
            201,
        )
        if revision["file"]["state"] != "ready":  # a large file is hashed by the file check first
            self.until(
                "the upload's check",
                lambda: (
                    self.call("GET", f"/projects/{up}/drawing-revisions/{revision['id']}", "gc")["file"]["state"]
                    == "ready"
                ),
                ["FileCheckFunction"],
            )
        self.call("POST", f"/projects/{up}/drawing-revisions/publish", "gc", {"revision_ids": [revision["id"]]})

    def copied_downstream(self) -> None:
        down = self.ids["down"]
        waiting = self.until(
            "the copy in the downstream review queue",
            lambda: self.call("GET", f"/projects/{down}/connected-drawings/review", "sub")["items"],
            ["SyncFanoutFunction", "SyncCopyFunction"],
        )
        published = self.call("POST", f"/projects/{down}/connected-drawings/publish", "sub", {"all": True})
        if len(published["published"]) != len(waiting):
            raise StepFailed(f"published {published['published']} of {[r['id'] for r in waiting]}")

    def download(self, pdf: bytes) -> None:
        down = self.ids["down"]
        register = self.call("GET", f"/projects/{down}/drawings", "viewer")["items"]
        if [d["number"] for d in register] != ["S-101"]:
            raise StepFailed(f"the read-only user's register holds {[d['number'] for d in register]}, not S-101")
        revision = register[0]["current_revision"]["id"]
        link = self.call("GET", f"/projects/{down}/drawing-revisions/{revision}/file", "viewer")
        got = transfer("GET", link["url"])
        if got != pdf:
            raise StepFailed(
                f"downloaded {len(got)} bytes (sha256 {hashlib.sha256(got).hexdigest()[:12]}), "
                f"uploaded {len(pdf)} (sha256 {hashlib.sha256(pdf).hexdigest()[:12]})"
            )

    def mails(self, events: set[str], project: str = "down", as_: str = "sub") -> None:
        def sent() -> set[str] | None:
            items = self.call("GET", f"/projects/{self.ids[project]}/notifications", as_)["items"]
            found = {n["event"] for n in items if n.get("sent_at")}
            return found if events <= found else None

        self.until(f"the mails {sorted(events)}", sent, ["NotifyFunction", "SyncFanoutFunction"])

    def disconnect(self) -> None:
        connection = self.ids["connection"]
        body = {"reason": f"smoke-{self.run} done"}
        done = self.call("POST", f"/connections/{connection}/disconnect", "sub", body)
        if done["status"] != "disconnected":
            raise StepFailed(f"the disconnect answered status {done['status']}")

    def walk(self) -> None:
        pdf = drawing_pdf("S-101", f"smoke-{self.run}", project="smoke", company="smoke", size="A3")
        with self.step("people: a platform admin and three users"):
            self.people_step()
        with self.step(f"directory: companies smoke-{self.run} upstream/downstream, a project each, four entries"):
            self.directory()
        with self.step("connection: requested downstream, approved upstream"):
            self.connect()
        with self.step(f"upstream: a {len(pdf):,}-byte PDF uploaded, its revision made and published"):
            self.publish_upstream(pdf)
        with self.step("downstream: the copy arrives for review and is published"):
            self.copied_downstream()
        with self.step("download: a read-only user gets the very bytes"):
            self.download(pdf)
        with self.step("mails: connection created and drawings published, sent downstream"):
            self.mails({"connection_created", "drawings_published"})
        with self.step("disconnect, and its mail"):
            self.disconnect()
            self.mails({"connection_disabled"})


def run(smoke: Smoke) -> int:
    say = smoke.say
    say(f"smoke run {smoke.run} against {smoke.api.base_url}")
    failed: StepFailed | None = None
    try:
        smoke.walk()
    except StepFailed as exc:
        failed = exc
    finally:
        removed = smoke.identities.remove()
        if removed:
            say(f"removed {len(removed)} throw-away users from the user pool")
    say(
        f"left in place (no API deletes them): companies smoke-{smoke.run} upstream/downstream, their projects, "
        f"the disconnected connection, one drawing each side, and two company buckets; ids {json.dumps(smoke.ids)}"
    )
    if failed is None:
        say(f"smoke passed in {time.monotonic() - smoke.started:.1f}s")
        return 0
    say(f"SMOKE FAILED: {failed}")
    if failed.answer is not None:
        say(f"  answer {failed.answer.status}: {json.dumps(failed.answer.body)[:500]}")
        say(f"  request id: {failed.answer.request_id or '(none in the answer)'}")
    if failed.function:
        say(f"  look in: {smoke.where(failed.function)}")
    return 1


# -- where things are ---------------------------------------------------------------------------------------------
def _log_group_of(function: str) -> str:
    return f"{function.removesuffix('Function')}LogGroup"


def aws_where(cloudformation: Any, stack: str) -> Callable[[str], str]:
    def where(function: str) -> str:
        try:
            found = cloudformation.describe_stack_resource(StackName=stack, LogicalResourceId=_log_group_of(function))
            return f"log group {found['StackResourceDetail']['PhysicalResourceId']} ({function})"
        except Exception:  # the smoke must report, whatever the lookup's fault
            return f"the log group of {function} (stack {stack}, resource {_log_group_of(function)})"

    return where


def local_where(function: str) -> str:
    return f"the local stack's output ({function} runs in its process; `make dev` prints its tracebacks)"


def outputs(cloudformation: Any, stack: str) -> dict[str, str]:
    described = cloudformation.describe_stacks(StackName=stack)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}


def run_id() -> str:
    return f"{datetime.now(UTC):%m%d%H%M}{secrets.token_hex(2)}"


def main(argv: list[str] | None = None, say: Say = print) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops.smoke", description=__doc__.split("\n\n")[0])
    parser.add_argument("--stack", default=LOCAL_STACK, help="the deployed stack's name (its outputs say the rest)")
    parser.add_argument("--local", metavar="URL", help="the local stack's API instead (e.g. http://127.0.0.1:3000)")
    args = parser.parse_args(argv)
    name = run_id()
    if args.local:
        api = Api(args.local)
        return run(Smoke(api, LocalIdentities(api, name), local_where, name, say))
    import boto3

    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    cloudformation = boto3.client("cloudformation", region_name=region)
    out = outputs(cloudformation, args.stack)
    api = Api(out["ApiUrl"])
    cognito = boto3.client("cognito-idp", region_name=region)
    identities = CognitoIdentities(cognito, out["UserPoolId"], out["SmokeClientId"], name)
    return run(Smoke(api, identities, aws_where(cloudformation, args.stack), name, say))


if __name__ == "__main__":
    sys.exit(main())

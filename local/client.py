"""The local stack in a subprocess, started on free ports, and a small HTTP client for it: what the end-to-end
tests (tests/e2e, tests/browser) and the benches that drive the stack over HTTP (bench/load.py, bench/browser.py)
start it with."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[1]
READY = "Local stack ready"
START_TIMEOUT = 180.0  # a loaded machine starts the stack late; it fails only if it never says it is ready
SETTLE_SECONDS = 300.0  # what a test waits for the stack to settle before it says it never did


class StackDidNotStart(RuntimeError):
    """`python -m local` exited, or printed no ready line in START_TIMEOUT seconds."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LocalStackClient:
    """What a test needs of a running local stack: its URLs, tokens, seeding, settling, the outbox."""

    def __init__(self, process: subprocess.Popen[bytes], api_port: int, aws_port: int, stdout: Path, stderr: Path):
        self.process = process
        self.url = f"http://127.0.0.1:{api_port}"
        self.aws_url = f"http://127.0.0.1:{aws_port}"
        self.stdout_path, self.stderr_path = stdout, stderr
        self.http = requests.Session()

    @property
    def stdout(self) -> str:
        return self.stdout_path.read_text(errors="replace")

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def token(self, user_id: str, expires_in: int | None = None) -> str:
        body: dict[str, Any] = {"user_id": user_id}
        if expires_in is not None:
            body["expires_in"] = expires_in
        answer = self.http.post(f"{self.url}/_local/tokens", json=body, timeout=10)
        answer.raise_for_status()
        return str(answer.json()["token"])

    def seed(self, fixture: dict[str, Any]) -> dict[str, Any]:
        answer = self.http.post(f"{self.url}/_local/seed", json=fixture, timeout=30)
        assert answer.status_code == 201, answer.text
        result: dict[str, Any] = answer.json()
        return result

    def settle(self, timeout: float = SETTLE_SECONDS) -> dict[str, Any]:
        """Wait until every queue is empty and no handler runs: asks /_local/settle (a minute at most each time)
        again until it answers settled or `timeout` passes; answers its last answer. On a loaded machine the
        stack is slow, not wrong: only a stack that never settles fails."""
        deadline = time.monotonic() + timeout
        while True:
            wait = max(1.0, min(60.0, deadline - time.monotonic()))
            result: dict[str, Any] = self.http.post(
                f"{self.url}/_local/settle", json={"timeout": wait}, timeout=wait + 30
            ).json()
            if result.get("settled") or time.monotonic() >= deadline:
                return result

    def functions(self) -> dict[str, dict[str, Any]]:
        """Each function's invocations as the stack counts them (GET /_local/functions), by logical id."""
        items = self.http.get(f"{self.url}/_local/functions", timeout=10).json()["items"]
        return {item["function"]: item for item in items}

    def outbox(self) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = self.http.get(f"{self.url}/_local/outbox", timeout=10).json()["items"]
        return items

    def call(self, method: str, path: str, user: str | None = None, **kwargs: Any) -> requests.Response:
        """A request to the API, as `user` (a fresh token) or anonymously."""
        headers = dict(kwargs.pop("headers", {}))
        if user is not None:
            headers["Authorization"] = f"Bearer {self.token(user)}"
        return self.http.request(method, f"{self.url}{path}", headers=headers, timeout=30, **kwargs)


@contextlib.contextmanager
def running_stack(
    seed: str = "none",
    ports: tuple[int, int] | None = None,
    env: dict[str, str] | None = None,
    options: tuple[str, ...] = (),
) -> Iterator[LocalStackClient]:
    """Start `python -m local` (on free ports unless given), wait for its ready line, stop it (SIGTERM) at the end.

    `env` replaces the environment (the README's PYTHONPATH by default)."""
    api_port, aws_port = ports or (free_port(), free_port())
    with tempfile.TemporaryDirectory(prefix="local-stack-") as tmp:
        out, err = Path(tmp, "stdout"), Path(tmp, "stderr")
        if env is None:
            env = {**os.environ, "PYTHONPATH": os.pathsep.join(["shared", "functions", "."])}
        env = {**env, "PYTHONUNBUFFERED": "1"}
        with out.open("wb") as out_fh, err.open("wb") as err_fh:
            process = subprocess.Popen(  # noqa: S603 - this interpreter running the local stack, no input
                [
                    sys.executable,
                    "-m",
                    "local",
                    "--api-port",
                    str(api_port),
                    "--aws-port",
                    str(aws_port),
                    "--seed",
                    seed,
                    *options,
                ],
                cwd=ROOT,
                env=env,
                stdout=out_fh,
                stderr=err_fh,
            )
        client = LocalStackClient(process, api_port, aws_port, out, err)
        try:
            deadline = time.monotonic() + START_TIMEOUT
            while READY not in client.stdout:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise StackDidNotStart(f"the local stack did not start:\n{client.stdout}\n{client.stderr}")
                time.sleep(0.1)
            yield client
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
            client.http.close()

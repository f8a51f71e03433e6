"""`make smoke`, proven here: the whole walk against the local stack, and what a failed step tells its reader."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ops import smoke
from tests.e2e.conftest import LocalStackClient

STEPS = ("people", "directory", "connection", "upstream", "downstream", "download", "mails", "disconnect")


def test_the_smoke_walks_a_drawing_end_to_end_on_the_local_stack(local_stack: LocalStackClient) -> None:
    # Given a running local stack (its token issuer stands in for the user pool)
    lines: list[str] = []

    # When the smoke runs against it
    code = smoke.main(["--local", local_stack.url], say=lines.append)

    # Then it passed, every step said ok with its time, and it said what it leaves behind
    text = "\n".join(lines)
    assert code == 0, text
    for step in STEPS:
        assert re.search(rf"^\[ *\d+\.\ds\] {step}\b.*: ok \(\d+\.\ds\)$", text, re.MULTILINE), (step, text)
    assert "smoke passed" in text
    assert re.search(r"left in place .*companies smoke-\w+ upstream/downstream", text)
    # and the mails went to SES's mailbox simulator
    simulator = [m for m in local_stack.outbox() if any("@simulator.amazonses.com" in a for a in m["to"])]
    assert {m["event"] for m in simulator} >= {"connection_requested", "connection_created", "drawings_published"}


class _FailingApi(BaseHTTPRequestHandler):
    """Signs tokens like the local stack, then fails every API request as a broken function would."""

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        if self.path == "/_local/tokens":
            status, body = 200, {"token": "t"}
        else:
            status, body = 502, {"error": {"code": "internal_error", "message": "boom", "rule": None, "details": None}}
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("x-amzn-RequestId", "req-0123")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = _answer  # noqa: N815

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def failing_api() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FailingApi)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_failed_step_names_itself_the_request_id_and_the_log_group(failing_api: str) -> None:
    # Given an API whose functions fail
    lines: list[str] = []

    # When the smoke runs against it
    code = smoke.main(["--local", failing_api], say=lines.append)

    # Then it exits 1 at the first API step, saying which, the answer, the request id and where to look
    text = "\n".join(lines)
    assert code == 1
    assert re.search(r"\] directory: companies .* \.\.\.$", text, re.MULTILINE)  # the step began
    assert not re.search(r"\] directory: .*: ok", text)  # and never ended
    assert "SMOKE FAILED: POST /companies as admin answered 502, not 201" in text
    assert "request id: req-0123" in text
    assert re.search(r"look in: .*DirectoryApiFunction", text)

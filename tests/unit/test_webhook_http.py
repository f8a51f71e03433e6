"""Webhook deliveries' own rules (R45): signatures an integrator can check with any HMAC, and endpoints that never
point inside (private, loopback, link-local, reserved), by address or by a name that resolves there."""

from __future__ import annotations

import hashlib
import http.server
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from connectability.webhook_http import SIGNATURE_HEADER, EndpointRefused, Target, post, sign, target


def _hmac_sha256(key: bytes, message: bytes) -> str:
    """HMAC-SHA256 written out from RFC 2104, independent of the code under test (and of Python's hmac)."""
    block = 64
    if len(key) > block:
        key = hashlib.sha256(key).digest()
    key = key.ljust(block, b"\x00")
    inner = hashlib.sha256(bytes(k ^ 0x36 for k in key) + message).digest()
    return hashlib.sha256(bytes(k ^ 0x5C for k in key) + inner).hexdigest()


def test_r45_a_signature_checks_out_with_an_independent_hmac_and_names_its_time() -> None:
    body = b'{"type": "copies.landed", "id": "evt_1"}'
    header = sign(["whsec_new", "whsec_old"], 1796366120, body)
    parts = header.split(",")
    assert parts[0] == "t=1796366120"
    # every secret still valid signs it (a rotated secret keeps working for a while)
    assert parts[1:] == [f"v1={_hmac_sha256(s.encode(), b'1796366120.' + body)}" for s in ("whsec_new", "whsec_old")]
    # and a changed body or time no longer matches
    assert _hmac_sha256(b"whsec_new", b"1796366121." + body) not in header


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://hooks.example.com/in", "https://"),
        ("https://10.0.0.7/hook", "private"),
        ("https://192.168.1.20/hook", "private"),
        ("https://172.16.5.4/hook", "private"),
        ("https://127.0.0.1:8443/hook", "loopback"),
        ("https://[::1]/hook", "loopback"),
        ("https://169.254.169.254/latest/meta-data", "link-local"),
        ("https://[fe80::1]/hook", "link-local"),
        ("https://[fd00::5]/hook", "private"),
        ("https://[::ffff:10.0.0.1]/hook", "private"),
        ("https://0.0.0.0/hook", "unspecified"),
        ("https://100.64.0.1/hook", "not globally reachable"),
        ("https://user:secret@hooks.example.com/in", "user name or password"),
        ("https:///no-host", "host name"),
    ],
)
def test_r45_an_endpoint_that_points_inside_is_refused_saying_why(url: str, why: str) -> None:
    with pytest.raises(EndpointRefused, match=why):
        target(url)


def test_r45_a_name_that_resolves_to_a_private_address_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given names that resolve inside: one to a private address, one to a public and a private one (a name's
    # every answer counts, since any of them may be the one a later lookup gives)
    answers = {"intranet.example.com": ["10.1.2.3"], "split.example.com": ["93.184.215.14", "192.168.0.9"]}
    real = socket.getaddrinfo

    def resolve(host: str, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host in answers:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in answers[host]]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    for host, address in (("intranet.example.com", "10.1.2.3"), ("split.example.com", "192.168.0.9")):
        with pytest.raises(EndpointRefused, match=f"{host} resolves to {address} \\(private\\)"):
            target(f"https://{host}/hook")
    # and localhost, by name, is loopback
    with pytest.raises(EndpointRefused, match="loopback"):
        target("https://localhost/hook")


def test_a_public_endpoint_is_taken_with_the_address_it_resolved_to() -> None:
    found = target("https://93.184.215.14:8443/hooks/in?team=7")
    assert (found.host, found.port, found.address, found.scheme) == ("93.184.215.14", 8443, "93.184.215.14", "https")


@pytest.fixture
def receiver() -> Iterator[tuple[int, list[tuple[str, dict[str, str], bytes]]]]:
    """A plain HTTP endpoint on this machine (the local stack's kind), keeping what it receives."""
    got: list[tuple[str, dict[str, str], bytes]] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            got.append((self.path, dict(self.headers), self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1], got
    server.shutdown()


def test_a_delivery_posts_the_body_with_its_signature_to_the_checked_address(
    receiver: tuple[int, list[tuple[str, dict[str, str], bytes]]],
) -> None:
    port, got = receiver
    # on this machine only where loopback is allowed (the local stack), never by default
    with pytest.raises(EndpointRefused):
        target(f"http://127.0.0.1:{port}/hook")
    to = target(f"http://127.0.0.1:{port}/hook?x=1", allow_loopback=True)
    body = b'{"id": "evt_1"}'
    answered = post(to, body, {SIGNATURE_HEADER: sign(["s"], 1, body), "Content-Type": "application/json"})
    assert (answered.status, answered.delivered, answered.error) == (204, True, None)
    [(path, headers, received)] = got
    assert (path, received) == ("/hook?x=1", body)
    assert headers[SIGNATURE_HEADER] == sign(["s"], 1, body)


def test_a_delivery_to_an_endpoint_that_is_not_there_says_so() -> None:
    with socket.socket() as spare:
        spare.bind(("127.0.0.1", 0))
        port = spare.getsockname()[1]
    answered = post(Target(f"http://127.0.0.1:{port}/", "127.0.0.1", port, "127.0.0.1", "http"), b"{}", {})
    assert answered.status is None
    assert answered.delivered is False
    assert answered.error == "The endpoint refused the connection."

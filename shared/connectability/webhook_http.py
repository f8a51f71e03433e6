"""Webhook deliveries over HTTPS (R45): a signed POST to an endpoint that is on the public internet, and stays so.

An endpoint may not point at a private, loopback, link-local or otherwise reserved address: its name is resolved
when it is registered and again at every delivery, and the connection goes to the very address that was checked
(with the name kept for TLS and Host), so a name that changes its answer in between (DNS rebinding) reaches
nothing inside. The signature follows the convention integrators know: `Connectability-Signature:
t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, with one v1 per secret while a rotated one is still valid.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import socket
import time
from collections.abc import Iterable
from typing import NamedTuple
from urllib.parse import urlsplit

SIGNATURE_HEADER = "Connectability-Signature"
TIMEOUT_SECONDS = 10.0
MAX_RESPONSE_BYTES = 4096  # what a delivery keeps of an endpoint's answer, for its log


class EndpointRefused(ValueError):
    """An endpoint address no delivery may go to; the message says why, for the person who registered it."""


class Target(NamedTuple):
    """Where a delivery goes: the URL as registered, and the public address its name resolved to."""

    url: str
    host: str
    port: int
    address: str
    scheme: str


class Answered(NamedTuple):
    """What an endpoint answered (status None: no answer at all, `error` says why), and how long it took."""

    status: int | None
    seconds: float
    error: str | None = None
    body: str = ""

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def sign(secrets: Iterable[str], timestamp: int, body: bytes) -> str:
    """The signature header's value: the time, and a v1 HMAC of "<time>.<body>" per secret."""
    signed = f"{timestamp}.".encode() + body
    parts = [f"t={timestamp}"]
    parts += [f"v1={hmac.new(s.encode(), signed, hashlib.sha256).hexdigest()}" for s in secrets]
    return ",".join(parts)


def target(url: str, allow_loopback: bool = False) -> Target:
    """The endpoint's target, if it is an HTTPS URL whose name resolves to public addresses only (every address
    the name has, so no answer of its can reach inside); EndpointRefused otherwise. `allow_loopback` (the local
    stack only) lets a plain-HTTP endpoint on this very machine receive deliveries."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    local = allow_loopback and parts.scheme == "http" and host in ("localhost", "127.0.0.1", "::1")
    if parts.scheme != "https" and not local:
        raise EndpointRefused("A webhook endpoint must be an https:// URL.")
    if not host:
        raise EndpointRefused("A webhook endpoint's URL needs a host name.")
    if parts.username or parts.password:
        raise EndpointRefused("A webhook endpoint's URL may not carry a user name or password.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise EndpointRefused("A webhook endpoint's URL has an invalid port.") from exc
    addresses = _addresses(host, port)
    if not local:
        for address in addresses:
            if (why := _not_public(address)) is not None:
                raise EndpointRefused(
                    f"A webhook endpoint must be on the public internet: {host} resolves to {address} ({why})."
                )
    return Target(url, host, port, str(addresses[0]), parts.scheme)


def _addresses(host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise EndpointRefused(f"The webhook endpoint's host {host} does not resolve.") from exc
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in found]
    if not addresses:
        raise EndpointRefused(f"The webhook endpoint's host {host} does not resolve.")
    return list(dict.fromkeys(addresses))


def _not_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """Why an address is not on the public internet, or None when it is."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    for flag, why in (
        ("is_unspecified", "unspecified"),
        ("is_loopback", "loopback"),
        ("is_link_local", "link-local"),
        ("is_private", "private"),
        ("is_multicast", "multicast"),
        ("is_reserved", "reserved"),
    ):
        if getattr(address, flag):
            return why
    if not address.is_global:
        return "not globally reachable"
    return None


def post(to: Target, body: bytes, headers: dict[str, str], timeout: float = TIMEOUT_SECONDS) -> Answered:
    """POST the body to the target's checked address, the name kept for TLS (SNI, certificate) and Host; no
    redirect is followed (a redirect could lead inside)."""
    import urllib3

    started = time.monotonic()
    if to.scheme == "https":
        from botocore.httpsession import get_cert_path

        pool: urllib3.HTTPConnectionPool = urllib3.HTTPSConnectionPool(
            to.address,
            to.port,
            server_hostname=to.host,
            assert_hostname=to.host,
            cert_reqs="CERT_REQUIRED",
            ca_certs=get_cert_path(True),
            retries=False,
            timeout=timeout,
        )
    else:
        pool = urllib3.HTTPConnectionPool(to.address, to.port, retries=False, timeout=timeout)
    path = urlsplit(to.url)
    target_path = (path.path or "/") + (f"?{path.query}" if path.query else "")
    netloc = to.host if to.port in (80, 443) else f"{to.host}:{to.port}"
    try:
        answer = pool.urlopen(
            "POST",
            target_path,
            body=body,
            headers={**headers, "Host": netloc},
            redirect=False,
            preload_content=False,
        )
        seen = answer.read(MAX_RESPONSE_BYTES, decode_content=True)
        answer.release_conn()
        text = seen.decode("utf-8", errors="replace") if isinstance(seen, bytes) else ""
        return Answered(answer.status, time.monotonic() - started, body=text)
    except urllib3.exceptions.HTTPError as exc:
        return Answered(None, time.monotonic() - started, error=_said(exc))
    finally:
        pool.close()


def _said(exc: Exception) -> str:
    """A failed connection in words an admin can act on."""
    text = str(exc)
    if "CERTIFICATE_VERIFY_FAILED" in text or "certificate" in text.lower():
        return "The endpoint's TLS certificate could not be verified."
    if "timed out" in text.lower() or "timeout" in type(exc).__name__.lower():
        return f"The endpoint did not answer within {TIMEOUT_SECONDS:.0f} seconds."
    if "refused" in text.lower():
        return "The endpoint refused the connection."
    return f"The endpoint could not be reached ({type(exc).__name__})."

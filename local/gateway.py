"""API Gateway (REST, proxy integration, Cognito authorizer) emulated over http.server.

Routes come from template.yaml (`stack.routes`). A request is matched on method and path (one segment per
path parameter, literal segments beating parameters as in API Gateway), checked for a token like the Cognito
authorizer, turned into the proxy event, handed to the function (local/workers.py), and its answer written
back. Paths under /_local are the local stack's own tools (no token) and go to `local`. A GET of a path no
route matches may be a static file (`static`: the console, the API reference; see local/web.py).
"""

from __future__ import annotations

import base64
import json
import re
import sys
import threading
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from local.events import api_event
from local.invoke import Runner
from local.template import Route
from local.tokens import InvalidToken, TokenIssuer

MAX_BODY_BYTES = 10 * 1024 * 1024  # API Gateway's payload limit
LocalApi = Callable[[str, str, bytes], tuple[int, Any]]
Static = Callable[[str], tuple[int, dict[str, Any], bytes] | None]
_SKIPPED_HEADERS = {"content-length", "transfer-encoding", "connection"}


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    """The API's error shape, for the answers the gateway gives itself."""
    return {"error": {"code": code, "message": message, "rule": None, "details": details}}


@dataclass(frozen=True)
class CompiledRoute:
    route: Route
    pattern: re.Pattern[str]

    @property
    def specificity(self) -> tuple[bool, ...]:
        """Sorts literal segments before parameters, segment by segment."""
        return tuple(seg.startswith("{") for seg in self.route.path.strip("/").split("/"))


def compile_routes(routes: list[Route]) -> list[CompiledRoute]:
    compiled = []
    for route in routes:
        regex = ""
        for segment in route.path.strip("/").split("/"):
            if segment.startswith("{") and segment.endswith("+}"):
                regex += f"/(?P<{segment[1:-2]}>.+)"
            elif segment.startswith("{"):
                regex += f"/(?P<{segment[1:-1]}>[^/]+)"
            else:
                regex += "/" + re.escape(segment)
        compiled.append(CompiledRoute(route, re.compile(f"^{regex or '/'}$")))
    return sorted(compiled, key=lambda c: c.specificity)


def match(routes: list[CompiledRoute], method: str, path: str) -> tuple[Route | None, dict[str, str], list[str]]:
    """The route and its path parameters; with no route, the methods the path does allow (empty: no path)."""
    allowed: list[str] = []
    for compiled in routes:
        found = compiled.pattern.match(path)
        if not found:
            continue
        if compiled.route.method in (method, "ANY"):
            return compiled.route, {k: unquote(v) for k, v in found.groupdict().items()}, []
        allowed.append(compiled.route.method)
    return None, {}, allowed


class Gateway:
    """The HTTP server; `start` serves on a thread, `stop` shuts it down."""

    def __init__(
        self,
        routes: list[Route],
        invoker: Runner,
        tokens: TokenIssuer,
        local: LocalApi,
        host: str,
        port: int,
        static: Static | None = None,
    ) -> None:
        self.routes = compile_routes(routes)
        self.invoker = invoker
        self.tokens = tokens
        self.local = local
        self.static = static
        self.server = ThreadingHTTPServer((host, port), _RequestHandler)
        self.server.daemon_threads = True
        self.server.gateway = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self.server.serve_forever, name="gateway", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)

    def handle(
        self, method: str, target: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, Any], bytes]:
        """One request → (status, headers, body), with API Gateway's request id header on every answer (the
        function's event carries the same id); never raises."""
        request_id = str(uuid.uuid4())
        status, answer_headers, data = self._handle(method, target, headers, body, request_id)
        return status, {**answer_headers, "x-amzn-RequestId": request_id}, data

    def _handle(
        self, method: str, target: str, headers: dict[str, str], body: bytes, request_id: str
    ) -> tuple[int, dict[str, Any], bytes]:
        url = urlsplit(target)
        path = unquote(url.path) or "/"
        if path == "/_local" or path.startswith("/_local/"):
            return self._local(method, path, body)
        route, params, allowed = match(self.routes, method, path)
        if route is None and not allowed and method in ("GET", "HEAD") and self.static is not None:
            found = self.static(path)
            if found is not None:
                return found
        if route is None:
            if allowed:
                message = f"{method} is not allowed on {path}; use {', '.join(sorted(set(allowed)))}."
                return _json(405, error_body("method_not_allowed", message), {"Allow": ", ".join(allowed)})
            return _json(404, error_body("not_found", f"No route {method} {path}."))
        claims = self._claims(headers)
        if claims is None:
            message = "Sign in first: send a valid Authorization token."
            return _json(401, error_body("unauthenticated", message))
        query = parse_qs(url.query, keep_blank_values=True)
        try:
            text: str | None = body.decode() if body else None
            encoded = False
        except UnicodeDecodeError:
            text, encoded = base64.b64encode(body).decode(), True
        event = api_event(
            method,
            resource=route.path,
            path=path,
            claims=claims,
            body=text,
            query={k: v[-1] for k, v in query.items()},
            headers=headers,
            path_parameters=params,
            request_id=request_id,
        )
        event["isBase64Encoded"] = encoded
        if query:
            event["multiValueQueryStringParameters"] = query
        try:
            result = self.invoker.invoke(route.function, event)
            return _proxy_answer(result)
        except Exception:
            print(f"{route.function} failed on {method} {path}:", file=sys.stderr)
            traceback.print_exc(file=sys.stderr)
            message = "Internal server error: the function failed; the local stack's stderr has the traceback."
            return _json(502, error_body("internal_error", message))

    def _claims(self, headers: dict[str, str]) -> dict[str, Any] | None:
        value = next((v for k, v in headers.items() if k.lower() == "authorization"), "").strip()
        token = value[7:].strip() if value.lower().startswith("bearer ") else value
        if not token:
            return None
        try:
            return self.tokens.verify(token)
        except InvalidToken:
            return None

    def _local(self, method: str, path: str, body: bytes) -> tuple[int, dict[str, Any], bytes]:
        try:
            status, answer = self.local(method, path, body)
        except Exception as exc:
            traceback.print_exc(file=sys.stderr)
            return _json(500, error_body("local_stack_error", f"{type(exc).__name__}: {exc}"))
        return _json(status, answer)


def _json(status: int, body: Any, headers: dict[str, str] | None = None) -> tuple[int, dict[str, Any], bytes]:
    """The gateway's own answers, each ending in a newline so that two in a row print apart in a shell."""
    data = b"" if status == 204 else json.dumps(body, default=str).encode() + b"\n"
    return status, {"Content-Type": "application/json", **(headers or {})}, data


def _proxy_answer(result: Any) -> tuple[int, dict[str, Any], bytes]:
    """Lambda's proxy answer to HTTP, as API Gateway writes it; a malformed answer is the function's fault (502)."""
    if not isinstance(result, dict) or not isinstance(result.get("statusCode"), int):
        raise TypeError(f"not a proxy integration answer: {result!r:.200}")
    headers: dict[str, Any] = {}
    for key, values in (result.get("multiValueHeaders") or {}).items():
        headers[key] = [str(v) for v in values]
    for key, value in (result.get("headers") or {}).items():
        headers[key] = str(value)
    status = int(result["statusCode"])
    body = result.get("body") or ""
    data = base64.b64decode(body) if result.get("isBase64Encoded") else str(body).encode()
    # HTTP forbids a body on 204 and 304: API Gateway drops it, and so must we, or keep-alive clients desync.
    return status, headers, b"" if status in (204, 304) else data


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ConnectabilityLocalGateway/1.0"

    def _serve(self) -> None:
        gateway: Gateway = self.server.gateway  # type: ignore[attr-defined]
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0:
            self.close_connection = True
            status, headers, data = _json(400, error_body("bad_request", "Content-Length is not a number."))
        elif length > MAX_BODY_BYTES:
            self.close_connection = True  # the unread body would otherwise be taken for the next request
            status, headers, data = _json(413, error_body("payload_too_large", "The body is over 10 MB."))
        else:
            body = self.rfile.read(length) if length else b""
            status, headers, data = gateway.handle(self.command, self.path, dict(self.headers.items()), body)
        self.send_response(status)
        for key, value in headers.items():
            if key.lower() in _SKIPPED_HEADERS:
                continue
            for item in value if isinstance(value, list) else [value]:
                self.send_header(key, item)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = _serve  # noqa: N815

    def __getattr__(self, name: str) -> Any:
        """Any other method (TRACE, QUERY, ...) gets the gateway's answer in the error shape, never a bare 501."""
        if name.startswith("do_"):
            return self._serve
        raise AttributeError(name)

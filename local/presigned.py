"""Presigned S3 URLs checked as S3 checks them, in front of moto's server (which checks no signature at all).

A request that carries a query signature (X-Amz-Signature) is refused when it came too late (403 AccessDenied,
"Request has expired") or when its signature does not match the request: a header the URL signed left out or
changed (x-amz-tagging, Content-Type, Content-Length), another method, another key (403 SignatureDoesNotMatch).
The signature is computed again with botocore's own signer from what arrived, with the local stack's
credentials. So a client that would fail on AWS fails here first; every other request goes to moto unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, quote
from xml.sax.saxutils import escape

from botocore.auth import S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check your key and signing method."
)


class PresignedChecks:
    """WSGI middleware: S3's checks of a presigned request, before moto answers it."""

    def __init__(self, app: WsgiApp, access_key: str, secret_key: str, region: str) -> None:
        self.app, self.credentials, self.region = app, Credentials(access_key, secret_key), region

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        query = parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        given = dict(query)
        if "X-Amz-Signature" not in given or environ.get("REQUEST_METHOD") == "OPTIONS":
            return self.app(environ, start_response)
        refused = self.refusal(environ, query, given)
        if refused is None:
            return self.app(environ, start_response)
        code, message = refused
        body = (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{escape(message)}</Message>'
            f"<RequestId>local</RequestId></Error>"
        ).encode()
        start_response("403 Forbidden", [("Content-Type", "application/xml"), ("Content-Length", str(len(body)))])
        return [body]

    def refusal(
        self, environ: dict[str, Any], query: list[tuple[str, str]], given: dict[str, str]
    ) -> tuple[str, str] | None:
        """(S3's error code, its message) for a request S3 would refuse; None when it would serve it."""
        try:
            signed_at = datetime.strptime(given["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
            expires = int(given["X-Amz-Expires"])
            signed = given["X-Amz-SignedHeaders"].split(";")
        except (KeyError, ValueError):
            return (
                "AuthorizationQueryParametersError",
                "Query-string authentication requires X-Amz-Date, X-Amz-Expires and X-Amz-SignedHeaders.",
            )
        if (datetime.now(UTC) - signed_at).total_seconds() > expires:
            return "AccessDenied", "Request has expired"
        headers = {name: self._header(environ, name) for name in signed}
        if any(value is None for value in headers.values()):
            return "SignatureDoesNotMatch", MISMATCH
        rest = "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in query if k != "X-Amz-Signature")
        path = environ.get("RAW_URI") or environ.get("REQUEST_URI") or quote(environ.get("PATH_INFO", "/"))
        path = path.split("?", 1)[0]
        request = AWSRequest(
            method=environ["REQUEST_METHOD"],
            url=f"http://{environ.get('HTTP_HOST', 'localhost')}{path}?{rest}",
            headers={k: v for k, v in headers.items() if v is not None},
        )
        request.context["timestamp"] = given["X-Amz-Date"]
        signer = S3SigV4QueryAuth(self.credentials, "s3", self.region, expires=expires)
        canonical = signer.canonical_request(request)
        if signer.signature(signer.string_to_sign(request, canonical), request) != given["X-Amz-Signature"]:
            return "SignatureDoesNotMatch", MISMATCH
        return None

    @staticmethod
    def _header(environ: dict[str, Any], name: str) -> str | None:
        if name == "host":
            return environ.get("HTTP_HOST")
        if name in ("content-type", "content-length"):
            value = environ.get(name.upper().replace("-", "_"))
            return str(value) if value not in (None, "") else None
        return environ.get("HTTP_" + name.upper().replace("-", "_"))

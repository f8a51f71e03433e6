"""Tokens the local gateway signs and checks in place of Cognito: HS256 JWTs, standard library only.

They carry the claims the REST API's Cognito authorizer hands to functions (`sub`, `email`, `cognito:groups`
as one comma-separated string, `token_use: id`), so handlers cannot tell local from cloud.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import time
from typing import Any

ISSUER = "https://cognito-idp.local/connectability-local"
LIFETIME_SECONDS = 12 * 3600
PLATFORM_ADMIN = "platform-admin"
PLATFORM_ADMIN_GROUP = "platform-admins"


class InvalidToken(Exception):
    """The token is missing, malformed, forged or expired."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TokenIssuer:
    """Signs with a secret made per run, so tokens of an earlier run are refused."""

    def __init__(self, secret: bytes | None = None) -> None:
        self._secret = secret or secrets.token_bytes(32)

    def issue(
        self,
        user_id: str,
        *,
        email: str | None = None,
        groups: list[str] | None = None,
        expires_in: int = LIFETIME_SECONDS,
    ) -> str:
        now = int(time.time())
        if groups is None:
            groups = [PLATFORM_ADMIN_GROUP] if user_id == PLATFORM_ADMIN else []
        claims: dict[str, Any] = {"sub": user_id, "token_use": "id", "iss": ISSUER, "iat": now, "exp": now + expires_in}
        if email:
            claims["email"] = email
        if groups:
            claims["cognito:groups"] = ",".join(groups)
        head = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        body = _b64(json.dumps(claims, separators=(",", ":")).encode())
        return f"{head}.{body}.{self._sign(f'{head}.{body}')}"

    def verify(self, token: str) -> dict[str, Any]:
        """The token's claims if its signature, issuer, use and expiry hold; InvalidToken otherwise."""
        parts = token.split(".")
        if len(parts) != 3:
            raise InvalidToken("not a JWT")
        head, body, signature = parts
        if not hmac.compare_digest(signature, self._sign(f"{head}.{body}")):
            raise InvalidToken("bad signature")
        try:
            claims = json.loads(_unb64(body))
        except (ValueError, binascii.Error) as exc:
            raise InvalidToken("unreadable claims") from exc
        if not isinstance(claims, dict) or claims.get("iss") != ISSUER or claims.get("token_use") != "id":
            raise InvalidToken("not an id token of this stack")
        if not isinstance(claims.get("exp"), int) or claims["exp"] <= time.time():
            raise InvalidToken("expired")
        return claims

    def _sign(self, signing_input: str) -> str:
        return _b64(hmac.new(self._secret, signing_input.encode(), hashlib.sha256).digest())

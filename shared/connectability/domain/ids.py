"""Opaque, time-ordered ids made by the server."""

from __future__ import annotations

import secrets
import time


def new_id(prefix: str) -> str:
    """`<prefix>_` + milliseconds (hex) + randomness: sorts by creation, guesses nothing."""
    return f"{prefix}_{int(time.time() * 1000):012x}{secrets.token_hex(5)}"

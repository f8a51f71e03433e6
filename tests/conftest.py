"""Test-wide setup: the environment every function reads, from template.yaml, before anything imports a handler."""

from __future__ import annotations

from local.world import set_environment

set_environment()

"""The one Logger, Tracer and Metrics of every function; service name and namespace come from Powertools env.

A Tracer is made only where tracing is on: making one imports the X-Ray SDK (about a sixth of a cold start),
even where Powertools then disables it. Elsewhere (tests, the local stack, POWERTOOLS_TRACE_DISABLED) a stand-in
gives the decorated function back unchanged, which is all a disabled Tracer's decorators amount to.
Where it is on, it patches botocore alone, the one library whose calls we trace: by default the SDK patches every
library it supports that it can import (httpx, requests, sqlite3, ...), importing each.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, TypeVar

from aws_lambda_powertools.logging import Logger
from aws_lambda_powertools.metrics import Metrics
from aws_lambda_powertools.shared import constants
from aws_lambda_powertools.shared.functions import resolve_truthy_env_var_choice
from aws_lambda_powertools.tracing import Tracer

F = TypeVar("F", bound=Callable[..., Any])


def tracing_on() -> bool:
    """Powertools' own rule: on in Lambda (not SAM local, not Chalice), unless POWERTOOLS_TRACE_DISABLED says off."""
    if resolve_truthy_env_var_choice(env=os.getenv(constants.TRACER_DISABLED_ENV, "false")):
        return False
    local = os.getenv(constants.SAM_LOCAL_ENV) or os.getenv(constants.CHALICE_LOCAL_ENV)
    return bool(os.getenv(constants.LAMBDA_TASK_ROOT_ENV)) and not local


class Untraced:
    """Tracing off: the decorators a function uses, doing nothing."""

    def capture_lambda_handler(self, handler: F) -> F:
        return handler

    def capture_method(self, method: F) -> F:
        return method


TRACED_LIBRARIES = ("botocore",)

logger = Logger()
tracer: Tracer | Untraced = Tracer(patch_modules=TRACED_LIBRARIES) if tracing_on() else Untraced()
metrics = Metrics()

"""Stand-in functions for the local stack's own tests (tests/e2e/test_local_workers.py): each runs in an execution
environment of its own, as the stack runs the product's functions. Light imports, so their cold starts are short."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from aws_lambda_powertools.logging import Logger

logger = Logger(service="local-parts")  # one Logger for every function here, as connectability.observability has
_count = 0  # a module global: one environment's own


@logger.inject_lambda_context
def meet(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Signs in `event["room"]` (a folder), then waits for `event["expect"]` signatures (for at most `patience`
    seconds) and logs three lines naming itself in their text; answers what it saw."""
    room = Path(event["room"])
    (room / context.aws_request_id).write_text(context.function_name)
    deadline = time.monotonic() + float(event.get("patience", 30))
    while len(list(room.iterdir())) < int(event["expect"]) and time.monotonic() < deadline:
        time.sleep(0.05)
    met = len(list(room.iterdir()))
    for step in range(3):
        logger.info({"by": context.function_name, "request": context.aws_request_id, "step": step})
        time.sleep(0.05)
    return {"met": met, "pid": os.getpid(), "function": context.function_name, "request_id": context.aws_request_id}


def nap(event: dict[str, Any], context: Any) -> str:
    time.sleep(float(event["seconds"]))
    return "rested"


def count(event: dict[str, Any], context: Any) -> dict[str, int]:
    """How many invocations this environment has served, itself included."""
    global _count
    _count += 1
    return {"count": _count, "pid": os.getpid()}


def crash(event: dict[str, Any], context: Any) -> None:
    os._exit(3)  # the process ends without a word, as a runtime that dies does


def fail(event: dict[str, Any], context: Any) -> None:
    raise ValueError("the stand-in failed on purpose")

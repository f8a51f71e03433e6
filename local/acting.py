"""Which function an AWS call is made as, in the in-process world (local.world) and the benches.

A handler called through `invoked` runs with a context variable naming its function (a template logical id);
the harness's own calls (Lambda's pollers, a test's setup) run `acting_as(None)`. Whatever watches botocore's
calls (the IAM proof's recorder, the cost bench's meter) reads `CURRENT` to know whose call it sees;
`follow_threads()` makes thread pools carry the submitter's context, so a call in a pool's thread is still the
function's that submitted it (the product's pools: aws.together, aws.meanwhile, manifests' writers).
"""

from __future__ import annotations

import concurrent.futures
import contextvars
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

CURRENT: contextvars.ContextVar[str | None] = contextvars.ContextVar("acting_function", default=None)


def invoked(function: str, handler: Callable[[dict[str, Any], Any], Any]) -> Callable[[dict[str, Any], Any], Any]:
    """`handler`, making its calls as `function`'s."""

    def run(event: dict[str, Any], context: Any) -> Any:
        token = CURRENT.set(function)
        try:
            return handler(event, context)
        finally:
            CURRENT.reset(token)

    return run


@contextmanager
def acting_as(function: str | None) -> Iterator[None]:
    """Calls made inside are `function`'s: a test that drives a function's domain entry point directly (the
    outbox relay's, with a clock of its choosing) makes them as that function would; None: the harness's own
    calls (a queue drained from inside a handler, as Lambda's poller would), which are no function's."""
    token = CURRENT.set(function)
    try:
        yield
    finally:
        CURRENT.reset(token)


_following = False


def follow_threads() -> None:
    """Thread pools run each task in a copy of the submitter's context."""
    global _following
    if _following:
        return
    _following = True
    real_submit = concurrent.futures.ThreadPoolExecutor.submit

    def submit(self: Any, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        return real_submit(self, contextvars.copy_context().run, fn, *args, **kwargs)

    concurrent.futures.ThreadPoolExecutor.submit = submit  # type: ignore[method-assign]

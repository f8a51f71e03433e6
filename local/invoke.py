"""Runs function handlers in this process the way Lambda runs them: one request at a time per function.

Powertools resolvers are module globals and not thread-safe; Lambda gives each execution environment one
request at a time. So every invocation of a function takes that function's lock. The count of invocations in
flight lets /_local/settle know when nothing runs.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from typing import Any

from local.events import LambdaContext
from local.template import Stack

Handler = Callable[[dict[str, Any], Any], Any]


class Invoker:
    def __init__(self, stack: Stack) -> None:
        self._stack = stack
        self._locks = {name: threading.Lock() for name in stack.functions}
        self._handlers: dict[str, Handler] = {}
        self._import_lock = threading.Lock()
        self._busy = threading.Condition()
        self._in_flight = 0

    def handler(self, function: str) -> Handler:
        """Import `module.attr` of the function's Handler on first use, as Lambda does at a cold start."""
        with self._import_lock:
            if function not in self._handlers:
                module_name, _, attr = self._stack.functions[function].handler.rpartition(".")
                self._handlers[function] = getattr(importlib.import_module(module_name), attr)
            return self._handlers[function]

    def invoke(self, function: str, event: dict[str, Any]) -> Any:
        """Call the handler with a fresh context; exceptions propagate to the caller (gateway or poller)."""
        spec = self._stack.functions[function]
        handler = self.handler(function)
        with self._busy:
            self._in_flight += 1
        try:
            with self._locks[function]:
                return handler(event, LambdaContext(function_name=function, timeout_seconds=spec.timeout))
        finally:
            with self._busy:
                self._in_flight -= 1
                self._busy.notify_all()

    @property
    def in_flight(self) -> int:
        with self._busy:
            return self._in_flight

"""What every way of running a function locally shares: its failures, its counts, and the in-process invoker.

The local stack runs each function in execution environments of its own (local/workers.py), side by side as
Lambda does. `Invoker` here runs handlers inside the caller's process instead, one request at a time per
function (Powertools resolvers and other module globals are not thread-safe, and Lambda gives an execution
environment one request at a time); the latency bench uses it, to time the functions' own calls from its process.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from local.events import LambdaContext
from local.template import Stack

Handler = Callable[[dict[str, Any], Any], Any]


class FunctionError(RuntimeError):
    """An invocation failed as Lambda reports it: the handler raised, timed out, or its environment died."""

    def __init__(self, function: str, kind: str, message: str, trace: str = "") -> None:
        super().__init__(f"{function}: {kind}: {message}" + (f"\n{trace.rstrip()}" if trace else ""))
        self.function, self.kind, self.reason = function, kind, message


class FunctionTimeout(FunctionError):
    """The invocation ran past the function's Timeout: Lambda stops it and reports a failure."""


class CannotImport(RuntimeError):
    """A function's handler does not import (Lambda's Runtime.ImportModuleError): the stack cannot serve it."""

    def __init__(self, function: str, handler: str, kind: str, reason: str) -> None:
        super().__init__(f"{function} ({handler}) does not import: {kind}: {reason}")


@dataclass
class Counts:
    """One function's invocations: how many now, the most at once, and how they ended."""

    cap: int
    environments: int = 0  # execution environments alive (warm or busy)
    running: int = 0  # invocations inside an environment now
    most_at_once: int = 0
    invocations: int = 0
    overlapping: int = 0  # invocations that began while another of this function ran
    cold_starts: int = 0
    errors: int = 0
    timeouts: int = 0


class Ledger:
    """Counts per function, and the calls not yet answered (waiting for an environment or running): what
    /_local/settle waits for and GET /_local/functions shows."""

    def __init__(self, caps: dict[str, int]) -> None:
        self._counts = {name: Counts(cap) for name, cap in caps.items()}
        self._lock = threading.Condition()
        self._calls = 0

    @contextmanager
    def call(self) -> Iterator[None]:
        with self._lock:
            self._calls += 1
        try:
            yield
        finally:
            with self._lock:
                self._calls -= 1
                self._lock.notify_all()

    @contextmanager
    def running(self, function: str) -> Iterator[None]:
        counts = self._counts[function]
        with self._lock:
            counts.overlapping += counts.running > 0
            counts.running += 1
            counts.invocations += 1
            counts.most_at_once = max(counts.most_at_once, counts.running)
        try:
            yield
        except FunctionTimeout:
            self.count(function, "timeouts")
            raise
        except Exception:
            self.count(function, "errors")
            raise
        finally:
            with self._lock:
                counts.running -= 1

    def count(self, function: str, what: str, by: int = 1) -> None:
        with self._lock:
            setattr(self._counts[function], what, getattr(self._counts[function], what) + by)

    @property
    def in_flight(self) -> int:
        with self._lock:
            return self._calls

    def report(self) -> list[dict[str, Any]]:
        with self._lock:
            return [{"function": name, **asdict(counts)} for name, counts in sorted(self._counts.items())]


class Runner(Protocol):
    """What runs the functions for the gateway, the pollers and the schedules."""

    ledger: Ledger

    def invoke(self, function: str, event: dict[str, Any]) -> Any: ...

    def warm(self) -> None: ...

    def stop(self) -> None: ...

    @property
    def in_flight(self) -> int: ...


class Invoker:
    """Handlers in this process, one invocation at a time per function."""

    def __init__(self, stack: Stack) -> None:
        self._stack = stack
        self._locks = {name: threading.Lock() for name in stack.functions}
        self._handlers: dict[str, Handler] = {}
        self._import_lock = threading.Lock()
        self.ledger = Ledger({name: 1 for name in stack.functions})

    def handler(self, function: str) -> Handler:
        """Import `module.attr` of the function's Handler on first use, as Lambda does at a cold start."""
        with self._import_lock:
            if function not in self._handlers:
                module_name, _, attr = self._stack.functions[function].handler.rpartition(".")
                self._handlers[function] = getattr(importlib.import_module(module_name), attr)
                self.ledger.count(function, "cold_starts")
                self.ledger.count(function, "environments")
            return self._handlers[function]

    def warm(self) -> None:
        """Import every handler now: one that does not import raises CannotImport."""
        for name, function in self._stack.functions.items():
            try:
                self.handler(name)
            except Exception as exc:
                reason = (str(exc).strip().splitlines() or [""])[0]
                raise CannotImport(name, function.handler, type(exc).__name__, reason) from exc

    def invoke(self, function: str, event: dict[str, Any]) -> Any:
        """Call the handler with a fresh context; exceptions propagate to the caller (gateway or poller)."""
        spec = self._stack.functions[function]
        with self.ledger.call():
            handler = self.handler(function)
            with self._locks[function], self.ledger.running(function):
                return handler(event, LambdaContext(function_name=spec.name, timeout_seconds=spec.timeout))

    @property
    def in_flight(self) -> int:
        return self.ledger.in_flight

    def stop(self) -> None:
        """Nothing runs apart from the caller's threads."""

"""Functions run as Lambda runs them: each invocation in an execution environment of its own, side by side.

An execution environment is a process that imports the function's handler once (its cold start), with the
function's own environment variables, then serves one invocation at a time for as long as it is kept warm, and
talks to AWS (moto's server) over HTTP as a deployed function does. A function gets a new environment when all
of its environments are busy, up to its cap: its ReservedConcurrentExecutions, or the local stack's own cap (an
option of `python -m local`), whichever is lower; a call beyond the cap waits for a free one. Module globals
(Powertools' resolvers, its Logger's keys, caches) are thus one environment's own, as in Lambda, and each log
line carries its own invocation's function name and request id.

An invocation that runs past the function's Timeout is stopped as Lambda stops it: its environment is killed and
the invocation fails ("Task timed out"); the next call gets a fresh environment. An environment whose process
dies fails its invocation the same way.

Environments fork from a server process that has imported the third-party stack once (botocore, boto3, pydantic,
PynamoDB, Powertools' Logger and Metrics: local/preload.py), then import the function's own code, so a cold
start here costs our code's import, not the libraries'. What an environment prints comes back through its pipe
and is written by the stack's own process, a whole line at a time (metrics lines go to GET /_local/metrics).
"""

from __future__ import annotations

import importlib
import json
import multiprocessing
import multiprocessing.forkserver
import os
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from decimal import Decimal
from multiprocessing.connection import Connection
from typing import Any

from local.events import LambdaContext
from local.invoke import CannotImport, FunctionError, FunctionTimeout, Ledger

READY_TIMEOUT_SECONDS = 120.0  # a cold start that takes longer is taken for a hung one
PASSED_THROUGH = ("PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR")  # of the stack's own environment

_context = multiprocessing.get_context("forkserver")
_context.set_forkserver_preload(["local.preload"])


@dataclass(frozen=True)
class Recipe:
    """What an environment of one function is made from."""

    function: str  # the template's logical id
    name: str  # FunctionName
    handler: str  # module.attr
    timeout: int  # seconds
    memory: int  # MB
    environment: dict[str, str]
    path: tuple[str, ...]  # sys.path: the template's CodeUri and layers, then the stack's own


class Environment:
    """One execution environment, seen from the stack: its process and its end of the pipe."""

    def __init__(self, recipe: Recipe) -> None:
        self.recipe = recipe
        self._conn, child = _context.Pipe()
        self.process = _context.Process(
            target=serve, args=(child, recipe), name=f"lambda:{recipe.function}", daemon=True
        )
        self.process.start()
        child.close()

    def wait_ready(self) -> None:
        """Until the handler imported; CannotImport if it did not."""
        message = self._next(time.monotonic() + READY_TIMEOUT_SECONDS)
        if message is None or message[0] != "ready":
            self.kill()
            if message is not None and message[0] == "init_error":
                raise CannotImport(self.recipe.function, self.recipe.handler, message[1], message[2])
            reason = "its init took too long" if message is None else "its process exited during init"
            raise CannotImport(self.recipe.function, self.recipe.handler, "Runtime.ExitError", reason)

    def invoke(self, event: dict[str, Any], request_id: str) -> Any:
        """Run one invocation here; FunctionError when it fails, FunctionTimeout (environment killed) past Timeout."""
        recipe = self.recipe
        try:
            self._conn.send(("invoke", json.dumps(event), request_id))
        except (OSError, ValueError) as exc:
            self.kill()
            raise FunctionError(recipe.function, "Runtime.ExitError", f"the environment is gone ({exc})") from exc
        message = self._next(time.monotonic() + recipe.timeout)
        if message is None:
            self.kill()
            sys.stderr.write(f"{recipe.function} {request_id} Task timed out after {recipe.timeout:.2f} seconds\n")
            raise FunctionTimeout(recipe.function, "Sandbox.Timedout", f"Task timed out after {recipe.timeout} s")
        if message[0] == "exited":
            self.kill()
            raise FunctionError(recipe.function, "Runtime.ExitError", "the environment exited during the invocation")
        if message[0] == "result":
            return json.loads(message[1])
        _, kind, reason, trace = message
        raise FunctionError(recipe.function, kind, reason, trace)

    def _next(self, deadline: float) -> tuple[Any, ...] | None:
        """The next answer of the environment, writing what it prints meanwhile: None past the deadline, ("exited",)
        when its process ended."""
        while True:
            remaining = deadline - time.monotonic()
            try:
                if remaining <= 0 or not self._conn.poll(remaining):
                    return None
                message: tuple[Any, ...] = self._conn.recv()
            except (EOFError, OSError):
                return ("exited",)
            if message[0] == "out":
                sys.stdout.write(message[1])
            elif message[0] == "err":
                sys.stderr.write(message[1])
            else:
                return message

    def stop(self) -> None:
        with suppress(OSError, ValueError):
            self._conn.send(("stop",))
        self.process.join(timeout=2)
        self.kill()

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(timeout=5)
        self._conn.close()


class Pool:
    """One function's environments: warm ones are reused, new ones are made up to the cap."""

    def __init__(self, recipe: Recipe, cap: int, ledger: Ledger) -> None:
        self.recipe, self.cap, self.ledger = recipe, max(1, cap), ledger
        self._idle: list[Environment] = []
        self._every: set[Environment] = set()
        self._alive = 0
        self._changed = threading.Condition()
        self._stopped = False

    @contextmanager
    def acquired(self) -> Iterator[Environment]:
        environment = self._take()
        healthy = False
        try:
            yield environment
            healthy = True
        except FunctionError as exc:
            healthy = exc.kind not in ("Sandbox.Timedout", "Runtime.ExitError")
            raise
        finally:
            self._give_back(environment, healthy)

    def _take(self) -> Environment:
        with self._changed:
            while not self._idle and self._alive >= self.cap and not self._stopped:
                self._changed.wait()
            if self._stopped:
                raise FunctionError(self.recipe.function, "Runtime.Stopped", "the local stack is stopping")
            if self._idle:
                return self._idle.pop()
            self._alive += 1
        self.ledger.count(self.recipe.function, "environments")
        try:
            environment = Environment(self.recipe)
            with self._changed:
                self._every.add(environment)
            environment.wait_ready()
        except BaseException:
            self._forget()
            raise
        self.ledger.count(self.recipe.function, "cold_starts")
        return environment

    def _give_back(self, environment: Environment, healthy: bool) -> None:
        if not healthy or not environment.process.is_alive():
            environment.kill()
            self._forget(environment)
            return
        with self._changed:
            if not self._stopped:
                self._idle.append(environment)
                self._changed.notify()
                return
        environment.stop()
        self._forget(environment)

    def _forget(self, environment: Environment | None = None) -> None:
        self.ledger.count(self.recipe.function, "environments", -1)
        with self._changed:
            self._every.discard(environment)
            self._alive -= 1
            self._changed.notify()

    def stop(self) -> None:
        """Idle environments end; busy ones are killed (their invocations fail, as the stack is going away)."""
        with self._changed:
            self._stopped = True
            idle, self._idle = self._idle, []
            busy = self._every - set(idle)
            self._changed.notify_all()
        for environment in idle:
            environment.stop()
            self._forget(environment)
        for environment in busy:
            environment.kill()


class Workers:
    """Every function's pool: what the gateway, the pollers and the schedules invoke."""

    def __init__(self, recipes: dict[str, Recipe], caps: dict[str, int]) -> None:
        self.ledger = Ledger(caps)
        self.pools = {name: Pool(recipe, caps[name], self.ledger) for name, recipe in recipes.items()}

    def warm(self) -> None:
        """Each function's handler imports: checked in this process, where the code they share imports once (nine
        environments would import it nine times over); CannotImport names the first that does not. Environments
        are made on first use, each a cold start, as Lambda makes them; the server they fork from starts now,
        beside this check."""
        threading.Thread(target=multiprocessing.forkserver.ensure_running, name="forkserver", daemon=True).start()
        for name, pool in self.pools.items():
            module_name, _, attr = pool.recipe.handler.rpartition(".")
            try:
                getattr(importlib.import_module(module_name), attr)
            except Exception as exc:
                reason = (str(exc).strip().splitlines() or [""])[0]
                raise CannotImport(name, pool.recipe.handler, type(exc).__name__, reason) from exc

    def invoke(self, function: str, event: dict[str, Any]) -> Any:
        pool = self.pools[function]
        with self.ledger.call(), pool.acquired() as environment, self.ledger.running(function):
            return environment.invoke(event, str(uuid.uuid4()))

    @property
    def in_flight(self) -> int:
        return self.ledger.in_flight

    def stop(self) -> None:
        for pool in self.pools.values():
            pool.stop()


# -- inside an execution environment ------------------------------------------------------------------------------
class _Lines:
    """Standard output or error of an environment: whole lines, sent to the stack through the pipe."""

    def __init__(self, send: Any, stream: str) -> None:
        self._send, self._stream, self._pending = send, stream, ""
        self._lock = threading.Lock()

    def write(self, text: str) -> int:
        with self._lock:
            self._pending += text
            *lines, self._pending = self._pending.split("\n")
        for line in lines:
            self._send((self._stream, line + "\n"))
        return len(text)

    def flush(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, ""
        if pending:
            self._send((self._stream, pending))

    def isatty(self) -> bool:
        return False


def serve(conn: Connection, recipe: Recipe) -> None:
    """An execution environment's life: the function's environment, its handler's import, then invocations."""
    lock = threading.Lock()

    def send(message: tuple[Any, ...]) -> None:
        with lock:
            conn.send(message)

    os.environ.clear()
    os.environ.update(recipe.environment)
    sys.path[:] = list(recipe.path)
    sys.stdout, sys.stderr = _Lines(send, "out"), _Lines(send, "err")
    try:
        module_name, _, attr = recipe.handler.rpartition(".")
        handler = getattr(importlib.import_module(module_name), attr)
    except BaseException as exc:
        reason = (str(exc).strip().splitlines() or [""])[0]
        send(("init_error", type(exc).__name__, reason))
        return
    send(("ready",))
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message[0] != "invoke":
            return
        _, event, request_id = message
        context = LambdaContext(
            function_name=recipe.name,
            timeout_seconds=recipe.timeout,
            memory_limit_in_mb=recipe.memory,
            aws_request_id=request_id,
        )
        answer: tuple[str, ...]
        try:
            answer = ("result", json.dumps(handler(json.loads(event), context), default=_as_lambda_serializes))
        except Exception as exc:
            answer = ("error", type(exc).__name__, str(exc), traceback.format_exc())
        sys.stdout.flush()
        sys.stderr.flush()
        send(answer)


def _as_lambda_serializes(value: Any) -> Any:
    """Lambda's Python runtime writes a Decimal in an answer as a number; anything else not JSON is an error."""
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def recipes_of(stack: Any, endpoint: str, overrides: dict[str, str]) -> dict[str, Recipe]:
    """Each function's recipe: its own variables, the local overrides, and the variables Lambda itself sets."""
    path = tuple(sys.path)
    passed = {key: os.environ[key] for key in PASSED_THROUGH if key in os.environ}
    recipes = {}
    for logical_id, function in stack.functions.items():
        lambda_own = {
            "AWS_LAMBDA_FUNCTION_NAME": function.name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory),
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{function.name}",
        }
        environment = {**passed, **stack.function_environment(logical_id, endpoint), **overrides, **lambda_own}
        recipes[logical_id] = Recipe(
            logical_id, function.name, function.handler, function.timeout, function.memory, environment, path
        )
    return recipes

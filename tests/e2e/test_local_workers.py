"""Functions run side by side on the local stack, as in Lambda: each invocation in an execution environment of its
own (a process), reused while warm, up to the function's cap; one past its Timeout is stopped and fails; every
log line carries its own invocation's function name and request id. The functions are stand-ins
(tests/e2e/local_functions.py) wired by a tiny template."""

from __future__ import annotations

import json
import textwrap
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from local.invoke import CannotImport, FunctionError, FunctionTimeout
from local.stack import LocalStack

TEMPLATE = """
Globals:
  Function:
    Timeout: 60
Resources:
  MeetA:
    Type: AWS::Serverless::Function
    Properties: {Handler: tests.e2e.local_functions.meet}
  MeetB:
    Type: AWS::Serverless::Function
    Properties: {Handler: tests.e2e.local_functions.meet}
  Lone:
    Type: AWS::Serverless::Function
    Properties: {Handler: tests.e2e.local_functions.meet, ReservedConcurrentExecutions: 1}
  Slow:
    Type: AWS::Serverless::Function
    Properties: {Handler: tests.e2e.local_functions.nap, Timeout: 1}
  Counter:
    Type: AWS::Serverless::Function
    Properties: {Handler: tests.e2e.local_functions.count}
  Crash:
    Type: AWS::Serverless::Function
    Properties: {Handler: tests.e2e.local_functions.crash}
  Fail:
    Type: AWS::Serverless::Function
    Properties: {Handler: tests.e2e.local_functions.fail}
"""


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[LocalStack]:
    template = tmp_path / "template.yaml"
    template.write_text(textwrap.dedent(TEMPLATE))
    local = LocalStack(template=template, concurrency=3)
    yield local
    local.stop()


def counts(stack: LocalStack, function: str) -> dict[str, Any]:
    return next(item for item in stack.invoker.ledger.report() if item["function"] == function)


def at_once(stack: LocalStack, calls: list[tuple[str, dict[str, Any]]]) -> list[Any]:
    """Every call started together, each on a thread of its own (as the gateway and the pollers call)."""
    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(lambda call: stack.invoker.invoke(*call), calls))


def room(tmp_path: Path) -> str:
    folder = tmp_path / f"room-{uuid.uuid4().hex[:6]}"
    folder.mkdir()
    return str(folder)


def test_invocations_of_one_function_run_side_by_side_each_in_its_own_environment(
    stack: LocalStack, tmp_path: Path
) -> None:
    # Given a function whose invocations each wait until three of them are in
    meeting = {"room": room(tmp_path), "expect": 3}

    # When it is invoked three times at once
    answers = at_once(stack, [("MeetA", meeting)] * 3)

    # Then all three ran at once, each in a process of its own, and the stack counted them so
    assert [a["met"] for a in answers] == [3, 3, 3]
    assert len({a["pid"] for a in answers}) == 3
    seen = counts(stack, "MeetA")
    assert (seen["most_at_once"], seen["invocations"], seen["cold_starts"], seen["running"]) == (3, 3, 3, 0)
    assert seen["overlapping"] == 2  # the second and the third began while another ran
    assert stack.invoker.in_flight == 0


def test_an_environment_is_reused_while_warm_and_keeps_its_module_state(stack: LocalStack) -> None:
    # Given a function that counts its invocations in a module global
    # When it is invoked twice, one after the other
    first, second = (stack.invoker.invoke("Counter", {}) for _ in range(2))

    # Then the second ran in the first's warm environment: one cold start, its global carried over
    assert second["pid"] == first["pid"]
    assert (first["count"], second["count"]) == (1, 2)
    assert counts(stack, "Counter")["cold_starts"] == 1


def test_a_function_never_runs_more_at_once_than_its_reserved_concurrency(stack: LocalStack, tmp_path: Path) -> None:
    # Given a function with ReservedConcurrentExecutions 1 (the stack's own cap is 3), each invocation waiting a
    # few seconds for another to come in
    assert stack.caps()["Lone"] == 1
    meeting = {"room": room(tmp_path), "expect": 2, "patience": 2}

    # When it is invoked twice at once
    answers = at_once(stack, [("Lone", meeting)] * 2)

    # Then the second waited for the first's environment: they never met, and it never ran twice at once
    assert sorted(a["met"] for a in answers) == [1, 2]
    assert answers[0]["pid"] == answers[1]["pid"]
    assert (counts(stack, "Lone")["most_at_once"], counts(stack, "Lone")["overlapping"]) == (1, 0)


def test_an_invocation_past_its_timeout_is_stopped_and_fails(stack: LocalStack) -> None:
    # Given a function whose Timeout is 1 second
    # When an invocation sleeps far longer
    with pytest.raises(FunctionTimeout) as stopped:
        stack.invoker.invoke("Slow", {"seconds": 120})

    # Then it failed as Lambda's does, its environment was discarded, and the next call gets a fresh one
    assert "Task timed out" in str(stopped.value)
    assert stack.invoker.invoke("Slow", {"seconds": 0}) == "rested"
    seen = counts(stack, "Slow")
    assert (seen["timeouts"], seen["cold_starts"], seen["invocations"], seen["environments"]) == (1, 2, 2, 1)


def test_a_handler_error_fails_the_invocation_and_a_dead_environment_is_replaced(stack: LocalStack) -> None:
    # Given one function that raises and one whose process exits mid-invocation
    # When each is invoked twice
    for function, kind in (("Fail", "ValueError"), ("Crash", "Runtime.ExitError")):
        for _ in range(2):
            with pytest.raises(FunctionError) as failed:
                stack.invoker.invoke(function, {})
            assert failed.value.kind == kind

    # Then an error leaves its environment warm, while a dead one is replaced by a cold start
    assert counts(stack, "Fail")["cold_starts"] == 1
    assert counts(stack, "Crash")["cold_starts"] == 2
    assert counts(stack, "Fail")["errors"] == counts(stack, "Crash")["errors"] == 2


def test_each_log_line_carries_its_own_invocations_function_and_request_id(
    stack: LocalStack, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given two functions whose handlers share one Powertools Logger (one module), each logging while the other runs
    meeting = {"room": room(tmp_path), "expect": 4}

    # When both run twice at once
    answers = at_once(stack, [("MeetA", meeting), ("MeetB", meeting)] * 2)

    # Then every line names the function and the request that wrote it (its text says which, from its own locals)
    assert [a["met"] for a in answers] == [4, 4, 4, 4]
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    steps = [(line, line["message"]) for line in lines if "step" in line.get("message", {})]
    assert len(steps) == 12
    for line, said in steps:
        assert (line["function_name"], line["function_request_id"]) == (said["by"], said["request"])
    assert {said["request"] for _, said in steps} == {a["request_id"] for a in answers}


def test_a_function_that_does_not_import_is_named_before_the_stack_serves(tmp_path: Path) -> None:
    # Given a template whose one function names a module that does not exist
    template = tmp_path / "template.yaml"
    template.write_text(textwrap.dedent(TEMPLATE).replace("local_functions.nap", "local_functions_gone.nap"))
    local = LocalStack(template=template)

    # When its functions are checked
    with pytest.raises(CannotImport) as refused:
        local.invoker.warm()

    # Then the reason names the function, its handler and the error
    assert str(refused.value).startswith("Slow (tests.e2e.local_functions_gone.nap) does not import: ModuleNotFound")
    local.stop()

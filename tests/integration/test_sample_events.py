"""The sample events of events/ (for `sam local invoke -e`) are real events that our handlers accept."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from local.events import LambdaContext
from local.template import Stack
from local.world import Api

EVENTS = Path(__file__).resolve().parents[2] / "events"
SAMPLES = sorted(EVENTS.glob("*/*.json"))


def function_of(stack: Stack, folder: str) -> str:
    return next(f for f, spec in stack.functions.items() if spec.handler.split(".")[0] == folder)


def test_every_function_has_a_sample_event(stack: Stack) -> None:
    folders = {p.parent.name for p in SAMPLES}
    assert {spec.handler.split(".")[0] for spec in stack.functions.values()} <= folders


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_sample_event_is_handled(sample: Path, api: Api, stack: Stack) -> None:
    event = json.loads(sample.read_text())
    function = function_of(stack, sample.parent.name)
    if "httpMethod" in event:
        # the route is one that template.yaml wires to this very function
        matched = stack.match(event["httpMethod"], event["path"])
        assert matched is not None
        assert matched[0].function == function
        assert matched[0].path == event["resource"]
    response = api.handler(function)(event, LambdaContext(function))
    if "httpMethod" in event:
        assert response["statusCode"] < 500
        body = json.loads(response["body"])
        assert "No route" not in json.dumps(body)
        if sample.stem == "create_company":
            assert response["statusCode"] == 201
            assert body["name"] == "Apex Builders"
    elif "Records" in event:
        # a partial batch answer: the file check of a revision absent here is retried; the others succeed (a test
        # event is skipped, a page or a copy for a connection that does not exist here is dropped)
        retried = sample.parent.name == "file_check"
        expected = [{"itemIdentifier": event["Records"][0]["messageId"]}] if retried else []
        assert response == {"batchItemFailures": expected}
    else:  # a scheduled function, with nothing to do here
        assert response == ({"started": 0} if sample.parent.name == "reconcile" else {"relayed": 0})

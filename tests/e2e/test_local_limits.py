"""The local stack is never kinder than AWS: every limit of tests/unit/test_limits.py, broken on purpose against the
stack's own AWS endpoint (moto's server, with the emulator), gets AWS's error code and message there too."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.e2e.conftest import LocalStackClient
from tests.unit.test_limits import RULES, World

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def world(local_stack: LocalStackClient) -> World:
    return World.made(endpoint_url=local_stack.aws_url, aws_access_key_id="local", aws_secret_access_key="local")


@pytest.mark.parametrize("rule", list(RULES), ids=[rule.__name__ for rule in RULES])
def test_the_local_stack_refuses_what_aws_refuses(world: World, rule: Callable[[World], tuple[str, str]]) -> None:
    # Given a request that breaks one of AWS's limits
    code, message = RULES[rule]

    # When it is sent to the local stack
    got_code, got_message = rule(world)

    # Then the stack refuses it with AWS's error code and message
    assert got_code == code
    assert message in got_message

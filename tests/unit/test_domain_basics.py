"""Small pure pieces of the domain: permission levels, ids, paging tokens, the caller."""

from __future__ import annotations

import pytest

from connectability.db.base import decode_token, encode_token
from connectability.domain.ids import new_id
from connectability.errors import InvalidInput, NotFound, ProjectInactive
from connectability.models.common import Level


def test_levels_are_ordered_lowest_to_highest() -> None:
    order = [Level.none, Level.read_only, Level.standard, Level.admin]
    for i, low in enumerate(order):
        for high in order[i:]:
            assert high.at_least(low)
        for higher in order[i + 1 :]:
            assert not low.at_least(higher)


def test_ids_are_opaque_unique_and_time_ordered() -> None:
    ids = [new_id("prj") for _ in range(200)]
    assert len(set(ids)) == 200
    assert all(i.startswith("prj_") for i in ids)
    assert [i[:16] for i in ids] == sorted(i[:16] for i in ids)


def test_paging_token_round_trips_and_refuses_forgeries() -> None:
    key = {"pk": {"S": "COMPANY#1"}, "sk": {"S": "PROJECT#2"}}
    assert decode_token(encode_token(key)) == key
    assert decode_token(None) is None
    for forged in (
        "garbage!",
        encode_token({"pk": {"N": "1"}}),
        "bnVsbA==",
        encode_token({"pk": {"S": "P"}, "sk": {"S": ""}}),
    ):
        with pytest.raises(InvalidInput):
            decode_token(forged)


def test_errors_carry_status_code_and_rule() -> None:
    error = ProjectInactive("Project p is inactive.")
    assert (error.status, error.code, error.rule) == (409, "project_inactive", "R03")
    assert error.body() == {
        "error": {"code": "project_inactive", "message": "Project p is inactive.", "rule": "R03", "details": None}
    }
    assert NotFound("x").body()["error"]["rule"] is None

"""Building blocks shared by every API model."""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Annotated, Generic, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, StrictBool, StrictInt, StringConstraints

T = TypeVar("T")

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Email = Annotated[str, StringConstraints(strip_whitespace=True, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]


def _iso_text(value: object) -> object:
    """Dates travel as ISO 8601 text; a number is not a date (pydantic would read it as a Unix time)."""
    if isinstance(value, str | date):
        return value
    raise ValueError("must be a date written YYYY-MM-DD")


IsoDate = Annotated[date, BeforeValidator(_iso_text)]
Flag = StrictBool
Count = StrictInt
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


# Every model defers its validator to first use (defer_build): a function imports every model of its tool and
# uses a few, and building them all at import was most of the models' share of a cold start.


class Input(BaseModel):
    """A request body: unknown fields are refused (422, docs/api.md)."""

    model_config = ConfigDict(extra="forbid", defer_build=True)


class Output(BaseModel):
    model_config = ConfigDict(from_attributes=True, defer_build=True)


class Page(Output, Generic[T]):
    items: list[T]
    next_token: str | None = None


class Level(StrEnum):
    """Tool permission levels, lowest to highest (R02)."""

    none = "none"
    read_only = "read_only"
    standard = "standard"
    admin = "admin"

    @property
    def rank(self) -> int:
        return _RANKS[self]

    def at_least(self, other: Level) -> bool:
        return self.rank >= other.rank


_RANKS = {Level.none: 0, Level.read_only: 1, Level.standard: 2, Level.admin: 3}


def utcnow() -> datetime:
    return datetime.now(UTC)

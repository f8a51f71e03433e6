"""Building blocks shared by every API model."""

import unicodedata
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Annotated, Generic, Self, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, StrictBool, StrictInt, StringConstraints

T = TypeVar("T")

# Characters no name, number, title or reason may hold: they break headers and logs (CR, LF, NUL), hide text
# (bidi overrides, as in "Trojan Source"), or cannot be stored at all (lone surrogates). Every other character
# is welcome, joiners included (emoji sequences, Indic and Persian scripts need them).
_REFUSED_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp"})
_REFUSED_FORMATS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff")


def is_control(char: str) -> bool:
    """A character no text field accepts."""
    return char in _REFUSED_FORMATS or unicodedata.category(char) in _REFUSED_CATEGORIES


def name_key(name: str) -> str:
    """Names identify areas, disciplines, sets and drawing numbers regardless of case and spacing."""
    return " ".join(name.split()).casefold()


def refused_character(text: str) -> tuple[int, str] | None:
    """The first character of `text` that no text field accepts, with its position; None when all are fine."""
    return next(((position, char) for position, char in enumerate(text) if is_control(char)), None)


# Characters that show nothing on their own: format characters (zero-width space and joiners, word joiner...),
# and the Hangul fillers that render as blanks. Text made of these and whitespace alone reads as empty.
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0")


def is_blank(text: str) -> bool:
    """True when nothing of `text` would show: whitespace and invisible characters only (or nothing)."""
    return all(char.isspace() or char in _BLANK_LETTERS or unicodedata.category(char) == "Cf" for char in text)


def _no_controls(value: object) -> object:
    """Checked before whitespace is stripped, so a control character is refused wherever it stands. Text that
    shows nothing (zero-width spaces alone) becomes empty, so a field refuses it as it refuses an empty one."""
    if not isinstance(value, str):
        return value
    if (found := refused_character(value)) is not None:
        position, char = found
        raise ValueError(f"must not contain control characters (U+{ord(char):04X} at position {position})")
    return "" if is_blank(value) else value


NoControls = BeforeValidator(_no_controls)
"""Put after a field's StringConstraints: any Unicode but control characters, checked before stripping."""

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), NoControls]
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
Email = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=254, pattern=EMAIL_PATTERN),
    BeforeValidator(_no_controls),
]


def _iso_text(value: object) -> object:
    """Dates travel as ISO 8601 text; a number is not a date (pydantic would read it as a Unix time)."""
    if isinstance(value, str | date):
        return value
    raise ValueError("must be a date written YYYY-MM-DD")


IsoDate = Annotated[date, BeforeValidator(_iso_text)]
Flag = StrictBool
Count = StrictInt
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000), NoControls]


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

    def at_least(self, other: Self) -> bool:
        return self.rank >= other.rank


_RANKS = {Level.none: 0, Level.read_only: 1, Level.standard: 2, Level.admin: 3}


def utcnow() -> datetime:
    return datetime.now(UTC)


class ProjectRef(Output):
    """A project named with its company, as one side of a connection shows it."""

    project_id: str
    project_name: str
    company_id: str
    company_name: str

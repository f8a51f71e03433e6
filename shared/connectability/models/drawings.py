"""API models of the Drawings tool (the Drawings API); the manifest that feeds sync is in models.manifests."""

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal, Self

from pydantic import AfterValidator, ConfigDict, Field, StringConstraints, field_validator, model_validator

from connectability.models.common import Count, Flag, Input, IsoDate, Name, NoControls, Output
from connectability.models.manifests import (
    Area,
    Discipline,
    DrawingSet,
    FileState,
    RevisionState,
    ThumbnailState,
)

MAX_UPLOAD_BYTES = 5 * 1024**3  # one presigned PUT carries at most 5 GB
MAX_MARKUP_BYTES = 64 * 1024
MAX_MARKUP_DEPTH = 32

Number = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64), NoControls]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300), NoControls]
Short = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64), NoControls]
Description = Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000), NoControls]


def _a_name_not_a_path(value: str) -> str:
    """An uploaded file's name is a name: no folders, so it can never steer where a file is written."""
    if "/" in value or "\\" in value or value in (".", ".."):
        raise ValueError("must be a file name, without '/', '\\' or a bare '..'")
    return value


Filename = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=255),
    NoControls,
    AfterValidator(_a_name_not_a_path),
]


class ContentType(StrEnum):
    pdf = "application/pdf"
    png = "image/png"
    jpeg = "image/jpeg"
    tiff = "image/tiff"


class UploadRequest(Input):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"filename": "A-101 Ground floor plan.pdf", "content_type": "application/pdf", "size": 482113}]
        }
    )

    filename: Filename
    content_type: ContentType
    size: Count = Field(gt=0, le=MAX_UPLOAD_BYTES, description="Bytes; at most 5 GB.")


class Upload(Output):
    upload_id: str
    url: str
    method: Literal["PUT"] = "PUT"
    headers: dict[str, str]
    expires_at: datetime


class DisciplineIn(Input):
    name: Short
    position: Count | None = Field(default=None, ge=0, le=10_000)


class AreaIn(Input):
    name: Name
    description: Description | None = None


class AreaUpdate(Input):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"name": "Level 1", "description": "Ground floor, lobby and retail"}]}
    )

    name: Name | None = None
    description: Description | None = None


class DrawingSetIn(Input):
    name: Name
    date: IsoDate


class RevisionCreate(Input):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "upload_id": "upl_01a23fc3a2d9e1b7c4f0aa",
                    "number": "A-101",
                    "title": "Ground floor plan",
                    "revision_number": "1",
                    "status": "For construction",
                    "discipline": {"name": "Architectural", "position": 1},
                    "area": {"name": "Level 1"},
                    "drawing_date": "2026-11-02",
                    "drawing_set": {"name": "Issued for construction", "date": "2026-11-01"},
                }
            ]
        }
    )

    upload_id: str = Field(min_length=1, max_length=64)
    number: Number
    title: Title
    revision_number: Short
    status: Short | None = None
    discipline: DisciplineIn
    area: AreaIn | None = None
    drawing_date: IsoDate | None = None
    received_date: IsoDate | None = None
    drawing_set: DrawingSetIn | None = None


class PublishRequest(Input):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"revision_ids": ["rev_01a23fc3a2d9e1b7c4f0ab", "rev_01a23fc3a2d9e1b7c4f0ac"]}]}
    )

    revision_ids: list[Annotated[str, StringConstraints(min_length=1, max_length=64)]] = Field(
        min_length=1, max_length=2000, description="Up to 2,000 revisions (a whole drawing set) in one call."
    )


class ConnectedPublishRequest(Input):
    """Either the copies to publish, or `all: true` for every copy waiting for review."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"all": True}]})

    revision_ids: list[Annotated[str, StringConstraints(min_length=1, max_length=64)]] | None = Field(
        default=None, min_length=1, max_length=500
    )
    all: Flag | None = None

    @model_validator(mode="after")
    def _one_of(self) -> Self:
        if (self.revision_ids is None) == (not self.all):
            raise ValueError("send either revision_ids or all: true, not both and not neither")
        return self


class Published(Output):
    published: list[str]


class DrawingUpdate(Input):
    """Every field optional; `area: null` takes the drawing out of its area."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"title": "Ground floor plan, revised", "obsolete": False}]}
    )

    title: Title | None = None
    obsolete: Flag | None = None
    discipline: DisciplineIn | None = None
    area: AreaIn | None = None
    drawing_set: DrawingSetIn | None = None
    status: Short | None = None
    drawing_date: IsoDate | None = None
    received_date: IsoDate | None = None


class MarkupCreate(Input):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "revision_id": "rev_01a23fc3a2d9e1b7c4f0ab",
                    "data": {"kind": "pin", "page": 1, "x": 0.42, "y": 0.31, "note": "Check this door swing"},
                }
            ]
        }
    )

    revision_id: str = Field(min_length=1, max_length=64)
    data: dict[str, Any]

    @field_validator("data")
    @classmethod
    def _small(cls, value: dict[str, Any]) -> dict[str, Any]:
        import json

        if _depth(value) > MAX_MARKUP_DEPTH:
            raise ValueError(f"markup data nests deeper than {MAX_MARKUP_DEPTH} levels")
        if len(json.dumps(value, separators=(",", ":")).encode()) > MAX_MARKUP_BYTES:
            raise ValueError("markup data is over 64 KiB")
        return value


def _depth(value: Any) -> int:
    """How deep a JSON value nests, without recursion (a hostile value must not exhaust the stack)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        current, level = stack.pop()
        deepest = max(deepest, level)
        children = current.values() if isinstance(current, dict) else current if isinstance(current, list) else ()
        stack.extend((child, level + 1) for child in children if isinstance(child, dict | list))
    return deepest


class FileInfo(Output):
    content_type: str
    size: int
    sha256: str | None = None
    state: FileState = FileState.ready


class Source(Output):
    """Where a connected copy comes from (R23): its connection, the upstream revision, and the upstream project
    and company by name, so a reader with no access upstream (R22) still sees where it comes from."""

    connection_id: str
    upstream_revision_id: str
    upstream_project_id: str | None = None
    upstream_project_name: str | None = None
    upstream_company_id: str | None = None
    upstream_company_name: str | None = None


class DrawingSource(Output):
    """Where a connected drawing comes from (R23)."""

    connection_id: str
    upstream_project_id: str | None = None
    upstream_project_name: str | None = None
    upstream_company_id: str | None = None
    upstream_company_name: str | None = None


class Thumbnail(Output):
    """A small image of the file's first page, made once when the file is checked."""

    state: ThumbnailState
    url: str | None = Field(default=None, description="A presigned GET of the PNG, valid 15 minutes (ready only).")
    width: int | None = None
    height: int | None = None
    reason: str | None = None


class Arrival(StrEnum):
    """What a connected copy waiting for review brings: a sheet the project does not have yet, or the next
    revision of one it has."""

    new_drawing = "new_drawing"
    new_revision = "new_revision"


class Revision(Output):
    id: str
    drawing_id: str
    number: str
    title: str
    revision_number: str
    status: str | None = None
    state: RevisionState
    drawing_date: date | None = None
    received_date: date | None = None
    drawing_set: DrawingSet | None = None
    discipline: Discipline
    area: Area | None = None
    connected: bool = False
    source: Source | None = None
    file: FileInfo
    thumbnail: Thumbnail = Field(default_factory=lambda: Thumbnail(state=ThumbnailState.pending))
    arrival: Arrival | None = Field(default=None, description="Copies waiting for review only.")
    published_at: datetime | None = None
    deleted_at: datetime | None = None
    deleted_by: str | None = None


class Drawing(Output):
    id: str
    project_id: str
    number: str
    title: str
    obsolete: bool
    discipline: Discipline
    area: Area | None = None
    connected: bool = False
    source: DrawingSource | None = None
    current_revision: Revision | None = None
    revisions: list[Revision] | None = None
    drafts: list[Revision] | None = Field(
        default=None, description="With include_drafts (Drawings admins): the drawing's drafts, newest first."
    )


class FileLink(Output):
    url: str
    expires_at: datetime


class Markup(Output):
    id: str
    drawing_id: str
    revision_id: str
    data: dict[str, Any]
    created_by: str
    created_at: datetime

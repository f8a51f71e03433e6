"""What sync reads and writes: a published revision's manifest in S3 (with the records it names and the states a
revision's file and thumbnail are in), an object S3 says was stored, and the file check's message.

Apart from the API's models (connectability.models.drawings), which import these, so that a function that only
reads or writes manifests (sync, reconcile) does not define the Drawings API's models in its cold start."""

from datetime import date, datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from connectability.models.common import Output


class RevisionState(StrEnum):
    draft = "draft"
    published = "published"
    pending_review = "pending_review"
    deleted = "deleted"


class Discipline(Output):
    name: str
    position: int | None = None


class Area(Output):
    id: str
    name: str
    description: str | None = None


class DrawingSet(Output):
    name: str
    date: date


class FileState(StrEnum):
    checking = "checking"  # a large file being hashed; publishing waits for it
    ready = "ready"


class StoredObject(BaseModel):
    """An object S3 says was stored (an ObjectCreated event's record), as the domain reads it."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    bucket: str
    key: str
    version_id: str | None = None
    size: int | None = None


class FileCheck(BaseModel):
    """Version 1 of the message on the file-checks queue: hash this revision's file."""

    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)

    schema_version: Literal[1] = 1
    project_id: str
    revision_id: str


class ThumbnailState(StrEnum):
    pending = "pending"  # the file is being looked at
    ready = "ready"
    unavailable = "unavailable"  # not a readable file of its type: `reason` says why


class ManifestFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    bucket: str
    key: str
    version_id: str | None = None  # the S3 object version holding exactly these bytes
    sha256: str
    size: int
    content_type: str


class ManifestThumbnail(BaseModel):
    """The revision's thumbnail: a PNG beside the file in the same bucket (ready), or why there is none."""

    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)

    state: ThumbnailState
    key: str | None = None
    version_id: str | None = None
    width: int | None = None
    height: int | None = None
    reason: str | None = None


class RevisionManifest(BaseModel):
    """Version 1 of the contract between the drawings API and sync: one published revision, as it stands now.

    Every field of R20, the file's key and sha256, a `version` that only grows (sync keeps the newest), and
    `deleted`. Readers must ignore fields they do not know; a breaking change gets a new `schema_version`.
    """

    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)

    schema_version: Literal[1] = 1
    version: int = Field(ge=1)
    deleted: bool = False
    company_id: str
    project_id: str
    drawing_id: str
    revision_id: str
    seq: int = Field(default=0, ge=0, description="The revision's place in its drawing, oldest first.")
    number: str
    title: str
    obsolete: bool
    area: Area | None
    discipline: Discipline
    drawing_date: date | None
    received_date: date | None
    revision_number: str
    status: str | None
    drawing_set: DrawingSet | None
    file: ManifestFile
    thumbnail: ManifestThumbnail | None = None  # None: not drawn yet (a later manifest brings it)
    published_at: datetime | None
    read_at: datetime | None = None  # content read after this moment: orders records shared by many revisions
    written_at: datetime

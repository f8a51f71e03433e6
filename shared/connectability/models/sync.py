"""Messages of the sync pipeline: what sync_fanout and sync_copy pass each other through their queues.

The sync-events queue carries S3's manifest events and two messages of our own (an initial-sync page to
enqueue, a digest to check); the copy-jobs queue carries one copy job per (change, active connection).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from connectability.models.drawings import RevisionManifest


class _Message(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    schema_version: Literal[1] = 1


class CopyJob(_Message):
    """Everything one copy needs, so sync_copy reads nothing twice: the manifest and the downstream side."""

    kind: Literal["copy_job"] = "copy_job"
    connection_id: str
    downstream_project_id: str
    downstream_company_id: str
    initial: bool = False  # part of the connection's initial sync: counted in its progress (R29)
    manifest: RevisionManifest


class InitialSyncPage(_Message):
    """Enqueue the copy jobs of one page of the upstream's published revisions, then the next page (R29)."""

    kind: Literal["initial_sync_page"] = "initial_sync_page"
    connection_id: str
    cursor: str = ""  # where this page starts ("" for the first); the connection records the next one


class DigestCheck(_Message):
    """Send the connection's digest of new and deleted drawings if no news came for the quiet period (R39)."""

    kind: Literal["digest_check"] = "digest_check"
    connection_id: str


SyncMessage = Annotated[InitialSyncPage | DigestCheck, Field(discriminator="kind")]
sync_message: TypeAdapter[InitialSyncPage | DigestCheck] = TypeAdapter(SyncMessage)

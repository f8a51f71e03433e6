"""Messages of the sync pipeline: what its functions pass each other through their queues, one kind per queue.

S3's manifest events come on sync-events (read at the handler's edge, connectability.events); ours are these:
a copy job per (change, active connection) on copy-jobs, and on queues of their own an initial-sync page, a
reconcile page, a digest check, and the manifests of a change too big to write them in its request.
"""

from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict

from connectability.models.manifests import RevisionManifest


class _Message(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)

    schema_version: Literal[1] = 1


class CopyJob(_Message):
    """Everything one copy needs, so sync_copy reads nothing twice: the manifest and the downstream side."""

    kind: Literal["copy_job"] = "copy_job"
    connection_id: str
    downstream_project_id: str
    downstream_company_id: str
    initial: bool = False  # part of the connection's initial sync: counted in its progress (R29)
    repair: bool = False  # sent by reconcile: an earlier attempt may have copied the file already (R42)
    manifest: RevisionManifest


class Downstream(Protocol):
    @property
    def connection_id(self) -> str: ...
    @property
    def downstream_project_id(self) -> str: ...
    @property
    def downstream_company_id(self) -> str: ...


def copy_job(
    connection: Downstream, manifest: RevisionManifest, initial: bool = False, repair: bool = False
) -> CopyJob:
    return CopyJob(
        connection_id=connection.connection_id,
        downstream_project_id=connection.downstream_project_id,
        downstream_company_id=connection.downstream_company_id,
        initial=initial,
        repair=repair,
        manifest=manifest,
    )


class InitialSyncPage(_Message):
    """Enqueue the copy jobs of one page of the upstream's published revisions, then the next page (R29)."""

    kind: Literal["initial_sync_page"] = "initial_sync_page"
    connection_id: str
    cursor: str = ""  # where this page starts ("" for the first); the connection records the next one


class ReconcilePage(_Message):
    """Compare one page of the upstream's revisions with the downstream and enqueue the repairs (R42)."""

    kind: Literal["reconcile_page"] = "reconcile_page"
    connection_id: str
    run_id: str
    cursor: str = ""


class DigestCheck(_Message):
    """Send the connection's digest of new and deleted drawings if no news came for the quiet period (R39)."""

    kind: Literal["digest_check"] = "digest_check"
    connection_id: str


class ManifestsDue(_Message):
    """Write the manifests one outbox duty holds: a change too big to write them within its request (R19)."""

    kind: Literal["manifests_due"] = "manifests_due"
    project_id: str
    duty: str  # the outbox duty that holds them, as db.outbox's reference names it
    versions_taken: list[str] = []  # its revisions whose manifest version the change took in its own write

"""What the API shows of sync (R40-R42): where a connection's sync stands, its latest reconcile, and where one
upstream revision stands in each downstream project (its deliveries), and a connection's initial sync. Apart from
the pipeline's messages (models/sync.py), which every sync function imports and none of these."""

from datetime import datetime
from enum import StrEnum

from pydantic import Field

from connectability.models.common import Output, ProjectRef


class InitialSync(Output):
    status: str = Field(
        default="not_started",
        description="not_started, running, complete; or stopped: disconnected while running (an addition).",
    )
    total: int = 0
    copied: int = 0


class SyncFailure(Output):
    upstream_revision_id: str
    error: str
    at: datetime


class ReconcileRun(Output):
    """The latest reconcile of the connection (R42): when, what it found, what it repaired."""

    started_at: datetime | None = None
    finished_at: datetime | None = None
    checked: int = 0
    repairs: int = 0
    stuck_checking: int = Field(default=0, description="Upstream revisions whose file check never finished.")
    dead_letters: int = Field(default=0, description="Messages in the sync dead-letter queues (all connections).")


class SyncStatus(Output):
    """Where a connection's sync stands (R40), exact: counted in the transactions that change what it counts."""

    connection_id: str
    upstream_published: int
    copied: int
    pending_review: int
    published_downstream: int
    failed: int
    lag_seconds: float | None = Field(description="From the newest change upstream to its copy downstream.")
    last_synced_at: datetime | None
    failures: list[SyncFailure]
    initial_sync: InitialSync
    reconcile: ReconcileRun


class DeliveryState(StrEnum):
    waiting = "waiting"  # not arrived yet
    pending_review = "pending_review"
    published = "published"
    deleted = "deleted"
    failed = "failed"


class Delivery(Output):
    """Where one upstream revision stands in one downstream project (a delivery receipt)."""

    connection_id: str
    connection_status: str
    downstream: ProjectRef
    state: DeliveryState
    revision_id: str | None = Field(description="The copy's id in the downstream project, once it arrived.")
    error: str | None = None


class ReconcileStarted(Output):
    started: bool

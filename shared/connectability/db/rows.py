"""What db gives the domain and takes from it: plain, frozen rows of the fields an item holds, never its keys or
index attributes. The domain reads them, builds new ones to write, and hands changes back as fields of these
names; db alone turns them into PynamoDB items (one module per aggregate).

Each is a typing.NamedTuple: immutable, compared by value, `_replace`d to change, `_fields` to list. Every function
defines all of them in its cold start, and a NamedTuple is made with one compiled function where a frozen dataclass
needs six; and this module's annotations are objects, not strings (no `from __future__ import annotations`), since
NamedTuple compiles each string into a ForwardRef. Together: a sixth of their cost as dataclasses
(bench.instructions)."""

from datetime import datetime
from typing import Any, NamedTuple


class CompanyRow(NamedTuple):
    company_id: str
    name: str
    connection_approval: str
    connected_drawings_beta: bool
    created_at: datetime

    @property
    def id(self) -> str:
        return self.company_id


class CompanyUserRow(NamedTuple):
    company_id: str
    user_id: str
    email: str
    name: str
    is_company_admin: bool


class ProjectRow(NamedTuple):
    project_id: str
    company_id: str
    name: str
    status: str
    created_at: datetime

    @property
    def id(self) -> str:
        return self.project_id


class DirectoryEntryRow(NamedTuple):
    """A user's entry in a project's directory: a permission level per tool."""

    project_id: str
    company_id: str
    user_id: str
    connection_manager: str
    drawings: str

    @property
    def permissions(self) -> dict[str, str]:
        return {"connection_manager": self.connection_manager, "drawings": self.drawings}


class SettingsRow(NamedTuple):
    mode: str = "default"
    user_ids: list[str] = []  # shared by every default row: never changed in place (rows are replaced)


class NotificationRow(NamedTuple):
    notification_id: str
    event: str
    project_id: str
    connection_id: str | None
    recipients: list[str]
    subject: str
    text: str
    html: str
    sent_at: datetime


class MarkupRow(NamedTuple):
    markup_id: str
    drawing_id: str
    revision_id: str
    data: Any
    created_by: str
    created_at: datetime


class UploadRow(NamedTuple):
    """An upload: the file (in `bucket` under `key`) declared for it, the revision that took it, if any, and what
    the file check made of each version of its file, by version."""

    project_id: str
    upload_id: str
    filename: str
    content_type: str
    size: int
    bucket: str
    key: str
    created_by: str
    created_at: datetime
    revision_id: str | None = None
    thumbnails: dict[str, dict[str, Any]] = {}  # as SettingsRow.user_ids


class ConnectionRow(NamedTuple):
    """A connection between two projects, its decisions, and where its initial sync and latest reconcile stand."""

    connection_id: str
    status: str
    upstream_project_id: str
    upstream_company_id: str
    downstream_project_id: str
    downstream_company_id: str
    requested_by: str
    requested_at: datetime
    requested_by_name: str | None = None
    decided_by: str | None = None
    decided_by_name: str | None = None
    decided_at: datetime | None = None
    reason: str | None = None
    disconnected_by: str | None = None
    disconnected_by_name: str | None = None
    disconnected_at: datetime | None = None
    disconnect_reason: str | None = None
    initial_sync_status: str = "not_started"
    initial_sync_total: int = 0
    initial_sync_copied: int = 0
    initial_sync_cursor: str | None = None
    initial_sync_pages_done: bool | None = None
    reconcile_run_id: str | None = None
    reconcile_started_at: datetime | None = None
    reconcile_finished_at: datetime | None = None
    reconcile_checked: int | None = None
    reconcile_repairs: int | None = None
    reconcile_stuck_checking: int | None = None


class RoleRow(NamedTuple):
    """A project's place in the topology (R11-R16)."""

    project_id: str
    downstream_state: str = "none"
    downstream_connection_id: str | None = None
    upstream_count: int = 0


class Duty(NamedTuple):
    """A duty a change owes: its kind, what it is about, and when it was recorded."""

    kind: str
    event_id: str  # the duty's id (a notification's: its event's)
    created_at: datetime
    body: str = ""
    project_id: str | None = None
    revision_id: str | None = None
    revision_ids: list[str] | None = None


class DrawingRow(NamedTuple):
    """A drawing: its number and the fields it shares with its revisions, and which revision is its current one."""

    drawing_id: str
    project_id: str
    company_id: str
    number: str
    title: str
    discipline_key: str
    obsolete: bool = False
    area_id: str | None = None
    connected: bool = False
    source_connection_id: str | None = None
    source_project_id: str | None = None
    source_company_id: str | None = None
    current_revision_id: str | None = None
    current_seq: int | None = None
    revision_count: int = 0
    deleted: bool = False


class DrawingNumberRow(NamedTuple):
    """Who holds a drawing number in its project."""

    drawing_id: str


class RevisionNumberRow(NamedTuple):
    """Who holds a revision number in its drawing."""

    revision_id: str


class RevisionRow(NamedTuple):
    """A revision: its fields, its file and thumbnail, its state, and for a connected copy where it comes from."""

    revision_id: str
    drawing_id: str
    project_id: str
    company_id: str
    seq: int
    number: str
    title: str
    revision_number: str
    state: str
    discipline_key: str
    bucket: str
    file_key: str
    content_type: str
    size: int
    created_by: str
    created_at: datetime
    status: str | None = None
    drawing_date: str | None = None
    received_date: str | None = None
    set_key: str | None = None
    area_id: str | None = None
    connected: bool = False
    source_connection_id: str | None = None
    source_revision_id: str | None = None
    source_project_id: str | None = None
    source_company_id: str | None = None
    obsolete: bool | None = None
    synced_version: int | None = None
    file_version: str | None = None
    file_state: str = "ready"
    sha256: str | None = None
    thumbnail_state: str | None = None
    thumbnail_key: str | None = None
    thumbnail_version: str | None = None
    thumbnail_width: int | None = None
    thumbnail_height: int | None = None
    thumbnail_reason: str | None = None
    thumbnail_source: str | None = None
    published_at: datetime | None = None
    manifest_version: int = 0
    deleted_at: datetime | None = None
    deleted_by: str | None = None


class AreaRow(NamedTuple):
    """An area of a project; a connected copy's areas came with its connection (read-only downstream) and carry
    the time of the manifest read they are as of."""

    area_id: str
    name: str
    description: str | None = None
    connection_id: str | None = None
    read_at: datetime | None = None


class AreaNameRow(NamedTuple):
    """Which area holds a name in its project."""

    area_id: str


class DisciplineRow(NamedTuple):
    name: str
    position: int | None = None
    read_at: datetime | None = None  # connected records: as of which manifest read


class SetRow(NamedTuple):
    name: str
    date: str
    read_at: datetime | None = None  # connected records: as of which manifest read


class CounterShardRow(NamedTuple):
    """One shard of a connection's counters: what it counts, and when its latest news and copy came."""

    shard: int
    initial_copied: int = 0
    copied: int = 0  # copies in the downstream, not deleted
    pending_review: int = 0
    published_downstream: int = 0
    failed: int = 0  # upstream revisions whose last copy attempt failed
    news_published: int = 0  # copies waiting for review not yet told (R35)
    news_deleted: int = 0  # drawings deleted upstream not yet told (R36)
    last_news_at: float | None = None  # epoch seconds of the latest news in this shard
    last_synced_at: float | None = None  # epoch seconds of this shard's latest copy
    last_lag: float | None = None  # seconds from that change upstream to its copy downstream


class FailureRow(NamedTuple):
    """The last failed copy of an upstream revision in a connection."""

    upstream_revision_id: str
    error: str
    at: datetime


class RowRecords(NamedTuple):
    """What a drawing or revision points at, as read with it: its discipline, area and (a revision's) set; for a
    connected one, the upstream project and company it comes from (their names)."""

    discipline: DisciplineRow | None = None
    area: AreaRow | None = None
    drawing_set: SetRow | None = None
    source_project: ProjectRow | None = None
    source_company: CompanyRow | None = None


class AuditEntry(NamedTuple):
    """One change a user made (R46): who, when, what (the action, its target, the fields it changed, before and
    after, as plain JSON values), through which request, and whose trails show it: each company's and each
    project's named. db writes it in the transaction of the change itself."""

    entry_id: str
    at: datetime
    user_id: str
    user_name: str | None
    action: str
    target_type: str
    target_ids: list[str]
    company_ids: list[str]
    project_ids: list[str]
    before: dict[str, Any]
    after: dict[str, Any]
    request_id: str | None = None


class TrailFilter(NamedTuple):
    """Which entries of a trail are read: by one user, of one action, between two moments (both included)."""

    user_id: str | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None


class WebhookRow(NamedTuple):
    """A company's endpoint for events (R45); `secrets` are the valid signing secrets, the newest first."""

    company_id: str
    webhook_id: str
    url: str
    event_types: list[str]
    description: str | None
    enabled: bool
    disabled_reason: str | None
    secrets: list[str]
    previous_secret_until: datetime | None
    failures: int
    created_at: datetime
    updated_at: datetime


class WebhookDeliveryRow(NamedTuple):
    """One attempt to deliver one event to one endpoint, for its log."""

    webhook_id: str
    delivery_id: str
    event_id: str
    event_type: str
    attempt: int
    status: str  # delivered, retrying, failed (for good), skipped
    response_code: int | None
    error: str | None
    at: datetime
    duration_ms: int

"""The one place that reads the environment: a pydantic model, read once per process.

A plain model filled from os.environ, not pydantic-settings' BaseSettings: that package (with python-dotenv)
costs more to import than all of pydantic, in every cold start, for a lookup this small.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field


class Settings(BaseModel):
    """Everything a function needs to know about where it runs. Names match template.yaml's variables."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    table_name: str = Field(description="The application table (directory, connections, drawings).")
    idempotency_table_name: str = Field(default="", description="Powertools idempotency records.")
    notifications_queue_url: str = Field(default="", description="Queue the notify function consumes.")
    stack_prefix: str = Field(default="connectability", description="Prefix of per-company bucket names.")
    app_link_base: str = Field(default="https://app.connectability.example", description="Links in emails.")
    mail_sender: str = Field(default="no-reply@connectability.example", description="SES From address.")
    platform_admin_group: str = Field(default="platform-admins", description="Cognito group of platform admins.")
    sync_events_queue_arn: str = Field(default="", description="Queue that company buckets notify of manifests.")
    sync_events_dlq_url: str = Field(default="", description="Where a manifest no retry can read is parked.")
    manifests_due_queue_url: str = Field(default="", description="Queue of the manifests a big change hands off.")
    initial_sync_pages_queue_url: str = Field(default="", description="Queue of initial-sync pages, one at a time.")
    reconcile_pages_queue_url: str = Field(default="", description="Queue of reconcile pages, one at a time.")
    digest_checks_queue_url: str = Field(default="", description="Queue of delayed checks of a connection's news.")
    copy_jobs_queue_url: str = Field(default="", description="Queue of copy jobs, one per change and connection.")
    copy_jobs_dlq_url: str = Field(default="", description="Copy jobs that failed ten times (reconcile reports them).")
    sync_digest_quiet_seconds: int = Field(
        default=30, ge=1, le=900, description="News is mailed once no more came for this long (one mail a burst)."
    )
    multipart_copy_bytes: int = Field(
        default=5 * 1024**3, description="Files above this size are copied in parts (CopyObject's limit is 5 GB)."
    )
    copy_part_bytes: int = Field(default=512 * 1024**2, description="Part size of a multipart copy.")
    aws_endpoint_url: str | None = Field(default=None, description="Set only where AWS is emulated (moto).")
    file_checks_queue_url: str = Field(default="", description="Queue of files too large to hash in a request.")
    thumbnails_queue_arn: str = Field(default="", description="Queue that company buckets notify of uploaded files.")
    thumbnails_queue_url: str = Field(default="", description="The same queue (to retry a message soon).")
    inline_hash_max_bytes: int = Field(
        default=64 * 1024 * 1024, description="Files up to this size are hashed while the revision is created."
    )
    console_origin: str = Field(default="", description="The console's origin, allowed to call the API (CORS).")
    outbox_shards: int = Field(
        default=8,
        ge=1,
        le=100,
        description="Partitions of the outbox (about 1,000 writes a second each); raise it as changes grow, and "
        "lower it only once the outbox is empty.",
    )
    event_bus_name: str = Field(default="", description="The stack's EventBridge bus of events (R44).")
    webhook_deliveries_queue_url: str = Field(default="", description="Queue of webhook deliveries, one each (R45).")
    webhook_deliveries_queue_arn: str = Field(default="", description="The same queue, as its records name it.")
    webhook_allow_loopback: bool = Field(
        default=False,
        description="Let webhooks reach plain http:// on this very machine: for the local stack only (R45).",
    )
    max_body_bytes: int = Field(default=256 * 1024, description="Request bodies above this answer 413.")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Read the environment on first use, not at import, so tests and the local stack can set it first."""
    return Settings.model_validate(from_environment(os.environ))


def from_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """Each field from the variable of its name in any case (TABLE_NAME for table_name), as BaseSettings read it."""
    return {name.lower(): value for name, value in environ.items() if name.lower() in Settings.model_fields}

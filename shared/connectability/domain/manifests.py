"""Manifests: one small JSON object per published revision, written after every change to it, whose S3 event is
the one trigger of sync (R19-R20, R25, R28).

A change records the manifests it owes before it starts (the outbox) and writes them after, so a failure midway,
a dead function or a refusing S3 leaves records the outbox relay finishes from the state as it then is.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime

from botocore.exceptions import BotoCoreError, ClientError

from connectability import storage
from connectability.db import drawings as db
from connectability.db import outbox as outbox_db
from connectability.db.drawings import DrawingItem, RevisionItem
from connectability.domain.drawing_views import revision_views
from connectability.domain.ids import new_id
from connectability.errors import ConnectabilityError
from connectability.models.common import utcnow
from connectability.models.drawings import ManifestFile, Revision, RevisionManifest, RevisionState
from connectability.observability import logger, metrics


@contextmanager
def manifests_follow(project_id: str, revisions: Iterable[RevisionItem]) -> Iterator[None]:
    """Record that these revisions' manifests are due, make the change, then write them.

    If the change fails midway, the function dies, or S3 refuses, the records stay and the outbox relay
    writes the manifests later from the state as it then is: a manifest written twice only gains a version.
    """
    candidates = list({r.revision_id: r for r in revisions if not r.connected})
    if not candidates:
        yield
        return
    intents = outbox_db.intend_manifests(project_id, candidates, [new_id("mfs") for _ in candidates], utcnow())
    try:
        yield
    except ConnectabilityError:
        outbox_db.done(intents)  # refused: nothing changed, nothing to tell
        raise
    write_manifests(project_id, intents)


def write_manifests(project_id: str, intents: list[outbox_db.OutboxItem]) -> int:
    """One manifest per published revision (deleted ones included), from its state now; answers how many.

    Each version is taken before its content is read, with strongly consistent reads: whatever change comes
    later takes a later version, so the newest manifest never carries older content than an earlier one.
    Versions are taken, and manifests written, WRITERS at a time: a set of thousands stays within a request.
    """
    with ThreadPoolExecutor(WRITERS) as pool:
        bumped = list(pool.map(lambda i: db.bump_manifest_version(project_id, i.revision_id or ""), intents))
        due = [(i, r) for i, r in zip(intents, bumped, strict=True) if r is not None]
        finished = [i for i, r in zip(intents, bumped, strict=True) if r is None]  # a draft, a copy, or gone
        read_at = utcnow()  # after every version was taken, before any content is read
        revisions = [r for _, r in due]
        drawings = db.get_drawings(project_id, {r.drawing_id for r in revisions}, consistent=True)
        views = {v.id: v for v in revision_views(project_id, revisions, consistent=True)}
        manifests = [manifest_of(r, drawings[r.drawing_id], views[r.revision_id], read_at) for r in revisions]
        outcomes = list(pool.map(_write, revisions, manifests))
    for (intent, revision), manifest, key in zip(due, manifests, outcomes, strict=True):
        if key is None:
            logger.warning(
                "manifest not written yet; the outbox relay will", extra={"revision_id": revision.revision_id}
            )
            metrics.add_metric(name="ManifestsDeferredToRelay", unit="Count", value=1)
            continue
        logger.debug("manifest written", extra={"key": key, "version": manifest.version, "deleted": manifest.deleted})
        finished.append(intent)
    outbox_db.done(finished)
    return len(finished) - (len(intents) - len(due))


WRITERS = 16


def _write(revision: RevisionItem, manifest: RevisionManifest) -> str | None:
    """The manifest's key, or None when S3 refused it (its intent stays for the relay)."""
    try:
        return storage.write_manifest(revision.bucket, manifest)
    except (BotoCoreError, ClientError):
        logger.exception("manifest not written yet; the outbox relay will", extra={"revision_id": revision.revision_id})
        return None


def manifest_of(revision: RevisionItem, drawing: DrawingItem, view: Revision, read_at: datetime) -> RevisionManifest:
    """The manifest of a revision as read at `read_at`, under the version it holds now."""
    return RevisionManifest(
        version=int(revision.manifest_version),
        deleted=revision.state == RevisionState.deleted.value or bool(drawing.deleted),  # a delete may be finishing
        company_id=revision.company_id,
        project_id=revision.project_id,
        drawing_id=revision.drawing_id,
        revision_id=revision.revision_id,
        seq=int(revision.seq),
        number=revision.number,
        title=revision.title,
        obsolete=bool(drawing.obsolete),
        area=view.area,
        discipline=view.discipline,
        drawing_date=view.drawing_date,
        received_date=view.received_date,
        revision_number=revision.revision_number,
        status=revision.status,
        drawing_set=view.drawing_set,
        file=ManifestFile(
            bucket=revision.bucket,
            key=revision.file_key,
            version_id=revision.file_version,
            sha256=revision.sha256 or "",
            size=int(revision.size),
            content_type=revision.content_type,
        ),
        published_at=revision.published_at,
        read_at=read_at,
        written_at=utcnow(),
    )

"""Publishing a big set goes in transactions of at most a hundred items: revisions, a check of each of their
drawings, the count's shards and the chunk's audit record (DynamoDB refuses a larger transaction, and the request
would fail whole)."""

from __future__ import annotations

import pytest

from connectability.db.audit import PROJECT_CHANGE_ITEMS
from connectability.db.base import TRANSACTION_ITEMS
from connectability.db.drawings import RevisionItem
from connectability.db.publishing import _publish_chunks
from connectability.db.sync_counters import SHARDS


@pytest.mark.parametrize(
    ("revisions", "drawings"), [(1, 1), (91, 1), (92, 1), (93, 1), (250, 1), (250, 250), (500, 37)]
)
def test_every_chunk_fits_one_transaction_and_together_they_hold_every_revision(revisions: int, drawings: int) -> None:
    items = [
        RevisionItem("PROJECT#p", f"REVISION#r{n}", revision_id=f"r{n}", drawing_id=f"d{n % drawings}")
        for n in range(revisions)
    ]
    chunks = _publish_chunks(items)
    for chunk in chunks:
        assert len(chunk) + len({r.drawing_id for r in chunk}) + SHARDS + PROJECT_CHANGE_ITEMS <= TRANSACTION_ITEMS
    assert [r.revision_id for c in chunks for r in c] == [r.revision_id for r in items]
    assert len(chunks) <= revisions // 45 + 1  # and they are full, not one revision each

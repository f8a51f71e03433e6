"""What each operation may cost: AWS calls per operation and sequential round trips per request, pinned.

tests/integration/test_call_counts.py counts them on moto (counts, not times: exact on any machine) and fails when
an operation's calls or round trips grow past its pin here; a change that saves calls should lower its pin. `make
bench`'s table of targets reports the round trips (bench/targets.py). Each pin: (calls, round trips or None where
not pinned, why).
"""

from __future__ import annotations

MAX_ROUND_TRIPS = 8  # what any API request may wait for in turn (issue 10)

Pin = tuple[int, int | None, str]  # calls, round trips (None: not pinned), why


# API routes, as `make bench` drives them.
ROUTES: dict[str, Pin] = {
    "GET /companies/{id}": (1, 1, "the company and the caller's membership of it, in one read"),
    "POST /companies": (
        8,
        8,
        "its bucket: create, versioning, encryption, public block, lifecycle, notify, CORS; the company with its "
        "audit record, one TransactWriteItems (a PutItem before R46)",
    ),
    "POST /projects/{id}/connections": (
        6,
        5,
        "2 reads: both projects, the caller's entries, roles; memberships, companies; 1 transaction; its "
        "notification queued and its event on the bus at once (R44); outbox",
    ),
    "notify: connection_requested": (12, None, "recipients' settings, users (8 reads), idempotency record, mail, log"),
    "POST /connections/{id}/approve": (
        9,
        6,
        "the connection; 1 read of both sides; 1 transaction; mail, bus event (R44) and sync sent at once, outbox; "
        "progress",
    ),
    "notify: connection_created": (24, None, "a connection_requested's calls twice: one mail to each side"),
    "POST /projects/{id}/drawing-revisions": (
        9,
        7,
        "2 reads (rights, upload, number, records); 1 GetObject; claim; tag and records at once; 2 transactions",
    ),
    "publish 1 revision": (
        8,
        8,
        "2 reads (rights, the revision, its drawing); 1 transaction; manifests: 5",
    ),
    "publish 19 revisions at once": (26, 8, "the same; manifests' objects 32 at a time: one wave"),
    "GET /projects/{id}/drawings (20)": (5, 5, "2 reads of the caller's rights; the register; revisions; records"),
    "PATCH /projects/{id}/drawings/{id} (title)": (
        9,
        8,
        "2 reads (rights, the drawing, its records; its revisions meanwhile); 1 transaction; manifests: 5",
    ),
}


# More API routes, in a connected pair: those whose round trips were found over MAX_ROUND_TRIPS.
MORE_ROUTES: dict[str, Pin] = {
    "GET /connections/{id} (downstream CM admin)": (2, 2, "the connection; 1 read of both sides' rights and names"),
    "GET /connections/{id}/sync-status": (6, 6, "the connection; rights; counters; failures; 2 DLQs' depths"),
    "GET /projects/{id}/drawings/{id}": (3, 2, "2 reads (rights, the drawing, its records; its revisions meanwhile)"),
    "GET /projects/{id}/drawing-revisions/{id}/deliveries": (6, 6, "2 reads; links; connections; copies; names"),
    "PATCH /projects/{id}/drawing-areas/{id} (3 published)": (
        13,
        8,
        "2 reads (rights, the area; its revisions meanwhile); 1 transaction; manifests: 5",
    ),
    "POST /projects/{id}/connected-drawings/publish (3 ids)": (
        11,
        8,
        "2 reads (rights, the copies); per copy a transaction, in turn (the first with the event's outbox duty, "
        "R44); drawings, made current at once, while the event goes on the bus and its duty is cleared",
    ),
    "POST /projects/{id}/connected-drawings/publish (3, all)": (
        12,
        8,
        "2 reads; the queue; per copy a transaction, in turn (the first with the event's duty); drawings, made "
        "current at once, while the event goes on the bus and its duty is cleared (R44)",
    ),
    "POST /connections/{id}/reject": (
        6,
        5,
        "the connection; 1 read of both sides; 1 transaction; mail and bus event (R44) at once, outbox",
    ),
    "POST /connections/{id}/cancel": (
        5,
        5,
        "the connection; 1 read of both sides; 1 transaction, its event's duty in it; the event on the bus, outbox",
    ),
    "POST /connections/{id}/disconnect": (
        6,
        5,
        "the connection; 1 read of both sides; 1 transaction; mail and bus event (R44) at once, outbox",
    ),
}


# Sync steps, as the test drives them: every call of the pipeline's functions.
SHEETS = 3  # revisions per step: one batch of each queue, so the counts do not hang on batching
DOWNSTREAMS = 2
STEPS: dict[str, Pin] = {
    # 3 revisions x 2 downstreams = 6 copies: 10.7 calls per copied revision per downstream, mails included
    "initial sync": (
        66,
        None,
        "pages and progress; per batch one read; per copy a CopyObject, a transaction; mails; 2 events on the bus",
    ),
    "publish (the request)": (10, 8, "2 reads; 1 transaction, the versions in it; manifests: 5 (3 objects at once)"),
    # 6 copies: 9.5 per copied revision per downstream, of which notify's mails are 25 calls in all
    "publish (the pipeline)": (
        59,
        None,
        "per manifest a read; per batch the jobs, one read; per copy a CopyObject, a transaction",
    ),
    "edit (the request)": (9, 8, "2 reads (its revisions meanwhile); 1 transaction; manifests: 5"),
    "edit (the pipeline)": (7, None, "1 manifest read, fan-out; one read for the batch; per downstream a transaction"),
    "delete (the request)": (9, 8, "2 reads (its revisions meanwhile); 1 transaction; manifests: 5"),
    # 2 downstreams: 22.5 per downstream, of which notify's deletion mails are 21 calls in all
    "delete (the pipeline)": (47, None, "1 manifest read, fan-out; one read; per downstream a transaction, a digest"),
}

"""The audit trail (R46): every change a user makes is recorded with who, when, what it changed (the fields, before
and after) and the request, in the transaction of the change itself (db.audit). Here the domain builds an entry
from a change it is about to make, and company admins and a project's Connection Manager admins read their
trails, filtered, a page at a time, as JSON or CSV.

A change whose record names a before is made only to what was read (db.base.as_read), so the before is exact:
when another change came between, the read and the change are made again (until_written).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from enum import Enum
from typing import Any, NamedTuple, TypeVar

from connectability.db import audit as audit_db
from connectability.db.rows import AuditEntry, ConnectionRow, TrailFilter
from connectability.domain.ids import new_id
from connectability.domain.permissions import CM, Caller, company_admin_for, tool_level_at_least
from connectability.errors import InvalidInput, InvalidState
from connectability.models.audit import AuditAction, AuditRecord, TrailQuery
from connectability.models.common import Level, Page, utcnow

T = TypeVar("T")
ATTEMPTS = 3  # reads and writes of a change that another change keeps coming between


def entry(
    caller: Caller,
    name: str | None,
    action: AuditAction,
    target_type: str,
    target_ids: Iterable[str],
    *,
    companies: Iterable[str],
    projects: Iterable[str] = (),
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
) -> AuditEntry:
    """An entry of a change the caller (named `name`, as their company knows them) makes now."""
    return AuditEntry(
        entry_id=new_id("aud"),
        at=utcnow(),
        user_id=caller.user_id,
        user_name=name,
        action=action.value,
        target_type=target_type,
        target_ids=list(dict.fromkeys(target_ids)),
        company_ids=list(dict.fromkeys(companies)),
        project_ids=list(dict.fromkeys(projects)),
        before={k: plain(v) for k, v in (before or {}).items()},
        after={k: plain(v) for k, v in (after or {}).items()},
        request_id=caller.request_id,
    )


def of_connection(
    caller: Caller,
    name: str | None,
    action: AuditAction,
    connection: ConnectionRow,
    before: Mapping[str, Any],
    after: Mapping[str, Any],
) -> AuditEntry:
    """A connection's change is in the trails of both its projects and both their companies."""
    return entry(
        caller,
        name,
        action,
        "connection",
        [connection.connection_id],
        companies=[connection.upstream_company_id, connection.downstream_company_id],
        projects=[connection.upstream_project_id, connection.downstream_project_id],
        before=before,
        after=after,
    )


def changed(row: object | None, changes: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The fields of `changes` whose value differs from the row's (None: the row did not exist), before and
    after, as plain JSON values."""
    was = {name: getattr(row, name, None) for name in changes} if row is not None else {}
    names = [name for name, value in changes.items() if plain(was.get(name)) != plain(value)]
    return {n: plain(was[n]) for n in names if n in was}, {n: plain(changes[n]) for n in names}


def fields_of(row: NamedTuple) -> dict[str, Any]:
    """A row's fields that hold a value, as plain JSON values (what a creation records as its `after`)."""
    return {name: plain(v) for name, v in row._asdict().items() if v is not None}


def plain(value: Any) -> Any:
    """A value as JSON holds it: times and dates in ISO 8601, enums by value."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(v) for v in value]
    return value


def until_written(attempt: Callable[[bool], T | None], what: str) -> T:
    """Make a change from what it reads, again while another change comes between the read and the write (the
    write refused, None): every try after the first reads strongly. 409 if it keeps happening."""
    for n in range(ATTEMPTS):
        done = attempt(n > 0)
        if done is not None:
            return done
    raise InvalidState(f"{what} kept changing while this request ran; try again.")


# -- reading ---------------------------------------------------------------------------------------------------
def company_trail(
    caller: Caller, company_id: str, query: TrailQuery, limit: int, next_token: str | None
) -> Page[AuditRecord]:
    """Every change to the company and its projects, newest first: for its company admins."""
    company_admin_for(caller, company_id)
    return _page(*audit_db.company_trail(company_id, _filter(query), limit, next_token))


def project_trail(
    caller: Caller, project_id: str, query: TrailQuery, limit: int, next_token: str | None
) -> Page[AuditRecord]:
    """Every change to the project (its connections on either side too), newest first: for its Connection
    Manager admins."""
    tool_level_at_least(caller, project_id, CM, Level.admin)
    return _page(*audit_db.project_trail(project_id, _filter(query), limit, next_token))


def _page(entries: list[AuditEntry], token: str | None) -> Page[AuditRecord]:
    return Page[AuditRecord](items=[_record(e) for e in entries], next_token=token)


def _filter(query: TrailQuery) -> TrailFilter:
    """The query as db reads it, its moments in UTC; refused when `from` is after `to`."""
    q = query.in_utc()
    if q.since is not None and q.until is not None and q.since > q.until:
        raise InvalidInput(
            "`from` is after `to`; give the earlier moment as `from`.",
            details=[{"field": "from", "message": "after `to`"}],
        )
    action = q.action.value if q.action is not None else None
    return TrailFilter(user_id=q.user_id, action=action, since=q.since, until=q.until)


def _record(e: AuditEntry) -> AuditRecord:
    return AuditRecord(
        id=e.entry_id,
        at=e.at,
        user_id=e.user_id,
        user_name=e.user_name,
        action=AuditAction(e.action),
        target_type=e.target_type,
        target_ids=e.target_ids,
        company_ids=e.company_ids,
        project_ids=e.project_ids,
        before=e.before,
        after=e.after,
        request_id=e.request_id,
    )


CSV_COLUMNS = (
    "id",
    "at",
    "user_id",
    "user_name",
    "action",
    "target_type",
    "target_ids",
    "company_ids",
    "project_ids",
    "before",
    "after",
    "request_id",
)


def as_csv(page: Page[AuditRecord]) -> str:
    """The page's entries as CSV: a header row, then one row per entry; lists as space-separated ids, before and
    after as JSON in their cells."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for r in page.items:
        writer.writerow(
            _cell(value)
            for value in [
                r.id,
                r.at.isoformat(),
                r.user_id,
                r.user_name or "",
                r.action.value,
                r.target_type,
                " ".join(r.target_ids),
                " ".join(r.company_ids),
                " ".join(r.project_ids),
                json.dumps(r.before, sort_keys=True, ensure_ascii=False),
                json.dumps(r.after, sort_keys=True, ensure_ascii=False),
                r.request_id or "",
            ]
        )
    return out.getvalue()


_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _cell(text: str) -> str:
    """A spreadsheet runs a cell that starts like a formula (a user named "=HYPERLINK(...)"): such text is
    written after an apostrophe, which shows it as text."""
    return f"'{text}" if text.startswith(_FORMULA) else text

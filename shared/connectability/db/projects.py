"""The project aggregate: the project item and its directory entries (R02)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial

from pynamodb.attributes import UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import DoesNotExist
from pynamodb.expressions.condition import Condition
from pynamodb.transactions import TransactWrite

from connectability.db import audit as audit_db
from connectability.db import companies as companies_db
from connectability.db.base import (
    Changes,
    Gsi1,
    Item,
    Ref,
    as_read,
    as_row,
    lost_race,
    packed,
    page,
    ref,
    transaction,
    written,
)
from connectability.db.companies import company_key
from connectability.db.rows import AuditEntry, CompanyUserRow, DirectoryEntryRow, ProjectRow


def project_key(project_id: str) -> str:
    return f"PROJECT#{project_id}"


class ProjectItem(Item):
    gsi1 = Gsi1()
    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()
    project_id = UnicodeAttribute()
    company_id = UnicodeAttribute()
    name = UnicodeAttribute()
    status = UnicodeAttribute(default="active")
    created_at = UTCDateTimeAttribute()


class DirectoryEntryItem(Item):
    gsi1 = Gsi1()
    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()
    project_id = UnicodeAttribute()
    company_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    connection_manager = UnicodeAttribute(default="none")
    drawings = UnicodeAttribute(default="none")


def put_project(project: ProjectRow, audit: AuditEntry) -> None:
    """Create a project, with its record (R46)."""
    item = ProjectItem(
        project_key(project.project_id),
        "PROJECT",
        gsi1pk=f"{company_key(project.company_id)}#PROJECTS",
        gsi1sk=project_key(project.project_id),
        **project._asdict(),
    )
    with transaction() as tx:
        tx.save(item, condition=ProjectItem.pk.does_not_exist())
        audit_db.record(tx, audit)


def update_project(project: ProjectRow, changes: Changes, audit: AuditEntry) -> ProjectRow | None:
    """Set the given fields (only those, so concurrent edits of others are kept) of the project as read, with the
    change's record; the project as the change left it, or None when it had changed meanwhile (nothing written)."""
    key = ProjectItem(project_key(project.project_id), "PROJECT")
    was = {name: getattr(project, name) for name in changes}
    return project._replace(**changes) if audit_db.update_as_read(key, was, changes, audit) else None


def project_ref(project_id: str) -> Ref[ProjectRow]:
    return ref(ProjectItem, ProjectRow, project_key(project_id), "PROJECT")


def entry_ref(project_id: str, user_id: str) -> Ref[DirectoryEntryRow]:
    """A user's entry in a project's directory."""
    return ref(DirectoryEntryItem, DirectoryEntryRow, project_key(project_id), f"MEMBER#{user_id}")


def get_project(project_id: str) -> ProjectRow | None:
    try:
        return as_row(ProjectRow, ProjectItem.get(project_key(project_id), "PROJECT"))
    except DoesNotExist:
        return None


def get_projects(project_ids: Iterable[str]) -> dict[str, ProjectRow]:
    keys = [(project_key(p), "PROJECT") for p in set(project_ids)]
    return {i.project_id: as_row(ProjectRow, i) for i in ProjectItem.batch_get(keys)} if keys else {}


def company_projects(company_id: str, limit: int, next_token: str | None) -> tuple[list[ProjectRow], str | None]:
    """A page of every project of a company, oldest first."""
    items, token = page(ProjectItem.gsi1, f"{company_key(company_id)}#PROJECTS", limit=limit, next_token=next_token)
    return [as_row(ProjectRow, i) for i in items], token


def member_projects(
    user_id: str, company_id: str, limit: int, next_token: str | None
) -> tuple[list[ProjectRow], str | None]:
    """A page of the projects of one company whose directory holds the user."""
    entries, token = page(
        DirectoryEntryItem.gsi1,
        f"USER#{user_id}",
        DirectoryEntryItem.gsi1sk.startswith(f"MEMBER#{company_id}#"),
        limit=limit,
        next_token=next_token,
    )
    ids = [entry.project_id for entry in entries]
    projects = get_projects(ids)
    return [projects[i] for i in ids if i in projects], token


def entries_of_user(user_id: str, company_id: str | None = None) -> list[DirectoryEntryRow]:
    """Every directory entry of a user, optionally in one company's projects."""
    prefix = f"MEMBER#{company_id}#" if company_id else "MEMBER#"
    query = DirectoryEntryItem.gsi1.query(f"USER#{user_id}", DirectoryEntryItem.gsi1sk.startswith(prefix))
    return [as_row(DirectoryEntryRow, e) for e in query]


def get_entry(project_id: str, user_id: str) -> DirectoryEntryRow | None:
    try:
        return as_row(DirectoryEntryRow, DirectoryEntryItem.get(project_key(project_id), f"MEMBER#{user_id}"))
    except DoesNotExist:
        return None


def _entry_item(entry: DirectoryEntryRow) -> DirectoryEntryItem:
    return DirectoryEntryItem(
        project_key(entry.project_id),
        f"MEMBER#{entry.user_id}",
        gsi1pk=f"USER#{entry.user_id}",
        gsi1sk=f"MEMBER#{entry.company_id}#{entry.project_id}",
        **entry._asdict(),
    )


def _entry_as_read(entry: DirectoryEntryRow) -> Condition:
    return as_read(DirectoryEntryItem, {"connection_manager": entry.connection_manager, "drawings": entry.drawings})


def put_entry(entry: DirectoryEntryRow, before: DirectoryEntryRow | None, audit: AuditEntry) -> bool:
    """Add a user's directory entry, or replace it as read (`before`), with the change's record; False when it
    was added, changed or removed meanwhile (nothing written)."""
    condition = DirectoryEntryItem.pk.does_not_exist() if before is None else _entry_as_read(before)

    def write() -> None:
        with transaction() as tx:
            tx.save(_entry_item(entry), condition=condition)
            audit_db.record(tx, audit)

    return written(write, lost_race)


def delete_entry(entry: DirectoryEntryRow, audit: AuditEntry) -> bool:
    """Remove a directory entry as read, with the change's record; False when it changed meanwhile."""

    def write() -> None:
        with transaction() as tx:
            tx.delete(_entry_item(entry), condition=_entry_as_read(entry))
            audit_db.record(tx, audit)

    return written(write, lost_race)


def remove_company_user(
    user: CompanyUserRow, entries: list[tuple[DirectoryEntryRow, AuditEntry]], audit: AuditEntry
) -> bool:
    """Remove a user's directory entries in the company's projects, then the user, each as read and each with its
    record, in as few transactions as hold them (the user in the last). False when one of them changed
    meanwhile: what an earlier transaction removed stays removed, with its records; the rest is not written."""

    def remove_entry(entry: DirectoryEntryRow, record: AuditEntry, tx: TransactWrite) -> None:
        tx.delete(_entry_item(entry), condition=_entry_as_read(entry))
        audit_db.record(tx, record)

    def remove_user(tx: TransactWrite) -> None:
        companies_db.remove_company_user(tx, user)
        audit_db.record(tx, audit)

    parts: list[tuple[int, Callable[[TransactWrite], None]]] = [
        (1 + audit_db.items_for(record), partial(remove_entry, entry, record)) for entry, record in entries
    ]
    parts.append((1 + audit_db.items_for(audit), remove_user))
    for chunk in packed(parts):

        def write(chunk: list[Callable[[TransactWrite], None]] = chunk) -> None:
            with transaction() as tx:
                for part in chunk:
                    part(tx)

        if not written(write, lost_race):
            return False
    return True


def directory(project_id: str, limit: int, next_token: str | None) -> tuple[list[DirectoryEntryRow], str | None]:
    entries, token = page(
        DirectoryEntryItem,
        project_key(project_id),
        DirectoryEntryItem.sk.startswith("MEMBER#"),
        limit=limit,
        next_token=next_token,
    )
    return [as_row(DirectoryEntryRow, e) for e in entries], token


def directory_members(project_id: str) -> list[DirectoryEntryRow]:
    """The whole directory of a project (notification recipients)."""
    query = DirectoryEntryItem.query(project_key(project_id), DirectoryEntryItem.sk.startswith("MEMBER#"))
    return [as_row(DirectoryEntryRow, e) for e in query]

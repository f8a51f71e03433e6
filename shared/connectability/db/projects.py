"""The project aggregate: the project item and its directory entries (R02)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from pynamodb.attributes import UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import DoesNotExist

from connectability.db.base import Changes, Gsi1, Item, Ref, as_row, page, ref, update_fields
from connectability.db.companies import company_key
from connectability.db.rows import DirectoryEntryRow, ProjectRow


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


def put_project(project_id: str, company_id: str, name: str, created_at: datetime) -> ProjectRow:
    item = ProjectItem(
        project_key(project_id),
        "PROJECT",
        gsi1pk=f"{company_key(company_id)}#PROJECTS",
        gsi1sk=project_key(project_id),
        project_id=project_id,
        company_id=company_id,
        name=name,
        status="active",
        created_at=created_at,
    )
    item.save(condition=ProjectItem.pk.does_not_exist())
    return as_row(ProjectRow, item)


def update_project(project_id: str, changes: Changes) -> ProjectRow:
    """Set the given fields (only those, so concurrent edits of others are kept); the project as it is now."""
    item = ProjectItem(project_key(project_id), "PROJECT")
    update_fields(item, changes)
    return as_row(ProjectRow, item)


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


def put_entry(project: ProjectRow, user_id: str, connection_manager: str, drawings: str) -> DirectoryEntryRow:
    item = DirectoryEntryItem(
        project_key(project.project_id),
        f"MEMBER#{user_id}",
        gsi1pk=f"USER#{user_id}",
        gsi1sk=f"MEMBER#{project.company_id}#{project.project_id}",
        project_id=project.project_id,
        company_id=project.company_id,
        user_id=user_id,
        connection_manager=connection_manager,
        drawings=drawings,
    )
    item.save()
    return as_row(DirectoryEntryRow, item)


def delete_entry(project_id: str, user_id: str) -> None:
    DirectoryEntryItem(project_key(project_id), f"MEMBER#{user_id}").delete()


def delete_entries(entries: Iterable[DirectoryEntryRow]) -> None:
    with DirectoryEntryItem.batch_write() as batch:
        for entry in entries:
            batch.delete(DirectoryEntryItem(project_key(entry.project_id), f"MEMBER#{entry.user_id}"))


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

"""The project aggregate: the project item and its directory entries (R02)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from pynamodb.attributes import UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import DoesNotExist

from connectability.db.base import Gsi1, Item, Ref, page
from connectability.db.companies import company_key


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

    @property
    def id(self) -> str:
        return self.project_id


class DirectoryEntryItem(Item):
    gsi1 = Gsi1()
    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()
    project_id = UnicodeAttribute()
    company_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    connection_manager = UnicodeAttribute(default="none")
    drawings = UnicodeAttribute(default="none")

    @property
    def permissions(self) -> dict[str, str]:
        return {"connection_manager": self.connection_manager, "drawings": self.drawings}


def put_project(project_id: str, company_id: str, name: str, created_at: datetime) -> ProjectItem:
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
    return item


def project_ref(project_id: str) -> Ref[ProjectItem]:
    return Ref(ProjectItem, project_key(project_id), "PROJECT")


def entry_ref(project_id: str, user_id: str) -> Ref[DirectoryEntryItem]:
    """A user's entry in a project's directory."""
    return Ref(DirectoryEntryItem, project_key(project_id), f"MEMBER#{user_id}")


def get_project(project_id: str) -> ProjectItem | None:
    try:
        return ProjectItem.get(project_key(project_id), "PROJECT")
    except DoesNotExist:
        return None


def get_projects(project_ids: Iterable[str]) -> dict[str, ProjectItem]:
    keys = [(project_key(p), "PROJECT") for p in set(project_ids)]
    return {item.project_id: item for item in ProjectItem.batch_get(keys)} if keys else {}


def company_projects(company_id: str, limit: int, next_token: str | None) -> tuple[list[ProjectItem], str | None]:
    """A page of every project of a company, oldest first."""
    return page(ProjectItem.gsi1, f"{company_key(company_id)}#PROJECTS", limit=limit, next_token=next_token)


def member_projects(
    user_id: str, company_id: str, limit: int, next_token: str | None
) -> tuple[list[ProjectItem], str | None]:
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


def entries_of_user(user_id: str, company_id: str | None = None) -> list[DirectoryEntryItem]:
    """Every directory entry of a user, optionally in one company's projects."""
    prefix = f"MEMBER#{company_id}#" if company_id else "MEMBER#"
    return list(DirectoryEntryItem.gsi1.query(f"USER#{user_id}", DirectoryEntryItem.gsi1sk.startswith(prefix)))


def get_entry(project_id: str, user_id: str) -> DirectoryEntryItem | None:
    try:
        return DirectoryEntryItem.get(project_key(project_id), f"MEMBER#{user_id}")
    except DoesNotExist:
        return None


def put_entry(project: ProjectItem, user_id: str, connection_manager: str, drawings: str) -> DirectoryEntryItem:
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
    return item


def delete_entry(project_id: str, user_id: str) -> None:
    DirectoryEntryItem(project_key(project_id), f"MEMBER#{user_id}").delete()


def delete_entries(entries: Iterable[DirectoryEntryItem]) -> None:
    with DirectoryEntryItem.batch_write() as batch:
        for entry in entries:
            batch.delete(entry)


def directory(project_id: str, limit: int, next_token: str | None) -> tuple[list[DirectoryEntryItem], str | None]:
    return page(
        DirectoryEntryItem,
        project_key(project_id),
        DirectoryEntryItem.sk.startswith("MEMBER#"),
        limit=limit,
        next_token=next_token,
    )


def directory_members(project_id: str) -> list[DirectoryEntryItem]:
    """The whole directory of a project (notification recipients)."""
    return list(DirectoryEntryItem.query(project_key(project_id), DirectoryEntryItem.sk.startswith("MEMBER#")))

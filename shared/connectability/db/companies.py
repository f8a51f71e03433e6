"""The company aggregate: the company item and its users (R01)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from pynamodb.attributes import BooleanAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import DoesNotExist

from connectability.db.base import Changes, Gsi1, Item, Ref, as_row, page, ref, update_fields, written
from connectability.db.rows import CompanyRow, CompanyUserRow
from connectability.errors import AlreadyExists


def company_key(company_id: str) -> str:
    return f"COMPANY#{company_id}"


class CompanyItem(Item):
    company_id = UnicodeAttribute()
    name = UnicodeAttribute()
    connection_approval = UnicodeAttribute(default="manual")
    connected_drawings_beta = BooleanAttribute(default=False)
    created_at = UTCDateTimeAttribute()


class CompanyUserItem(Item):
    gsi1 = Gsi1()
    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()
    company_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    email = UnicodeAttribute()
    name = UnicodeAttribute()
    is_company_admin = BooleanAttribute(default=False)


def put_company(company_id: str, name: str, approval: str, beta: bool, created_at: datetime) -> CompanyRow:
    item = CompanyItem(
        company_key(company_id),
        "COMPANY",
        company_id=company_id,
        name=name,
        connection_approval=approval,
        connected_drawings_beta=beta,
        created_at=created_at,
    )
    if not written(lambda: item.save(condition=CompanyItem.pk.does_not_exist())):
        raise AlreadyExists(f"A company with id {company_id} exists already.")
    return as_row(CompanyRow, item)


def update_company(company_id: str, changes: Changes) -> CompanyRow:
    """Set the given fields (only those, so concurrent edits of others are kept); the company as it is now."""
    item = CompanyItem(company_key(company_id), "COMPANY")
    update_fields(item, changes)
    return as_row(CompanyRow, item)


def company_ref(company_id: str) -> Ref[CompanyRow]:
    return ref(CompanyItem, CompanyRow, company_key(company_id), "COMPANY")


def company_user_ref(company_id: str, user_id: str) -> Ref[CompanyUserRow]:
    return ref(CompanyUserItem, CompanyUserRow, company_key(company_id), f"USER#{user_id}")


def get_company(company_id: str) -> CompanyRow | None:
    try:
        return as_row(CompanyRow, CompanyItem.get(company_key(company_id), "COMPANY"))
    except DoesNotExist:
        return None


def get_companies(company_ids: Iterable[str]) -> dict[str, CompanyRow]:
    keys = [(company_key(c), "COMPANY") for c in set(company_ids)]
    return {i.company_id: as_row(CompanyRow, i) for i in CompanyItem.batch_get(keys)} if keys else {}


def get_company_user(company_id: str, user_id: str) -> CompanyUserRow | None:
    try:
        return as_row(CompanyUserRow, CompanyUserItem.get(company_key(company_id), f"USER#{user_id}"))
    except DoesNotExist:
        return None


def put_company_user(
    company_id: str, user_id: str, email: str, name: str, is_company_admin: bool
) -> tuple[CompanyUserRow, bool]:
    """Create or replace a company user; answers the user and whether it is new."""
    item = CompanyUserItem(
        company_key(company_id),
        f"USER#{user_id}",
        gsi1pk=f"USER#{user_id}",
        gsi1sk=company_key(company_id),
        company_id=company_id,
        user_id=user_id,
        email=email,
        name=name,
        is_company_admin=is_company_admin,
    )
    created = written(lambda: item.save(condition=CompanyUserItem.pk.does_not_exist()))
    if not created:
        item.save()
    return as_row(CompanyUserRow, item), created


def delete_company_user(company_id: str, user_id: str) -> None:
    CompanyUserItem(company_key(company_id), f"USER#{user_id}").delete()


def memberships_page(user_id: str, limit: int, next_token: str | None) -> tuple[list[CompanyUserRow], str | None]:
    """A page of a user's company memberships (one identity in several companies, R01), and the next's token."""
    items, token = page(
        CompanyUserItem.gsi1,
        f"USER#{user_id}",
        CompanyUserItem.gsi1sk.startswith("COMPANY#"),
        limit=limit,
        next_token=next_token,
    )
    return [as_row(CompanyUserRow, u) for u in items], token


def company_users(company_id: str, user_ids: Iterable[str]) -> list[CompanyUserRow]:
    keys = [(company_key(company_id), f"USER#{u}") for u in set(user_ids)]
    return [as_row(CompanyUserRow, u) for u in CompanyUserItem.batch_get(keys)] if keys else []


def company_admins(company_id: str) -> list[CompanyUserRow]:
    """The company admins of a company (eligible notification recipients, R38)."""
    users = CompanyUserItem.query(company_key(company_id), CompanyUserItem.sk.startswith("USER#"))
    return [as_row(CompanyUserRow, u) for u in users if u.is_company_admin]

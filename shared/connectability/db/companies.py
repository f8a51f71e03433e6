"""The company aggregate: the company item and its users (R01)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pynamodb.attributes import BooleanAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import DoesNotExist
from pynamodb.expressions.condition import Condition
from pynamodb.transactions import TransactWrite

from connectability.db import audit as audit_db
from connectability.db.base import (
    Changes,
    Gsi1,
    Item,
    Ref,
    as_read,
    as_row,
    lost_race,
    page,
    ref,
    transaction,
    written,
)
from connectability.db.rows import AuditEntry, CompanyRow, CompanyUserRow
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


def put_company(company: CompanyRow, audit: AuditEntry) -> None:
    """Create a company, with its record (R46)."""
    item = CompanyItem(company_key(company.company_id), "COMPANY", **_fields(company))

    def write() -> None:
        with transaction() as tx:
            tx.save(item, condition=CompanyItem.pk.does_not_exist())
            audit_db.record(tx, audit)

    if not written(write):
        raise AlreadyExists(f"A company with id {company.company_id} exists already.")


def update_company(company: CompanyRow, changes: Changes, audit: AuditEntry) -> CompanyRow | None:
    """Set the given fields (only those, so concurrent edits of others are kept) of the company as read, with the
    change's record; the company as the change left it, or None when it had changed meanwhile (nothing written)."""
    key = CompanyItem(company_key(company.company_id), "COMPANY")
    was = {name: getattr(company, name) for name in changes}
    return company._replace(**changes) if audit_db.update_as_read(key, was, changes, audit) else None


def _fields(row: CompanyRow | CompanyUserRow) -> dict[str, Any]:
    return row._asdict()


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


def put_company_user(user: CompanyUserRow, before: CompanyUserRow | None, audit: AuditEntry) -> bool:
    """Add a company user, or replace one as read (`before`), with the change's record; False when the user was
    added, changed or removed meanwhile (nothing written)."""
    item = company_user_item(user)
    condition = CompanyUserItem.pk.does_not_exist() if before is None else _user_as_read(before)

    def write() -> None:
        with transaction() as tx:
            tx.save(item, condition=condition)
            audit_db.record(tx, audit)

    return written(write, lost_race)


def company_user_item(user: CompanyUserRow) -> CompanyUserItem:
    """A company user's item, listed under the user's identity (gsi1) too."""
    return CompanyUserItem(
        company_key(user.company_id),
        f"USER#{user.user_id}",
        gsi1pk=f"USER#{user.user_id}",
        gsi1sk=company_key(user.company_id),
        **_fields(user),
    )


def _user_as_read(user: CompanyUserRow) -> Condition:
    return as_read(CompanyUserItem, {n: getattr(user, n) for n in ("email", "name", "is_company_admin")})


def remove_company_user(tx: TransactWrite, user: CompanyUserRow) -> None:
    """Remove a company user as read, in a transaction (db.projects.remove_company_user)."""
    tx.delete(company_user_item(user), condition=_user_as_read(user))


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

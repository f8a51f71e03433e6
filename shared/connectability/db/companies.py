"""The company aggregate: the company item and its users (R01)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from pynamodb.attributes import BooleanAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import DoesNotExist, PutError

from connectability.db.base import Gsi1, Item, Ref, error_code, page
from connectability.errors import AlreadyExists

CONDITION_FAILED = "ConditionalCheckFailedException"


def company_key(company_id: str) -> str:
    return f"COMPANY#{company_id}"


class CompanyItem(Item):
    company_id = UnicodeAttribute()
    name = UnicodeAttribute()
    connection_approval = UnicodeAttribute(default="manual")
    connected_drawings_beta = BooleanAttribute(default=False)
    created_at = UTCDateTimeAttribute()

    @property
    def id(self) -> str:
        return self.company_id


class CompanyUserItem(Item):
    gsi1 = Gsi1()
    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()
    company_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    email = UnicodeAttribute()
    name = UnicodeAttribute()
    is_company_admin = BooleanAttribute(default=False)


def put_company(company_id: str, name: str, approval: str, beta: bool, created_at: datetime) -> CompanyItem:
    item = CompanyItem(
        company_key(company_id),
        "COMPANY",
        company_id=company_id,
        name=name,
        connection_approval=approval,
        connected_drawings_beta=beta,
        created_at=created_at,
    )
    try:
        item.save(condition=CompanyItem.pk.does_not_exist())
    except PutError as exc:
        if error_code(exc) == CONDITION_FAILED:
            raise AlreadyExists(f"A company with id {company_id} exists already.") from exc
        raise
    return item


def company_ref(company_id: str) -> Ref[CompanyItem]:
    return Ref(CompanyItem, company_key(company_id), "COMPANY")


def company_user_ref(company_id: str, user_id: str) -> Ref[CompanyUserItem]:
    return Ref(CompanyUserItem, company_key(company_id), f"USER#{user_id}")


def get_company(company_id: str) -> CompanyItem | None:
    try:
        return CompanyItem.get(company_key(company_id), "COMPANY")
    except DoesNotExist:
        return None


def get_companies(company_ids: Iterable[str]) -> dict[str, CompanyItem]:
    keys = [(company_key(c), "COMPANY") for c in set(company_ids)]
    return {item.company_id: item for item in CompanyItem.batch_get(keys)} if keys else {}


def get_company_user(company_id: str, user_id: str) -> CompanyUserItem | None:
    try:
        return CompanyUserItem.get(company_key(company_id), f"USER#{user_id}")
    except DoesNotExist:
        return None


def put_company_user(
    company_id: str, user_id: str, email: str, name: str, is_company_admin: bool
) -> tuple[CompanyUserItem, bool]:
    """Create or replace a company user; answers the item and whether it is new."""
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
    try:
        item.save(condition=CompanyUserItem.pk.does_not_exist())
        return item, True
    except PutError as exc:
        if error_code(exc) != CONDITION_FAILED:
            raise
    item.save()
    return item, False


def delete_company_user(company_id: str, user_id: str) -> None:
    CompanyUserItem(company_key(company_id), f"USER#{user_id}").delete()


def memberships_page(user_id: str, limit: int, next_token: str | None) -> tuple[list[CompanyUserItem], str | None]:
    """A page of a user's company memberships (one identity in several companies, R01), and the next's token."""
    return page(
        CompanyUserItem.gsi1,
        f"USER#{user_id}",
        CompanyUserItem.gsi1sk.startswith("COMPANY#"),
        limit=limit,
        next_token=next_token,
    )


def company_users(company_id: str, user_ids: Iterable[str]) -> list[CompanyUserItem]:
    keys = [(company_key(company_id), f"USER#{u}") for u in set(user_ids)]
    return list(CompanyUserItem.batch_get(keys)) if keys else []


def company_admins(company_id: str) -> list[CompanyUserItem]:
    """The company admins of a company (eligible notification recipients, R38)."""
    users = CompanyUserItem.query(company_key(company_id), CompanyUserItem.sk.startswith("USER#"))
    return [u for u in users if u.is_company_admin]

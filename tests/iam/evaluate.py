"""IAM's decision for one request against a set of statements: an explicit Deny wins, then an Allow, else denied.

Within one account a role's identity policies decide alone (no resource policy denies here); a service principal
sending to a queue is decided by the queue's resource policy alone. Matching follows IAM's documented rules:
actions are matched without regard to case, resources with it, `*` and `?` are the only wildcards in both, and a
statement applies only when every one of its condition operators holds. The condition operators understood are
those the template uses; any other one raises, so a new one cannot pass unchecked.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from typing import Any

ALLOW, DENY, IMPLICIT = "allow", "explicit deny", "no statement allows it"


@cache
def _glob(pattern: str, case_sensitive: bool) -> re.Pattern[str]:
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(f"^{body}$", 0 if case_sensitive else re.IGNORECASE | re.DOTALL)


def matches(pattern: str, value: str, case_sensitive: bool = True) -> bool:
    return bool(_glob(pattern, case_sensitive).match(value))


def _listed(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _string_test(operator: str) -> tuple[bool, bool]:
    """(glob?, case sensitive?) of a string or ARN operator."""
    if operator in ("StringEquals", "ArnEquals"):
        return False, True
    if operator == "StringEqualsIgnoreCase":
        return False, False
    if operator in ("StringLike", "ArnLike"):
        return True, True
    raise NotImplementedError(f"condition operator {operator} is not understood by this proof")


def _holds(operator: str, expected: list[str], actual: list[str]) -> bool:
    base = operator.removesuffix("IfExists")
    if not actual:
        return operator.endswith("IfExists") or base.startswith(("StringNot", "ArnNot"))
    if base == "Bool":
        return all(a.lower() == e.lower() for a in actual for e in expected)
    negated = base.startswith(("StringNot", "ArnNot"))
    positive = base.replace("StringNot", "String").replace("ArnNot", "Arn")
    glob, case = _string_test(positive)
    found = any(
        (matches(e, a, case) if glob else (a == e if case else a.lower() == e.lower()))
        for e in expected
        for a in actual
    )
    return not found if negated else found


def conditions_hold(condition: dict[str, Any] | None, context: dict[str, Any]) -> bool:
    lowered = {k.lower(): v for k, v in context.items()}
    for operator, entries in (condition or {}).items():
        if operator.startswith(("ForAnyValue:", "ForAllValues:")):
            raise NotImplementedError(f"condition operator {operator} is not understood by this proof")
        for key, expected in entries.items():
            if not _holds(operator, _listed(expected), _listed(lowered.get(key.lower()))):
                return False
    return True


def principal_matches(statement: dict[str, Any], service: str | None) -> bool:
    """For a resource policy: does the statement name this service principal (or everyone)?"""
    if "Principal" not in statement:
        return True  # identity policies have none
    principal = statement["Principal"]
    if principal == "*":
        return True
    if service is None:
        return False
    return service in _listed(principal.get("Service")) or "*" in _listed(principal.get("AWS"))


def applies(
    statement: dict[str, Any], action: str, resource: str, context: dict[str, Any], service: str | None
) -> bool:
    if "Action" in statement:
        if not any(matches(p, action, case_sensitive=False) for p in _listed(statement["Action"])):
            return False
    elif any(matches(p, action, case_sensitive=False) for p in _listed(statement.get("NotAction"))):
        return False
    if "Resource" in statement:
        if not any(matches(p, resource) for p in _listed(statement["Resource"])):
            return False
    elif any(matches(p, resource) for p in _listed(statement.get("NotResource"))):
        return False
    return principal_matches(statement, service) and conditions_hold(statement.get("Condition"), context)


def decide(
    statements: Iterable[dict[str, Any]],
    action: str,
    resource: str,
    context: dict[str, Any] | None = None,
    service: str | None = None,
) -> str:
    """ALLOW, DENY or IMPLICIT for `action` on `resource` (by a service principal, for resource policies)."""
    decision = IMPLICIT
    for statement in statements:
        if applies(statement, action, resource, context or {}, service):
            if statement.get("Effect") == "Deny":
                return DENY
            decision = ALLOW
    return decision

"""The recorded calls held against the roles, both ways: every request allowed; every grant used or explained.

A grant is one (function, action, resource pattern) of an Allow statement of the function's role, actions
expanded with policyuniverse (so `sqs:SendMessage*` is every action it names). It is used when some request the
function made has that action on a resource the pattern matches. One that is not must carry a written reason
(tests/iam/reasons.py: permissions that Lambda itself uses with the role, never seen as a call of ours); a
reason that explains nothing any more fails too, so the list cannot rot.

Company buckets tell queues of new objects: S3 checks that the queue's policy lets it send before it accepts
the bucket's notification configuration, so every notification a function configured is held against the
queue's resource policy, with the bucket's ARN and the account as S3 sends them.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from policyuniverse.expander_minimizer import get_actions_from_statement

from local.template import ACCOUNT, TEMPLATE
from tests.iam.evaluate import ALLOW, decide, matches
from tests.iam.reasons import REASONS, Reason
from tests.iam.record import Recorded
from tests.iam.roles import Statement, function_roles, resource_policies

S3_SERVICE = "s3.amazonaws.com"


@dataclass(frozen=True)
class Grant:
    function: str
    policy: str
    sid: str
    action: str
    resource: str

    def __str__(self) -> str:
        origin = f"{self.policy}{'/' + self.sid if self.sid else ''}"
        return f"{self.function}: {self.action} on {self.resource} ({origin})"


@dataclass
class Report:
    requests: int = 0
    functions: int = 0
    denied: list[str] = field(default_factory=list)
    unmapped: list[str] = field(default_factory=list)
    notifications: int = 0
    refused_notifications: list[str] = field(default_factory=list)
    grants: int = 0
    used: int = 0
    explained: list[tuple[Grant, Reason]] = field(default_factory=list)
    unused: list[Grant] = field(default_factory=list)
    stale_reasons: list[Reason] = field(default_factory=list)
    least_privilege_checked: bool = True

    @property
    def allowed(self) -> bool:
        return not (self.denied or self.unmapped or self.refused_notifications)

    @property
    def least(self) -> bool:
        return not (self.unused or self.stale_reasons)

    @property
    def passed(self) -> bool:
        return self.allowed and (self.least or not self.least_privilege_checked)

    def lines(self) -> list[str]:
        out = [
            f"every call allowed: {'yes' if self.allowed else 'NO'} - {self.requests} distinct requests by "
            f"{self.functions} functions; {self.notifications} bucket notifications held against their queues' policies"
        ]
        out += [f"  DENIED {line}" for line in self.denied]
        out += [f"  UNMAPPED (teach tests/iam/requests.py) {line}" for line in self.unmapped]
        out += [f"  REFUSED by the queue's policy {line}" for line in self.refused_notifications]
        if not self.least_privilege_checked:
            out.append("least privilege: not checked (a partial run; the whole suite checks it)")
            return out
        out.append(
            f"every grant used or explained: {'yes' if self.least else 'NO'} - {self.grants} grants, {self.used} "
            f"used by calls, {len(self.explained)} with a written reason"
        )
        out += [f"  UNUSED {grant}" for grant in self.unused]
        out += [f"  STALE reason (explains no unused grant): {reason}" for reason in self.stale_reasons]
        return out


def _shape(resource: str) -> str:
    """A resource with its ids (ours, S3's version ids) blanked: the kind of thing a request touched."""
    return re.sub(r"[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}|[0-9a-f]{12,}", "*", resource)


def _listed(value: object) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def grants(roles: dict[str, list[Statement]]) -> list[Grant]:
    found = []
    for function, statements in sorted(roles.items()):
        for statement in statements:
            if statement.document.get("Effect") != "Allow":
                continue
            resources = _listed(statement.document.get("Resource")) or ["*"]
            for action in sorted(get_actions_from_statement(statement.document)):
                for resource in resources:
                    found.append(Grant(function, statement.policy, statement.sid, action, resource))
    return found


def prove(recorded: Recorded, stack_name: str, least_privilege: bool = True, template: Path = TEMPLATE) -> Report:
    roles = function_roles(stack_name, template)
    report = Report(least_privilege_checked=least_privilege)
    by_function: dict[str, list[tuple[str, str]]] = defaultdict(list)
    denied: dict[tuple[str, str, str, str], list[str]] = {}
    for (function, action, resource, why), test in sorted(recorded.requests.items()):
        by_function[function].append((action, resource))
        report.requests += 1
        if function not in roles:
            report.denied.append(f"{function} is no function of the template ({test})")
            continue
        decision = decide((s.document for s in roles[function]), action, resource)
        if decision != ALLOW:
            because = f" - {why}" if why else ""
            line = f"{function}: {action} on {resource}{because} [{decision}; first in {test}]"
            denied.setdefault((function, action, _shape(resource), why), []).append(line)
    for lines in denied.values():  # one line per kind of denial, however many resources it hit
        report.denied.append(lines[0] + (f" (and {len(lines) - 1} more like it)" if len(lines) > 1 else ""))
    report.functions = len(by_function)
    report.unmapped = [
        f"{function}: {operation} [first in {test}]"
        for (function, operation), test in sorted(recorded.unmapped.items())
    ]

    queue_policies = resource_policies(stack_name, template)
    for (function, bucket, queue), test in sorted(recorded.notifications.items()):
        report.notifications += 1
        context = {"aws:SourceArn": f"arn:aws:s3:::{bucket}", "aws:SourceAccount": ACCOUNT}
        statements = queue_policies.get(queue, [])
        if decide(statements, "sqs:SendMessage", queue, context, service=S3_SERVICE) != ALLOW:
            report.refused_notifications.append(f"{bucket} → {queue}, configured by {function} [{test}]")

    if not least_privilege:
        return report
    used_reasons: set[Reason] = set()
    for grant in grants(roles):
        report.grants += 1
        calls = by_function.get(grant.function, [])
        if any(action.lower() == grant.action and matches(grant.resource, resource) for action, resource in calls):
            report.used += 1
            continue
        reason = next(
            (r for r in REASONS if r.explains(grant.function, grant.policy, grant.action, grant.resource)), None
        )
        if reason is None:
            report.unused.append(grant)
        else:
            report.explained.append((grant, reason))
            used_reasons.add(reason)
    report.stale_reasons = [r for r in REASONS if r not in used_reasons]
    return report

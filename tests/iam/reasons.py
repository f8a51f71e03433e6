"""Why a grant that no call of ours uses is still in a role: each reason names the grants it explains.

Patterns are IAM-style globs (`*`, `?`) over the function's logical id, the policy the grant comes from (an
inline policy's name or a managed policy's ARN), the action (lowercase, as expanded) and the resource pattern.
"""

from __future__ import annotations

from dataclasses import dataclass

from tests.iam.evaluate import matches


@dataclass(frozen=True)
class Reason:
    text: str
    policy: str = "*"
    action: str = "*"
    function: str = "*"
    resource: str = "*"

    def explains(self, function: str, policy: str, action: str, resource: str) -> bool:
        return (
            matches(self.function, function)
            and matches(self.policy, policy)
            and matches(self.action, action, case_sensitive=False)
            and matches(self.resource, resource)
        )

    def __str__(self) -> str:
        return f"{self.function} / {self.policy} / {self.action} / {self.resource}: {self.text}"


REASONS: list[Reason] = [
    Reason(
        "Lambda writes the function's logs with its role (SAM adds this policy to every function).",
        policy="arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
    ),
    Reason(
        "Lambda sends the function's traces to X-Ray with its role (Tracing: Active).",
        policy="arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess",
    ),
    Reason(
        "Lambda's SQS poller receives and deletes each batch with the function's role, and writes its logs "
        "(SAM adds this policy for an SQS event source).",
        policy="arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole",
    ),
    Reason(
        "Lambda sends a scheduled run that failed to this queue with the function's role (EventInvokeConfig's "
        "on-failure destination).",
        policy="*EventInvokeConfigOnFailureSQSPolicy",
        action="sqs:sendmessage",
    ),
]

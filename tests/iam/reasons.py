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
        "Powertools idempotency reads a stored record with GetItem when DynamoDB's answer to its conditional put "
        "does not carry the record; DynamoDB's (and moto's) answers carry it, so the suite never sees that read.",
        action="dynamodb:getitem",
        resource="*-idempotency",
    ),
    Reason(
        "Powertools idempotency deletes a request's record when the request ends without an answer it keeps (a "
        "refusal of its body, an error), so that its retry runs anew; the suite retries such a request through the "
        "directory API and the notify function only.",
        action="dynamodb:deleteitem",
        resource="*-idempotency",
    ),
    Reason(
        "A manifest that names no file version (RevisionManifest's file.version_id is optional) is copied from the "
        "current version, which S3 authorizes as s3:GetObject; every manifest the suite writes names its version.",
        function="SyncCopyFunction",
        action="s3:getobject",
        resource="*/uploads/*",
    ),
    Reason(
        "A copy above 5 GB is made in parts, and a part that fails aborts the upload (storage.copy_file); the "
        "suite's multipart copies all succeed.",
        function="SyncCopyFunction",
        action="s3:abortmultipartupload",
    ),
    Reason(
        "A thumbnail drawn while its upload's revision is still being written comes back within seconds "
        "(queues.retry_soon); the suite does not reach that race through the function's handler.",
        function="FileCheckFunction",
        action="sqs:changemessagevisibility",
    ),
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

"""What IAM is asked when an SDK call is made: one call → the (action, resource ARN) pairs AWS authorizes.

An API operation and an IAM action are not one to one (SendMessageBatch is authorized as sqs:SendMessage, a GET
that names a VersionId as s3:GetObjectVersion, CopyObject reads one object and writes another, a transaction asks
for each item's own action). The operations the product makes are listed here, each with the conditions AWS
documents ("Required permissions for Amazon S3 API operations", DynamoDB's and SQS's API permission tables); an
operation not listed fails the proof until it is taught here. The IAM side comes from policy-sentry's database of
the Service Authorization Reference: every action named here must exist there and take the resource type used,
and every ARN is built from that database's ARN format for the type.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import unquote

from policy_sentry.querying.actions import get_privilege_info
from policy_sentry.querying.arns import get_arn_type_details

PARTITION = "aws"


@dataclass(frozen=True)
class Request:
    """One authorization request: an action on one resource, and why the call needs it (when not obvious)."""

    action: str
    resource: str
    why: str = ""


class Unmapped(LookupError):
    """An operation this module does not know yet: teach it here, with the permissions AWS documents."""


@cache
def resource_types(action: str) -> frozenset[str]:
    """The resource types IAM authorizes `service:Action` against (empty: only "*")."""
    service, name = action.split(":", 1)
    info = get_privilege_info(service, name)  # raises for an action the database does not know
    return frozenset(t for t in info["resource_types"] if t)


@cache
def _raw_arn(service: str, resource_type: str) -> str:
    return str(get_arn_type_details(service, resource_type)["raw_arn"])


def arn(service: str, resource_type: str, region: str, account: str, **fields: str) -> str:
    """The ARN of a resource, in the format the IAM database gives for its type."""
    values = {"Partition": PARTITION, "Region": region, "Account": account, **fields}
    return re.sub(r"\$\{(\w+)\}", lambda m: values[m.group(1)], _raw_arn(service, resource_type))


class _Context:
    """Builds the requests of one call: `ask(action, type, why, **fields)` checks the pair against the database."""

    def __init__(self, region: str, account: str) -> None:
        self.region, self.account = region, account
        self.requests: list[Request] = []

    def ask(self, action: str, resource_type: str | None, why: str = "", **fields: str) -> None:
        service = action.split(":", 1)[0]
        types = resource_types(action)
        if resource_type is None:
            resource = "*"
        else:
            if resource_type not in types:
                raise Unmapped(f"{action} is not authorized on a {resource_type} (the database says {sorted(types)})")
            resource = arn(service, resource_type, self.region, self.account, **fields)
        self.requests.append(Request(action, resource, why))


Mapper = Callable[[_Context, dict[str, Any], str | None], None]
_MAPPERS: dict[tuple[str, str], Mapper] = {}


def _maps(service: str, *operations: str) -> Callable[[Mapper], Mapper]:
    def register(mapper: Mapper) -> Mapper:
        for operation in operations:
            _MAPPERS[(service, operation)] = mapper
        return mapper

    return register


def requests_of(
    service: str, operation: str, params: dict[str, Any], region: str, account: str, error: str | None = None
) -> list[Request]:
    """The authorization requests of one call of `service`'s `operation` with `params`; `error` is the error
    code AWS answered, if any (some answers depend on a permission: a missing key is 404 only with ListBucket)."""
    mapper = _MAPPERS.get((service, operation))
    if mapper is None:
        raise Unmapped(f"{service}:{operation}")
    context = _Context(region, account)
    mapper(context, params, error)
    return context.requests


# -- S3 -----------------------------------------------------------------------------------------------------------
MISSING = ("404", "NoSuchKey", "NotFound")


def _object(c: _Context, action: str, bucket: str, key: str, why: str = "") -> None:
    c.ask(action, "object", why, BucketName=bucket, ObjectName=key)


def _bucket(c: _Context, action: str, bucket: str, why: str = "") -> None:
    c.ask(action, "bucket", why, BucketName=bucket)


@_maps("s3", "GetObject", "HeadObject")
def _get_object(c: _Context, p: dict[str, Any], error: str | None) -> None:
    _object(c, "s3:GetObjectVersion" if p.get("VersionId") else "s3:GetObject", p["Bucket"], p["Key"])
    if error in MISSING:
        _bucket(c, "s3:ListBucket", p["Bucket"], "a missing key answers 404 only with s3:ListBucket (403 without)")


@_maps("s3", "PutObject", "CreateMultipartUpload")
def _put_object(c: _Context, p: dict[str, Any], error: str | None) -> None:
    _object(c, "s3:PutObject", p["Bucket"], p["Key"])
    if p.get("Tagging"):
        _object(c, "s3:PutObjectTagging", p["Bucket"], p["Key"], "the object is written with tags")
    if p.get("ACL") or any(k.startswith("Grant") for k in p):
        _object(c, "s3:PutObjectAcl", p["Bucket"], p["Key"], "the object is written with an ACL")


@_maps("s3", "UploadPart", "CompleteMultipartUpload")
def _upload_part(c: _Context, p: dict[str, Any], error: str | None) -> None:
    _object(c, "s3:PutObject", p["Bucket"], p["Key"])


@_maps("s3", "AbortMultipartUpload")
def _abort(c: _Context, p: dict[str, Any], error: str | None) -> None:
    _object(c, "s3:AbortMultipartUpload", p["Bucket"], p["Key"])


def _copy_source(p: dict[str, Any]) -> tuple[str, str, str | None]:
    source = p["CopySource"]
    if isinstance(source, dict):
        return source["Bucket"], source["Key"], source.get("VersionId")
    path, _, query = str(source).lstrip("/").partition("?versionId=")
    bucket, _, key = path.partition("/")
    return bucket, unquote(key), query or None


@_maps("s3", "CopyObject", "UploadPartCopy")
def _copy(c: _Context, p: dict[str, Any], error: str | None) -> None:
    bucket, key, version = _copy_source(p)
    _object(c, "s3:GetObjectVersion" if version else "s3:GetObject", bucket, key, "the copy's source")
    _object(c, "s3:PutObject", p["Bucket"], p["Key"], "the copy's target")
    if "PartNumber" not in p and p.get("TaggingDirective", "COPY") == "COPY":
        # Tags are copied unless the request replaces them: reading the source's tags, writing the target's.
        tagging = "s3:GetObjectVersionTagging" if version else "s3:GetObjectTagging"
        _object(c, tagging, bucket, key, "CopyObject copies the source's tags (TaggingDirective COPY)")
        _object(c, "s3:PutObjectTagging", p["Bucket"], p["Key"], "CopyObject copies the source's tags")
    elif p.get("Tagging"):
        _object(c, "s3:PutObjectTagging", p["Bucket"], p["Key"], "the copy is written with tags")


@_maps("s3", "PutObjectTagging")
def _put_tagging(c: _Context, p: dict[str, Any], error: str | None) -> None:
    action = "s3:PutObjectVersionTagging" if p.get("VersionId") else "s3:PutObjectTagging"
    _object(c, action, p["Bucket"], p["Key"])


@_maps("s3", "GetObjectTagging")
def _get_tagging(c: _Context, p: dict[str, Any], error: str | None) -> None:
    action = "s3:GetObjectVersionTagging" if p.get("VersionId") else "s3:GetObjectTagging"
    _object(c, action, p["Bucket"], p["Key"])


@_maps("s3", "DeleteObject")
def _delete(c: _Context, p: dict[str, Any], error: str | None) -> None:
    _object(c, "s3:DeleteObjectVersion" if p.get("VersionId") else "s3:DeleteObject", p["Bucket"], p["Key"])


@_maps("s3", "DeleteObjects")
def _delete_many(c: _Context, p: dict[str, Any], error: str | None) -> None:
    for item in p["Delete"]["Objects"]:
        action = "s3:DeleteObjectVersion" if item.get("VersionId") else "s3:DeleteObject"
        _object(c, action, p["Bucket"], item["Key"])


_BUCKET_ACTIONS = {
    "PutPublicAccessBlock": "s3:PutBucketPublicAccessBlock",
    "PutBucketEncryption": "s3:PutEncryptionConfiguration",
    "PutBucketVersioning": "s3:PutBucketVersioning",
    "PutBucketLifecycleConfiguration": "s3:PutLifecycleConfiguration",
    "PutBucketCors": "s3:PutBucketCORS",
    "PutBucketNotificationConfiguration": "s3:PutBucketNotification",
    "PutBucketPolicy": "s3:PutBucketPolicy",
    "PutBucketTagging": "s3:PutBucketTagging",
    "PutBucketOwnershipControls": "s3:PutBucketOwnershipControls",
    "HeadBucket": "s3:ListBucket",
    "ListObjects": "s3:ListBucket",
    "ListObjectsV2": "s3:ListBucket",
    "ListObjectVersions": "s3:ListBucketVersions",
    "ListMultipartUploads": "s3:ListBucketMultipartUploads",
    "GetBucketNotificationConfiguration": "s3:GetBucketNotification",
    "GetBucketVersioning": "s3:GetBucketVersioning",
}


def _bucket_operation(action: str) -> Mapper:
    def mapper(c: _Context, p: dict[str, Any], error: str | None) -> None:
        _bucket(c, action, p["Bucket"])

    return mapper


for _operation, _action in _BUCKET_ACTIONS.items():
    _maps("s3", _operation)(_bucket_operation(_action))


@_maps("s3", "CreateBucket")
def _create_bucket(c: _Context, p: dict[str, Any], error: str | None) -> None:
    _bucket(c, "s3:CreateBucket", p["Bucket"])
    if p.get("ObjectOwnership"):
        _bucket(c, "s3:PutBucketOwnershipControls", p["Bucket"], "CreateBucket sets the object ownership")
    if p.get("ACL") or any(k.startswith("Grant") for k in p):
        _bucket(c, "s3:PutBucketAcl", p["Bucket"], "CreateBucket sets an ACL")
    if p.get("ObjectLockEnabledForBucket"):
        _bucket(c, "s3:PutBucketObjectLockConfiguration", p["Bucket"], "CreateBucket turns Object Lock on")
        _bucket(c, "s3:PutBucketVersioning", p["Bucket"], "CreateBucket turns Object Lock on")


# -- SQS ----------------------------------------------------------------------------------------------------------
def _queue(c: _Context, action: str, url: str, why: str = "") -> None:
    c.ask(action, "queue", why, QueueName=url.rstrip("/").rsplit("/", 1)[-1])


_QUEUE_ACTIONS = {
    "SendMessage": "sqs:SendMessage",
    "SendMessageBatch": "sqs:SendMessage",
    "ReceiveMessage": "sqs:ReceiveMessage",
    "DeleteMessage": "sqs:DeleteMessage",
    "DeleteMessageBatch": "sqs:DeleteMessage",
    "ChangeMessageVisibility": "sqs:ChangeMessageVisibility",
    "ChangeMessageVisibilityBatch": "sqs:ChangeMessageVisibility",
    "GetQueueAttributes": "sqs:GetQueueAttributes",
    "PurgeQueue": "sqs:PurgeQueue",
}


def _queue_operation(action: str) -> Mapper:
    def mapper(c: _Context, p: dict[str, Any], error: str | None) -> None:
        _queue(c, action, p["QueueUrl"])

    return mapper


for _operation, _action in _QUEUE_ACTIONS.items():
    _maps("sqs", _operation)(_queue_operation(_action))


@_maps("sqs", "GetQueueUrl")
def _queue_url(c: _Context, p: dict[str, Any], error: str | None) -> None:
    c.ask("sqs:GetQueueUrl", "queue", QueueName=p["QueueName"])


# -- EventBridge --------------------------------------------------------------------------------------------------
@_maps("events", "PutEvents")
def _put_events(c: _Context, p: dict[str, Any], error: str | None) -> None:
    """PutEvents is authorized per entry, on the bus each one names (the default bus when none)."""
    for bus in dict.fromkeys(entry.get("EventBusName", "default") for entry in p["Entries"]):
        c.ask("events:PutEvents", "event-bus", EventBusName=bus.rsplit("/", 1)[-1])


# -- SES ----------------------------------------------------------------------------------------------------------
def _address(source: str) -> str:
    """`Name <a@b>` or `a@b` → a@b: SES authorizes the sending identity, the address itself here."""
    found = re.search(r"<([^>]+)>", source)
    return (found.group(1) if found else source).strip()


@_maps("ses", "SendEmail", "SendRawEmail")
def _send_email(c: _Context, p: dict[str, Any], error: str | None) -> None:
    action = "ses:SendRawEmail" if "RawMessage" in p else "ses:SendEmail"
    identity = p.get("SourceArn", "").rsplit("/", 1)[-1] or _address(p["Source"])
    c.ask(action, "identity", IdentityName=identity)


# -- DynamoDB -----------------------------------------------------------------------------------------------------
def _table(c: _Context, action: str, table: str, index: str | None = None, why: str = "") -> None:
    if index:
        c.ask(action, "index", why, TableName=table, IndexName=index)
    else:
        c.ask(action, "table", why, TableName=table)


_ITEM_ACTIONS = {
    "GetItem": "dynamodb:GetItem",
    "PutItem": "dynamodb:PutItem",
    "UpdateItem": "dynamodb:UpdateItem",
    "DeleteItem": "dynamodb:DeleteItem",
    "DescribeTable": "dynamodb:DescribeTable",
    "DescribeTimeToLive": "dynamodb:DescribeTimeToLive",
}


def _item_operation(action: str) -> Mapper:
    def mapper(c: _Context, p: dict[str, Any], error: str | None) -> None:
        _table(c, action, p["TableName"])

    return mapper


for _operation, _action in _ITEM_ACTIONS.items():
    _maps("dynamodb", _operation)(_item_operation(_action))


@_maps("dynamodb", "Query", "Scan")
def _query(c: _Context, p: dict[str, Any], error: str | None) -> None:
    action = "dynamodb:Query" if "KeyConditionExpression" in p or "KeyConditions" in p else "dynamodb:Scan"
    _table(c, action, p["TableName"], p.get("IndexName"))


@_maps("dynamodb", "BatchGetItem")
def _batch_get(c: _Context, p: dict[str, Any], error: str | None) -> None:
    for table in p["RequestItems"]:
        _table(c, "dynamodb:BatchGetItem", table)


@_maps("dynamodb", "BatchWriteItem")
def _batch_write(c: _Context, p: dict[str, Any], error: str | None) -> None:
    for table in p["RequestItems"]:
        _table(c, "dynamodb:BatchWriteItem", table)


_TRANSACT = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem", "ConditionCheck": "ConditionCheckItem"}


@_maps("dynamodb", "TransactWriteItems")
def _transact_write(c: _Context, p: dict[str, Any], error: str | None) -> None:
    # A transaction is authorized item by item, each as the action of its own kind.
    for item in p["TransactItems"]:
        ((kind, body),) = item.items()
        _table(c, f"dynamodb:{_TRANSACT[kind]}", body["TableName"], why=f"a transaction's {kind}")


@_maps("dynamodb", "TransactGetItems")
def _transact_get(c: _Context, p: dict[str, Any], error: str | None) -> None:
    for item in p["TransactItems"]:
        _table(c, "dynamodb:GetItem", item["Get"]["TableName"], why="a transaction's Get")

"""S3: one private bucket per company, presigned uploads and downloads, and the manifests that trigger sync."""

from __future__ import annotations

import hashlib
from typing import Any

from botocore.exceptions import ClientError

from connectability import aws
from connectability.config import get_settings
from connectability.models.drawings import FileCheck, RevisionManifest

URL_SECONDS = 15 * 60
MANIFEST_PREFIX = "manifests/"
UPLOAD_PREFIX = "uploads/"
CHUNK = 8 * 1024 * 1024


def bucket_name(company_id: str) -> str:
    """`<stack>-<company id>` in S3's alphabet; the template grants functions exactly this name pattern."""
    return f"{get_settings().stack_prefix}-{company_id}".lower().replace("_", "-")


def create_company_bucket(company_id: str) -> str:
    """Private, encrypted, versioned, and notifying the sync-events queue of manifests only."""
    s3 = aws.s3()
    name = bucket_name(company_id)
    region = s3.meta.region_name
    if region == "us-east-1":
        s3.create_bucket(Bucket=name)
    else:
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})  # type: ignore[typeddict-item]
    s3.put_public_access_block(
        Bucket=name,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    s3.put_bucket_encryption(
        Bucket=name,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": True}]
        },
    )
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_notification_configuration(
        Bucket=name,
        NotificationConfiguration={
            "QueueConfigurations": [
                {
                    "Id": "manifests-to-sync",
                    "QueueArn": get_settings().sync_events_queue_arn,
                    "Events": ["s3:ObjectCreated:*"],
                    "Filter": {
                        "Key": {
                            "FilterRules": [
                                {"Name": "prefix", "Value": MANIFEST_PREFIX},
                                {"Name": "suffix", "Value": ".json"},
                            ]
                        }
                    },
                }
            ]
        },
    )
    return name


def presign_put(bucket: str, key: str, content_type: str, size: int) -> tuple[str, dict[str, str]]:
    """A URL for one PUT of exactly `size` bytes of `content_type`; the headers are part of the signature."""
    url = aws.s3().generate_presigned_url(
        "put_object",
        Params={"Bucket": bucket, "Key": key, "ContentType": content_type, "ContentLength": size},
        ExpiresIn=URL_SECONDS,
    )
    return url, {"Content-Type": content_type}


def presign_get(bucket: str, key: str, filename: str, version_id: str | None = None) -> str:
    """A URL for the very bytes a revision recorded (its object version), valid 15 minutes."""
    params = {
        "Bucket": bucket,
        "Key": key,
        "ResponseContentDisposition": f'inline; filename="{filename.replace(chr(34), "")}"',
    }
    if version_id:
        params["VersionId"] = version_id
    return aws.s3().generate_presigned_url("get_object", Params=params, ExpiresIn=URL_SECONDS)


def head(bucket: str, key: str) -> dict[str, Any] | None:
    try:
        return dict(aws.s3().head_object(Bucket=bucket, Key=key))
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return None
        raise


def first_bytes(bucket: str, key: str, version_id: str, count: int = 16) -> bytes:
    body = aws.s3().get_object(Bucket=bucket, Key=key, VersionId=version_id, Range=f"bytes=0-{count - 1}")["Body"]
    return bytes(body.read())


def sha256_of(bucket: str, key: str, version_id: str) -> str:
    """Streams the object through the hash in chunks: memory stays flat whatever the file's size."""
    digest = hashlib.sha256()
    body = aws.s3().get_object(Bucket=bucket, Key=key, VersionId=version_id)["Body"]
    for chunk in iter(lambda: body.read(CHUNK), b""):
        digest.update(chunk)
    return digest.hexdigest()


def request_file_check(check: FileCheck) -> None:
    """Queue the hashing of a file too large to hash within a request."""
    aws.sqs().send_message(QueueUrl=get_settings().file_checks_queue_url, MessageBody=check.model_dump_json())


def manifest_key(project_id: str, revision_id: str) -> str:
    return f"{MANIFEST_PREFIX}{project_id}/{revision_id}.json"


def write_manifest(bucket: str, manifest: RevisionManifest) -> str:
    """Its ObjectCreated event is the one trigger of sync (DESIGN.md, "Why manifests")."""
    key = manifest_key(manifest.project_id, manifest.revision_id)
    aws.s3().put_object(
        Bucket=bucket,
        Key=key,
        Body=manifest.model_dump_json().encode(),
        ContentType="application/json",
        Metadata={"manifest-version": str(manifest.version)},
    )
    return key

"""S3: one private bucket per company, presigned uploads and downloads, and the manifests that trigger sync."""

from __future__ import annotations

import hashlib
import io
import json
import unicodedata
from typing import TYPE_CHECKING, Any, BinaryIO, Final, NamedTuple, cast
from urllib.parse import quote

from botocore.exceptions import ClientError
from pydantic import ValidationError

from connectability import aws
from connectability.config import get_settings
from connectability.models.common import is_control

if TYPE_CHECKING:
    from mypy_boto3_s3.type_defs import BucketLifecycleConfigurationTypeDef, CORSConfigurationTypeDef

    from connectability.models.manifests import RevisionManifest  # read_manifest imports it: sync alone reads them

URL_SECONDS = 15 * 60
MANIFEST_PREFIX = "manifests/"
UPLOAD_PREFIX = "uploads/"
THUMBNAIL_PREFIX = "thumbnails/"
CHUNK = 8 * 1024 * 1024
# Uploads are tagged `upload=unused` by the PUT itself (the tag is part of the presigned URL) and retagged
# `upload=used` (that object version only) when a revision takes the file. A lifecycle rule can only select by a
# tag that is there, never by one that is missing, hence the two values. Moving used files to another prefix
# instead would copy every byte of files up to 5 GB within a request.
UPLOAD_TAG = "upload"
UNUSED_UPLOAD_DAYS = 2


def bucket_name(company_id: str) -> str:
    """`<stack>-<company id>` in S3's alphabet; the template grants functions exactly this name pattern."""
    return f"{get_settings().stack_prefix}-{company_id}".lower().replace("_", "-")


def create_company_bucket(company_id: str) -> str:
    """Private, encrypted, versioned, notifying the sync-events queue of manifests and the thumbnails queue of
    uploads, expiring uploads no revision took, and open to the console's origin for its downloads and uploads."""
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
    s3.put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration=upload_lifecycle())
    if origin := get_settings().console_origin:
        s3.put_bucket_cors(Bucket=name, CORSConfiguration=console_cors(origin))
    s3.put_bucket_notification_configuration(
        Bucket=name,
        NotificationConfiguration={
            "QueueConfigurations": [
                {
                    "Id": "uploads-to-thumbnails",
                    "QueueArn": get_settings().thumbnails_queue_arn,
                    "Events": ["s3:ObjectCreated:*"],
                    "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": UPLOAD_PREFIX}]}},
                },
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
                },
            ]
        },
    )
    return name


def upload_lifecycle() -> BucketLifecycleConfigurationTypeDef:
    """Unused uploads (and versions of them) go after UNUSED_UPLOAD_DAYS, and so do their thumbnails; a used one
    is tagged otherwise, so it stays whatever PUT came after it (a later PUT to the URL makes a new, unused
    version on top)."""
    return {
        "Rules": [
            {
                "ID": f"unused-{prefix.rstrip('/')}-expire",
                "Status": "Enabled",
                "Filter": {"And": {"Prefix": prefix, "Tags": [{"Key": UPLOAD_TAG, "Value": "unused"}]}},
                "Expiration": {"Days": UNUSED_UPLOAD_DAYS},
                "NoncurrentVersionExpiration": {"NoncurrentDays": UNUSED_UPLOAD_DAYS},
            }
            for prefix in (UPLOAD_PREFIX, THUMBNAIL_PREFIX)
        ]
    }


def console_cors(origin: str) -> CORSConfigurationTypeDef:
    """The console reads files (its PDF viewer fetches them) and PUTs uploads straight from the browser, with the
    headers an upload's URL signs."""
    return {
        "CORSRules": [
            {
                "ID": "console",
                "AllowedOrigins": [origin],
                "AllowedMethods": ["GET", "HEAD", "PUT"],
                "AllowedHeaders": ["Content-Type", "x-amz-tagging", "Range"],
                "ExposeHeaders": ["ETag", "Content-Length", "Content-Range", "Accept-Ranges"],
                "MaxAgeSeconds": 600,
            }
        ]
    }


def mark_upload_used(bucket: str, key: str, version_id: str) -> None:
    """Keep this version of an upload for good: a revision holds it (see upload_lifecycle)."""
    aws.s3().put_object_tagging(
        Bucket=bucket, Key=key, VersionId=version_id, Tagging={"TagSet": [{"Key": UPLOAD_TAG, "Value": "used"}]}
    )


def presign_put(bucket: str, key: str, content_type: str, size: int) -> tuple[str, dict[str, str]]:
    """A URL for one PUT of exactly `size` bytes of `content_type`, tagged unused until a revision takes it; the
    headers are part of the signature."""
    url = aws.s3().generate_presigned_url(
        "put_object",
        Params={
            "Bucket": bucket,
            "Key": key,
            "ContentType": content_type,
            "ContentLength": size,
            "Tagging": f"{UPLOAD_TAG}=unused",
        },
        ExpiresIn=URL_SECONDS,
    )
    return url, {"Content-Type": content_type, "x-amz-tagging": f"{UPLOAD_TAG}=unused"}


def presign_get(bucket: str, key: str, filename: str, version_id: str | None = None) -> str:
    """A URL for the very bytes a revision recorded (its object version), valid 15 minutes, that saves the file
    under `filename` (made safe; see content_disposition)."""
    params = {"Bucket": bucket, "Key": key, "ResponseContentDisposition": content_disposition(filename)}
    if version_id:
        params["VersionId"] = version_id
    return aws.s3().generate_presigned_url("get_object", Params=params, ExpiresIn=URL_SECONDS)


_ATTR_CHARS = "!#$&+-.^_`|~"  # RFC 5987 attr-char besides letters and digits: left as they are


def safe_filename(name: str) -> str:
    """A name a browser saves as one file where the user chose: no folders, no climbing up, no controls."""
    kept = "".join("_" if char in "/\\" or is_control(char) else char for char in name)
    while ".." in kept:
        kept = kept.replace("..", ".")
    return kept.strip(" .") or "drawing"


def content_disposition(filename: str) -> str:
    """RFC 6266: `filename*` carries any Unicode as UTF-8; `filename` is a plain ASCII fallback for clients
    that know no better. An HTTP header holds Latin-1 at most, so a raw non-ASCII name must never go in one."""
    name = safe_filename(filename)
    ascii_name = "".join(
        char if char.isascii() and char not in '"\\%;' else "_"
        for char in unicodedata.normalize("NFKD", name)
        if not unicodedata.combining(char)
    )
    return f"inline; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe=_ATTR_CHARS)}"


def head(bucket: str, key: str) -> dict[str, Any] | None:
    try:
        return dict(aws.s3().head_object(Bucket=bucket, Key=key))
    except ClientError as exc:
        if _missing(exc):
            return None
        raise


def _missing(exc: ClientError) -> bool:
    return exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound")


class Uploaded(NamedTuple):
    """An uploaded file as it is now: its object version, size and first bytes, and its sha256 (None: not hashed
    here, too large, or not of the size expected)."""

    version_id: str
    size: int
    head: bytes
    sha256: str | None


def uploaded(bucket: str, key: str, size: int, hash_up_to: int, head_bytes: int = 16) -> Uploaded | None:
    """What was uploaded to `key`, expected to have `size` bytes; None when nothing was. A file of at most
    `hash_up_to` bytes is read once, streamed through the hash (memory stays flat), its first bytes kept on the
    way; a larger one is only looked at (HeadObject, then its first bytes). A file of another size than expected
    is not read at all."""
    if size > hash_up_to:
        found = head(bucket, key)
        if found is None:
            return None
        version, actual = str(found["VersionId"]), int(found["ContentLength"])
        return Uploaded(version, actual, first_bytes(bucket, key, version, head_bytes) if actual == size else b"", None)
    try:
        answer = aws.s3().get_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        if _missing(exc):
            return None
        raise
    body, version, actual = answer["Body"], str(answer["VersionId"]), int(answer["ContentLength"])
    if actual != size:
        body.close()
        return Uploaded(version, actual, b"", None)
    digest, first = hashlib.sha256(), b""
    for chunk in iter(lambda: body.read(CHUNK), b""):
        first += chunk[: head_bytes - len(first)]
        digest.update(chunk)
    return Uploaded(version, actual, first, digest.hexdigest())


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


def manifest_key(project_id: str, revision_id: str) -> str:
    return f"{MANIFEST_PREFIX}{project_id}/{revision_id}.json"


def write_manifest(bucket: str, manifest: RevisionManifest) -> str:
    """Its ObjectCreated event is the one trigger of sync (README, "Walk-through: drawings")."""
    key = manifest_key(manifest.project_id, manifest.revision_id)
    aws.s3().put_object(
        Bucket=bucket,
        Key=key,
        Body=manifest.model_dump_json().encode(),
        ContentType="application/json",
        Metadata={"manifest-version": str(manifest.version)},
    )
    return key


CONNECTED_PREFIX = "connected/"  # copies from an upstream land here: outside manifests/, so never a sync trigger
# A copy carries none of its source's tags (an upload's `upload=used` means nothing under connected/, which no
# lifecycle rule selects). Copying them, S3's default, would also ask for s3:GetObjectVersionTagging on the
# upstream file and s3:PutObjectTagging on the copy.
COPIES_UNTAGGED: Final = "REPLACE"


class UnknownManifest(ValueError):
    """A manifest this code cannot read (another schema version, or not a manifest): no retry will help."""


def read_manifest(bucket: str, key: str, version_id: str | None) -> RevisionManifest:
    """The manifest exactly as the event saw it: every version goes to one key, so read by its version."""
    params: dict[str, Any] = {"Bucket": bucket, "Key": key}
    if version_id:
        params["VersionId"] = version_id
    raw = aws.s3().get_object(**params)["Body"].read()
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise UnknownManifest(f"{key} is not JSON") from exc
    if not isinstance(data, dict) or data.get("schema_version") != 1:
        found = data.get("schema_version") if isinstance(data, dict) else None
        raise UnknownManifest(f"{key} has schema_version {found!r}; this sync reads version 1 only")
    from connectability.models.manifests import RevisionManifest

    try:
        return RevisionManifest.model_validate(data)
    except ValidationError as exc:
        raise UnknownManifest(f"{key} is not a valid version 1 manifest: {exc.error_count()} errors") from exc


def connected_key(connection_id: str, upstream_revision_id: str) -> str:
    return f"{CONNECTED_PREFIX}{connection_id}/{upstream_revision_id}"


def copy_file(
    source_bucket: str,
    source_key: str,
    source_version: str | None,
    size: int,
    bucket: str,
    key: str,
    sha256: str,
    content_type: str,
) -> str:
    """Server-side copy, so no byte passes through this function and its memory stays flat at any size;
    above the multipart threshold (CopyObject stops at 5 GB) in parts. The copy carries the sha256 of its
    bytes, so a later attempt can tell it is already there. Answers the new object's version."""
    s3 = aws.s3()
    source: dict[str, str] = {"Bucket": source_bucket, "Key": source_key}
    if source_version:
        source["VersionId"] = source_version
    settings = get_settings()
    described = {"ContentType": content_type, "Metadata": {"sha256": sha256}}
    if size <= settings.multipart_copy_bytes:
        answer = s3.copy_object(
            Bucket=bucket,
            Key=key,
            CopySource=source,  # type: ignore[arg-type]
            MetadataDirective="REPLACE",
            TaggingDirective=COPIES_UNTAGGED,
            **described,  # type: ignore[arg-type]
        )
        return str(answer.get("VersionId") or "")
    upload = s3.create_multipart_upload(Bucket=bucket, Key=key, **described)["UploadId"]  # type: ignore[arg-type]
    try:
        parts = []
        for number, start in enumerate(range(0, size, settings.copy_part_bytes), start=1):
            end = min(start + settings.copy_part_bytes, size) - 1
            part = s3.upload_part_copy(
                Bucket=bucket,
                Key=key,
                UploadId=upload,
                PartNumber=number,
                CopySource=source,  # type: ignore[arg-type]
                CopySourceRange=f"bytes={start}-{end}",
            )
            parts.append({"PartNumber": number, "ETag": part["CopyPartResult"]["ETag"]})
        done = s3.complete_multipart_upload(
            Bucket=bucket,
            Key=key,
            UploadId=upload,
            MultipartUpload={"Parts": parts},  # type: ignore[typeddict-item]
        )
    except BaseException:
        s3.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload)
        raise
    return str(done.get("VersionId") or "")


def connected_thumbnail_key(connection_id: str, upstream_revision_id: str) -> str:
    return f"{connected_key(connection_id, upstream_revision_id)}.thumbnail.png"


def copy_thumbnail(source_bucket: str, source_key: str, source_version: str, bucket: str, key: str) -> str:
    """Server-side, like the file; the copy names the version it came from, so a retry can find it. Answers the
    copy's version."""
    answer = aws.s3().copy_object(
        Bucket=bucket,
        Key=key,
        CopySource={"Bucket": source_bucket, "Key": source_key, "VersionId": source_version},
        MetadataDirective="REPLACE",
        TaggingDirective=COPIES_UNTAGGED,
        ContentType="image/png",
        CacheControl="private, max-age=86400, immutable",
        Metadata={"source-version": source_version},
    )
    return str(answer.get("VersionId") or "")


def copied_thumbnail(bucket: str, key: str, source_version: str) -> str | None:
    """The version of a thumbnail an earlier attempt already copied from `source_version`, if there is one."""
    found = head(bucket, key)
    if found is None or found.get("Metadata", {}).get("source-version") != source_version:
        return None
    return str(found.get("VersionId") or "")


def copied_version(bucket: str, key: str, sha256: str) -> str | None:
    """The version of a copy an earlier attempt already made of exactly these bytes, if there is one."""
    found = head(bucket, key)
    if found is None or found.get("Metadata", {}).get("sha256") != sha256:
        return None
    return str(found.get("VersionId") or "")


def delete_version(bucket: str, key: str, version_id: str) -> None:
    aws.s3().delete_object(Bucket=bucket, Key=key, VersionId=version_id)


# -- thumbnails -------------------------------------------------------------------------------------------------
def thumbnail_key(project_id: str, upload_id: str, file_version: str) -> str:
    """Beside its upload, one per version of the file (a second PUT to an upload's URL is another file)."""
    return f"{THUMBNAIL_PREFIX}{project_id}/{upload_id}/{file_version}.png"


def put_thumbnail(bucket: str, key: str, png: bytes, used: bool) -> str:
    """Store a thumbnail, tagged as its upload is (an unused upload's goes with it); answers its version."""
    answer = aws.s3().put_object(
        Bucket=bucket,
        Key=key,
        Body=png,
        ContentType="image/png",
        CacheControl="private, max-age=86400, immutable",
        Tagging=f"{UPLOAD_TAG}={'used' if used else 'unused'}",
    )
    return str(answer.get("VersionId") or "")


def mark_thumbnail_used(bucket: str, key: str, version_id: str) -> None:
    """Keep a thumbnail for good: its upload became a revision (see upload_lifecycle)."""
    mark_upload_used(bucket, key, version_id)


def presign_thumbnail(bucket: str, key: str, version_id: str | None) -> str:
    """A URL for a thumbnail's PNG, valid 15 minutes."""
    params = {"Bucket": bucket, "Key": key}
    if version_id:
        params["VersionId"] = version_id
    return aws.s3().generate_presigned_url("get_object", Params=params, ExpiresIn=URL_SECONDS)


def open_object(bucket: str, key: str, version_id: str, size: int, whole_up_to: int) -> BinaryIO:
    """A file to read as a stream: in memory up to `whole_up_to` bytes (one GET), else read in ranges as the
    reader seeks (a PDF reader reads its end first, then what the first page needs), so memory stays flat."""
    if size <= whole_up_to:
        body = aws.s3().get_object(Bucket=bucket, Key=key, VersionId=version_id)["Body"]
        return io.BytesIO(body.read())
    return cast(BinaryIO, RangedObject(bucket, key, version_id, size))


class RangedObject(io.RawIOBase):
    """A seekable, read-only view of one S3 object version, fetched in blocks by range as they are read; the most
    recent BLOCKS blocks are kept."""

    BLOCK = 1024 * 1024
    BLOCKS = 16

    def __init__(self, bucket: str, key: str, version_id: str, size: int) -> None:
        super().__init__()
        self.bucket, self.key, self.version_id, self.size = bucket, key, version_id, size
        self.position = 0
        self.blocks: dict[int, bytes] = {}
        self.fetched = 0  # GETs made, for the benches

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.position, io.SEEK_END: self.size}[whence]
        self.position = max(0, base + offset)
        return self.position

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        done = 0
        while done < len(view) and self.position < self.size:
            number, start = divmod(self.position, self.BLOCK)
            block = self._block(number)
            piece = block[start : start + len(view) - done]
            view[done : done + len(piece)] = piece
            done += len(piece)
            self.position += len(piece)
        return done

    def _block(self, number: int) -> bytes:
        if number not in self.blocks:
            first = number * self.BLOCK
            last = min(first + self.BLOCK, self.size) - 1
            body = aws.s3().get_object(
                Bucket=self.bucket, Key=self.key, VersionId=self.version_id, Range=f"bytes={first}-{last}"
            )["Body"]
            self.fetched += 1
            if len(self.blocks) >= self.BLOCKS:
                self.blocks.pop(next(iter(self.blocks)))
            self.blocks[number] = bytes(body.read())
        return self.blocks[number]

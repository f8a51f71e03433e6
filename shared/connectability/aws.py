"""boto3 clients, created on first use and reused for the life of the execution environment.

boto3 itself is imported on first use too: a cold start that needs no client does not pay for it."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from connectability.config import get_settings

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_ses import SESClient
    from mypy_boto3_sqs import SQSClient


@cache
def s3() -> S3Client:
    """SigV4 for presigned URLs; path-style addressing only where an emulator stands in for S3."""
    import boto3
    from botocore.config import Config

    config = Config(
        signature_version="s3v4", s3={"addressing_style": "path" if get_settings().aws_endpoint_url else "virtual"}
    )
    return boto3.client("s3", config=config)


@cache
def sqs() -> SQSClient:
    import boto3

    return boto3.client("sqs")


@cache
def ses() -> SESClient:
    import boto3

    return boto3.client("ses")


def reset_clients() -> None:
    """Forget cached clients (tests switch between moto in-process and moto's server)."""
    for factory in (s3, sqs, ses):
        factory.cache_clear()

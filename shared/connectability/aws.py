"""boto3 clients, created on first use and reused for the life of the execution environment."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

import boto3

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_ses import SESClient
    from mypy_boto3_sqs import SQSClient


@cache
def s3() -> S3Client:
    return boto3.client("s3")


@cache
def sqs() -> SQSClient:
    return boto3.client("sqs")


@cache
def ses() -> SESClient:
    return boto3.client("ses")


def reset_clients() -> None:
    """Forget cached clients (tests switch between moto in-process and moto's server)."""
    for factory in (s3, sqs, ses):
        factory.cache_clear()

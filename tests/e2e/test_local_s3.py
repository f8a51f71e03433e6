"""The local stack's S3 is no kinder than AWS's: a presigned URL is refused without a header it signed, with a
header changed, or after it expires; company buckets answer CORS requests of the console's origin only; and
S3's events name the version they announce. What a browser or the README's curl does fails here first."""

from __future__ import annotations

import time
from typing import Any

import boto3
import pytest
import requests
from botocore.config import Config

from local.client import LocalStackClient
from local.drawing_pdf import drawing_pdf
from tests.e2e.conftest import unique_fixture

pytestmark = pytest.mark.e2e
PDF = drawing_pdf("A-1", "Plan", size="A3")


@pytest.fixture
def upload(local_stack: LocalStackClient) -> dict[str, Any]:
    """A fresh upload's answer (its presigned PUT) in a project of a fresh copy of the demo."""
    fixture, suffix = unique_fixture()
    ids = local_stack.seed(fixture)
    project = ids["projects"][f"gc-tower-{suffix}"]
    body = {"filename": "A-1.pdf", "content_type": "application/pdf", "size": len(PDF)}
    answer = local_stack.call("POST", f"/projects/{project}/drawing-uploads", f"gc-pm-{suffix}", json=body)
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def _refusal(answer: requests.Response) -> str:
    assert answer.status_code == 403, answer.text
    return answer.text.split("<Code>")[1].split("</Code>")[0]


def test_a_put_without_a_header_its_url_signed_is_refused_as_s3_refuses_it(upload: dict[str, Any]) -> None:
    # Given the upload's URL, which signs Content-Type and x-amz-tagging
    headers = upload["headers"]
    assert set(headers) == {"Content-Type", "x-amz-tagging"}

    # When the file is PUT without x-amz-tagging, or with another Content-Type
    without = requests.put(upload["url"], data=PDF, headers={"Content-Type": "application/pdf"}, timeout=10)
    changed = requests.put(upload["url"], data=PDF, headers={**headers, "Content-Type": "image/png"}, timeout=10)

    # Then both are refused with S3's error, and the PUT with every listed header is taken
    assert _refusal(without) == "SignatureDoesNotMatch"
    assert _refusal(changed) == "SignatureDoesNotMatch"
    assert requests.put(upload["url"], data=PDF, headers=headers, timeout=10).status_code == 200


def test_a_presigned_url_used_after_it_expires_is_refused(local_stack: LocalStackClient) -> None:
    # Given an object that a URL signed with the stack's credentials reads while it is valid (minutes: a busy
    # machine may take more than a second to send a GET, and a signature's time is in whole seconds)
    s3 = boto3.client(
        "s3",
        region_name="us-east-1",
        endpoint_url=local_stack.aws_url,
        aws_access_key_id="local",
        aws_secret_access_key="local",
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )
    s3.create_bucket(Bucket="expiry-check")
    s3.put_object(Bucket="expiry-check", Key="k", Body=b"x")
    params = {"Bucket": "expiry-check", "Key": "k"}
    assert (
        requests.get(s3.generate_presigned_url("get_object", Params=params, ExpiresIn=300), timeout=10).content == b"x"
    )
    # and a URL to it valid for one second
    url = s3.generate_presigned_url("get_object", Params=params, ExpiresIn=1)

    # When it is used once it has expired
    deadline = time.monotonic() + 10
    while (answer := requests.get(url, timeout=10)).status_code == 200 and time.monotonic() < deadline:
        time.sleep(0.5)

    # Then S3's answer says so
    assert _refusal(answer) == "AccessDenied"
    assert "Request has expired" in answer.text


def test_company_buckets_answer_the_consoles_origin_only(local_stack: LocalStackClient, upload: dict[str, Any]) -> None:
    preflight = {"Access-Control-Request-Method": "PUT", "Access-Control-Request-Headers": "content-type,x-amz-tagging"}
    ours = requests.options(upload["url"], headers={"Origin": local_stack.url, **preflight}, timeout=10)
    theirs = requests.options(upload["url"], headers={"Origin": "https://elsewhere.example", **preflight}, timeout=10)
    assert ours.status_code == 200
    assert ours.headers["Access-Control-Allow-Origin"] == local_stack.url
    assert "x-amz-tagging" in ours.headers["Access-Control-Allow-Headers"]
    assert theirs.status_code == 403
    assert theirs.headers.get("Access-Control-Allow-Origin") != "https://elsewhere.example"

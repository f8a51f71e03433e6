"""AWS's public on-demand prices for us-east-1, as `make cost` multiplies them.

WRITTEN DOWN, NOT READ: this machine has no network. These are the list prices the author knew for us-east-1 as
of 2026-12-04 (the date stated), from AWS's public pricing pages named beside each group. AWS changes prices
(DynamoDB's on-demand price halved in November 2024, Lambda bills the init phase since August 2025): check
every figure against the pricing pages before relying on the result, and change it here with the date you read
it. Free tiers are left out (an account's free tier is shared by everything in it).
"""

from __future__ import annotations

READ_ON = "2026-12-04 (written from memory of the pages below, not read on that day: check them)"
REGION = "us-east-1"

PRICES: dict[str, tuple[float, str, str]] = {
    # name: (dollars, per what, source page)
    "lambda_request": (0.20 / 1e6, "request", "aws.amazon.com/lambda/pricing"),
    "lambda_gb_second_arm64": (
        0.0000133334,
        "GB-second (arm64, first 7.5 billion a month)",
        "aws.amazon.com/lambda/pricing",
    ),
    "lambda_snapstart_cache_gb_second": (
        0.0000015046,
        "GB-second of a SnapStart snapshot cached (the function's memory; 3 hours at least per version)",
        "aws.amazon.com/lambda/pricing",
    ),
    "lambda_snapstart_restore_gb": (
        0.0001397998,
        "GB restored from a SnapStart snapshot (the function's memory, per new execution environment)",
        "aws.amazon.com/lambda/pricing",
    ),
    "api_request": (3.50 / 1e6, "REST API request (first 333 million a month)", "aws.amazon.com/api-gateway/pricing"),
    "dynamodb_write_unit": (0.625 / 1e6, "on-demand write request unit", "aws.amazon.com/dynamodb/pricing/on-demand"),
    "dynamodb_read_unit": (0.125 / 1e6, "on-demand read request unit", "aws.amazon.com/dynamodb/pricing/on-demand"),
    "dynamodb_storage_gb": (0.25, "GB-month of table storage", "aws.amazon.com/dynamodb/pricing/on-demand"),
    "dynamodb_pitr_gb": (0.20, "GB-month of continuous backup (PITR)", "aws.amazon.com/dynamodb/pricing/on-demand"),
    "s3_storage_gb": (0.023, "GB-month, S3 Standard (first 50 TB)", "aws.amazon.com/s3/pricing"),
    "s3_put_request": (0.005 / 1000, "PUT, COPY, POST or LIST request", "aws.amazon.com/s3/pricing"),
    "s3_get_request": (0.0004 / 1000, "GET, HEAD or other request", "aws.amazon.com/s3/pricing"),
    "s3_transfer_out_gb": (
        0.09,
        "GB to the internet (first 10 TB, after the first 100 GB a month)",
        "aws.amazon.com/s3/pricing",
    ),
    "sqs_request": (0.40 / 1e6, "standard queue request (each 64 KB of payload)", "aws.amazon.com/sqs/pricing"),
    "ses_mail": (0.10 / 1000, "outbound mail", "aws.amazon.com/ses/pricing"),
    "logs_ingest_gb": (0.50, "GB of CloudWatch Logs ingested (standard class)", "aws.amazon.com/cloudwatch/pricing"),
    "logs_storage_gb": (0.03, "GB-month of logs stored (compressed)", "aws.amazon.com/cloudwatch/pricing"),
    "metric": (0.30, "custom metric-month (first 10,000)", "aws.amazon.com/cloudwatch/pricing"),
    "alarm": (0.10, "standard alarm-month", "aws.amazon.com/cloudwatch/pricing"),
    "dashboard": (3.00, "dashboard-month (the first 3 of an account are free)", "aws.amazon.com/cloudwatch/pricing"),
    "xray_trace": (5.00 / 1e6, "trace recorded", "aws.amazon.com/xray/pricing"),
    "kms_key": (1.00, "customer managed key-month", "aws.amazon.com/kms/pricing"),
    "kms_request": (0.03 / 10000, "KMS request", "aws.amazon.com/kms/pricing"),
    "cloudfront_gb": (
        0.085,
        "GB to viewers, North America and Europe (first 10 TB)",
        "aws.amazon.com/cloudfront/pricing",
    ),
    "cloudfront_request": (
        0.0100 / 10000,
        "HTTPS request, North America and Europe",
        "aws.amazon.com/cloudfront/pricing",
    ),
}


def price(name: str) -> float:
    return PRICES[name][0]

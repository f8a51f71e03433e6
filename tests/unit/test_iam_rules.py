"""The IAM proof's parts hold to IAM's documented rules, and the template's resource policies to what AWS needs.

The proof itself runs over every test's calls at the end of the session (tests/iam/plugin.py); these tests
show that its pieces can tell an allowed request from a denied one.
"""

from __future__ import annotations

from local.template import ACCOUNT, REGION
from tests.iam.evaluate import ALLOW, DENY, IMPLICIT, decide
from tests.iam.proof import S3_SERVICE
from tests.iam.reasons import REASONS
from tests.iam.requests import Request, requests_of
from tests.iam.roles import expanded, function_roles, resource_policies, stack

STACK = "connectability-local"
BUCKET = f"{STACK}-cmp-abc"


def test_an_explicit_deny_wins_and_wildcards_match_as_iam_matches_them() -> None:
    allow = {"Effect": "Allow", "Action": "S3:Get*", "Resource": f"arn:aws:s3:::{STACK}-cmp-*/uploads/*"}
    deny = {"Effect": "Deny", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::*/uploads/secret?"}
    # actions match whatever their case; resources with theirs; `?` is one character
    assert decide([allow], "s3:getobject", f"arn:aws:s3:::{BUCKET}/uploads/a") == ALLOW
    assert decide([allow], "s3:GetObject", f"arn:aws:s3:::{BUCKET}/UPLOADS/a") == IMPLICIT
    assert decide([allow, deny], "s3:GetObject", f"arn:aws:s3:::{BUCKET}/uploads/secret1") == DENY
    assert decide([allow, deny], "s3:GetObject", f"arn:aws:s3:::{BUCKET}/uploads/secret12") == ALLOW
    assert decide([allow], "s3:PutObject", f"arn:aws:s3:::{BUCKET}/uploads/a") == IMPLICIT


def test_a_copy_reads_its_source_and_writes_its_target_and_tags_need_their_own_actions() -> None:
    def asked(operation: str, **params: object) -> set[tuple[str, str]]:
        return {(r.action, r.resource) for r in requests_of("s3", operation, dict(params), REGION, ACCOUNT)}

    source = {"Bucket": "up", "Key": "uploads/f", "VersionId": "v1"}
    copied = asked("CopyObject", Bucket="down", Key="connected/f", CopySource=source, TaggingDirective="REPLACE")
    assert copied == {
        ("s3:GetObjectVersion", "arn:aws:s3:::up/uploads/f"),
        ("s3:PutObject", "arn:aws:s3:::down/connected/f"),
    }
    with_tags = asked("CopyObject", Bucket="down", Key="connected/f", CopySource=source)
    assert with_tags - copied == {
        ("s3:GetObjectVersionTagging", "arn:aws:s3:::up/uploads/f"),
        ("s3:PutObjectTagging", "arn:aws:s3:::down/connected/f"),
    }
    assert asked("PutObjectTagging", Bucket="b", Key="k", VersionId="v", Tagging={}) == {
        ("s3:PutObjectVersionTagging", "arn:aws:s3:::b/k")
    }


def test_a_missing_key_needs_list_bucket_to_answer_404() -> None:
    found = requests_of("s3", "HeadObject", {"Bucket": "b", "Key": "k"}, REGION, ACCOUNT, error="404")
    assert Request("s3:ListBucket", "arn:aws:s3:::b", found[1].why) in found


def test_batches_and_transactions_are_asked_as_their_items_actions() -> None:
    url = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/q"
    [sent] = requests_of("sqs", "SendMessageBatch", {"QueueUrl": url, "Entries": []}, REGION, ACCOUNT)
    assert (sent.action, sent.resource) == ("sqs:SendMessage", f"arn:aws:sqs:{REGION}:{ACCOUNT}:q")
    items = [{"ConditionCheck": {"TableName": "t"}}, {"Update": {"TableName": "t"}}]
    asked = requests_of("dynamodb", "TransactWriteItems", {"TransactItems": items}, REGION, ACCOUNT)
    assert [r.action for r in asked] == ["dynamodb:ConditionCheckItem", "dynamodb:UpdateItem"]
    [query] = requests_of(
        "dynamodb", "Query", {"TableName": "t", "IndexName": "gsi1", "KeyConditionExpression": "x"}, REGION, ACCOUNT
    )
    assert query.resource == f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/t/index/gsi1"


def test_every_function_has_a_role_with_what_sam_adds() -> None:
    roles = function_roles(STACK)
    assert set(roles) == set(stack(STACK).of_type("AWS::Lambda::Function"))
    for function, statements in roles.items():
        policies = {s.policy for s in statements}
        assert "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole" in policies, function


def test_company_buckets_may_notify_both_queues_and_nobody_else_may() -> None:
    policies = resource_policies(STACK)
    queues = {f"arn:aws:sqs:{REGION}:{ACCOUNT}:{STACK}-{name}" for name in ("sync-events", "thumbnails")}
    assert queues <= set(policies)
    for queue in queues:
        statements = policies[queue]
        ours = {"aws:SourceArn": f"arn:aws:s3:::{BUCKET}", "aws:SourceAccount": ACCOUNT}
        assert decide(statements, "sqs:SendMessage", queue, ours, service=S3_SERVICE) == ALLOW
        theirs = {**ours, "aws:SourceAccount": "999999999999"}
        assert decide(statements, "sqs:SendMessage", queue, theirs, service=S3_SERVICE) == IMPLICIT
        other = {**ours, "aws:SourceArn": "arn:aws:s3:::someone-elses-bucket"}
        assert decide(statements, "sqs:SendMessage", queue, other, service=S3_SERVICE) == IMPLICIT


def test_the_alarm_topic_is_encrypted_with_a_key_cloudwatch_may_use() -> None:
    # CloudWatch alarms publish to an encrypted topic only if the key's policy lets CloudWatch use the key; the
    # AWS managed key aws/sns cannot.
    resources = expanded()["Resources"]
    key_ref = resources["AlarmTopic"]["Properties"]["KmsMasterKeyId"]
    assert key_ref == {"Ref": "AlarmTopicKey"}
    policy = stack(STACK).resolve(resources["AlarmTopicKey"]["Properties"]["KeyPolicy"])["Statement"]
    for action in ("kms:GenerateDataKey", "kms:Decrypt"):
        assert decide(policy, action, "*", service="cloudwatch.amazonaws.com") == ALLOW


def test_every_reason_says_why() -> None:
    assert all(len(reason.text) > 40 for reason in REASONS)

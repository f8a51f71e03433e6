"""Notifications of the Connection Manager (R31-R33, R37-R39): who gets which mail, once."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.exceptions import ClientError

from connectability import aws
from connectability.config import get_settings
from connectability.domain import mailing, notifications
from local.world import Queues
from tests.integration.conftest import Connected, Faults

QUEUE = "NotificationsQueue"


def sent_count() -> int:
    return int(boto3.client("ses").get_send_quota()["SentLast24Hours"])


def mails(queues: Queues) -> list[tuple[str, str, str]]:
    """Deliver what is queued; answers (event, project, recipient) of every message sent so far."""
    queues.drain(QUEUE)
    return sorted((m.event.value, m.project_id, m.to[0]) for m in notifications.outbox())


def emails(*users: str) -> list[str]:
    return sorted(f"{u}@example.com" for u in users)


def test_r31_a_manual_request_notifies_the_upstream_cm_admins(two: Connected, queues: Queues) -> None:
    two.request()
    sent = mails(queues)
    # apex-admin is a company admin outside the directory: excluded; apex-reader is not a CM admin
    assert sent == [("connection_requested", two.up, e) for e in emails("apex-cm", "apex-cm2")]
    assert sent_count() == 2


def test_r31_an_automatic_request_sends_no_request_mail(two: Connected, queues: Queues) -> None:
    two.build.api("PATCH", f"/companies/{two.apex}", "apex-admin", {"connection_approval": "automatic"})
    two.request()
    assert {event for event, _, _ in mails(queues)} == {"connection_created"}


def test_r32_a_rejection_notifies_the_downstream_cm_admins(two: Connected, queues: Queues) -> None:
    connection = two.request().body["id"]
    mails(queues)
    two.build.api("POST", f"/connections/{connection}/reject", "apex-cm", {"reason": "Not our job"})
    rejected = [m for m in mails(queues) if m[0] == "connection_rejected"]
    assert rejected == [("connection_rejected", two.down, e) for e in emails("req", "volt-cm")]
    message = next(m for m in notifications.outbox() if m.event.value == "connection_rejected")
    assert "Not our job" in message.text
    assert "Harbor Tower" in message.subject


def test_r33_a_created_connection_notifies_both_sides_also_when_automatic(two: Connected, queues: Queues) -> None:
    connection = two.request().body["id"]
    two.build.api("POST", f"/connections/{connection}/approve", "apex-cm")
    created = [m for m in mails(queues) if m[0] == "connection_created"]
    assert created == sorted(
        [("connection_created", two.up, e) for e in emails("apex-cm", "apex-cm2")]
        + [("connection_created", two.down, e) for e in emails("req", "volt-cm")]
    )
    # automatic approval: created mails at once, to both sides
    two.build.api("PATCH", f"/companies/{two.apex}", "apex-admin", {"connection_approval": "automatic"})
    two.request(down=two.downstream_project("Sub Auto"))
    assert len([m for m in mails(queues) if m[0] == "connection_created"]) == 4 + 2 + 2


def test_r37_a_disconnect_notifies_both_sides(two: Connected, queues: Queues) -> None:
    connection = two.request().body["id"]
    two.build.api("POST", f"/connections/{connection}/approve", "apex-cm")
    mails(queues)
    two.build.api("POST", f"/connections/{connection}/disconnect", "volt-cm", {"reason": "Scope finished"})
    disabled = [m for m in mails(queues) if m[0] == "connection_disabled"]
    assert disabled == sorted(
        [("connection_disabled", two.up, e) for e in emails("apex-cm", "apex-cm2")]
        + [("connection_disabled", two.down, e) for e in emails("req", "volt-cm")]
    )
    downstream = next(
        m for m in notifications.outbox() if m.event.value == "connection_disabled" and m.project_id == two.down
    )
    assert "Scope finished" in downstream.text
    assert "cannot connect again" in downstream.text
    # and its link opens the console's page of the project's connections
    link = f"{get_settings().app_link_base}/#/project/{two.down}/connections"
    assert link in downstream.text
    assert f'href="{link}"' in downstream.html


def test_r38_selected_recipients_must_be_eligible_and_company_admins_can_be_added(
    two: Connected, queues: Queues
) -> None:
    api = two.build.api
    path = f"/projects/{two.up}/settings/connection-manager"
    assert api("GET", path, "apex-cm").body["notification_recipients"] == {"mode": "default", "user_ids": []}
    # apex-reader is not a CM admin: refused, and nothing changes
    refused = api(
        "PUT",
        path,
        "apex-cm",
        {"notification_recipients": {"mode": "selected", "user_ids": ["apex-cm", "apex-reader"]}},
    )
    assert refused.status == 422
    assert refused.error["rule"] == "R38"
    assert refused.error["details"][0]["field"] == "notification_recipients.user_ids.1"
    assert api("GET", path, "apex-cm").body["notification_recipients"]["mode"] == "default"
    # a CM admin and a company admin outside the directory are eligible
    chosen = {"notification_recipients": {"mode": "selected", "user_ids": ["apex-cm2", "apex-admin"]}}
    saved = api("PUT", path, "apex-cm", chosen).body
    assert saved["notification_recipients"] == chosen["notification_recipients"]
    # and the answer lists them by name with why each may be chosen; the reader is not among them
    roles = {e["user_id"]: e["roles"] for e in saved["eligible"]}
    assert roles["apex-admin"] == ["company_admin"]
    assert "connection_manager_admin" in roles["apex-cm2"]
    assert "apex-reader" not in roles
    assert api("PUT", path, "apex-reader", chosen).status == 403
    two.request()
    assert mails(queues) == [("connection_requested", two.up, e) for e in emails("apex-admin", "apex-cm2")]


def test_r38_a_selected_user_who_is_no_longer_eligible_gets_nothing(two: Connected, queues: Queues) -> None:
    api = two.build.api
    api(
        "PUT",
        f"/projects/{two.up}/settings/connection-manager",
        "apex-cm",
        {"notification_recipients": {"mode": "selected", "user_ids": ["apex-cm2"]}},
    )
    two.build.member(two.up, "apex-cm2", "apex-admin", cm="standard")
    two.request()
    assert mails(queues) == []


def test_r39_the_same_event_processed_twice_sends_nothing_twice(two: Connected, queues: Queues) -> None:
    two.request()
    # Given the event, copied before delivery (as a redelivery of SQS would bring it again)
    bodies = queues.peek(QUEUE)
    assert len(bodies) == 1
    first = mails(queues)
    assert sent_count() == 2
    # When the same event arrives again
    import json

    boto3.client("sqs").send_message(QueueUrl=queues.url(QUEUE), MessageBody=json.dumps(bodies[0]))
    second = mails(queues)
    # Then no one gets a second message, and the log holds it once
    assert sent_count() == 2
    assert second == first
    log = two.build.api("GET", f"/projects/{two.up}/notifications", "apex-cm").body["items"]
    assert len(log) == 1
    assert sorted(log[0]["recipients"]) == emails("apex-cm", "apex-cm2")
    assert log[0]["event"] == "connection_requested"


def test_r39_one_message_per_recipient_even_when_they_sit_on_both_sides(two: Connected, queues: Queues) -> None:
    # Given req is CM admin of both projects
    two.build.member(two.up, "req", "apex-admin", cm="admin", drawings="read_only")
    connection = two.request().body["id"]
    two.build.api("POST", f"/connections/{connection}/approve", "apex-cm")
    created = [m for m in mails(queues) if m[0] == "connection_created"]
    assert [m[2] for m in created].count("req@example.com") == 1


def test_ses_throttling_is_retried_later_never_dropped(two: Connected, queues: Queues, monkeypatch: Any) -> None:
    # Given SES throttles the first attempt
    ses = aws.ses()
    real_send = ses.send_email
    calls = {"n": 0}

    def throttled_once(**kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            raise ClientError(
                {"Error": {"Code": "Throttling", "Message": "Maximum sending rate exceeded."}}, "SendEmail"
            )
        return real_send(**kwargs)

    monkeypatch.setattr(ses, "send_email", throttled_once)
    two.request()
    # When the notify function runs once, the record is reported failed and stays on the queue
    first = queues.drain(QUEUE, rounds=1)
    assert first[0]["batchItemFailures"]
    assert queues.peek(QUEUE)
    # Then the retry sends every message, each once
    queues.drain(QUEUE)
    assert sent_count() == 2
    assert len(notifications.outbox()) == 2


def test_notification_log_is_for_project_admins(two: Connected, queues: Queues) -> None:
    api = two.build.api
    two.request()
    mails(queues)
    assert api("GET", f"/projects/{two.up}/notifications", "apex-reader").status == 403
    assert api("GET", f"/projects/{two.up}/notifications", "volt-cm").status == 404
    assert len(api("GET", f"/projects/{two.up}/notifications", "apex-cm").body["items"]) == 1
    assert api("GET", f"/projects/{two.down}/notifications", "volt-cm").body["items"] == []


def test_r39_a_mail_sent_whose_record_could_not_be_closed_is_not_sent_again(
    two: Connected, queues: Queues, monkeypatch: Any
) -> None:
    # Given DynamoDB throttles the write that marks the first message's idempotency record done, after SES took it
    import botocore.client

    from connectability.config import get_settings

    real_call = botocore.client.BaseClient._make_api_call  # type: ignore[attr-defined]
    table, throttled = get_settings().idempotency_table_name, []

    def throttled_once(client: Any, operation: str, params: Any) -> Any:
        if operation == "UpdateItem" and params.get("TableName") == table and not throttled:
            throttled.append(operation)
            raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow down"}}, operation)
        return real_call(client, operation, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", throttled_once)
    mailing._send_once.cache_clear()  # a store built in an earlier test's account
    two.request()
    # When the notify function runs
    first = queues.drain(QUEUE)
    mailing._send_once.cache_clear()
    # Then the event is done, every recipient has one message, and the log has them all
    assert throttled
    assert not any(answer["batchItemFailures"] for answer in first)
    assert not queues.peek(QUEUE)
    assert sent_count() == 2
    assert sorted(m.to[0] for m in notifications.outbox()) == emails("apex-cm", "apex-cm2")


def test_r39_a_mail_ses_failed_to_send_with_a_server_error_is_sent_on_the_retry(
    two: Connected, queues: Queues, faults: Faults
) -> None:
    # Given SES fails the first message with a server error (its side, not the message's)
    faults.fail("SendEmail", times=1, code="InternalFailure")
    two.request()
    # When the notify function runs once, the record is reported failed and stays on the queue
    first = queues.drain(QUEUE, rounds=1)
    assert faults.rules[0][1] == 0  # the failure happened
    assert first[0]["batchItemFailures"]
    # Then the retry sends every message, each once
    queues.drain(QUEUE)
    assert sorted(m.to[0] for m in notifications.outbox()) == emails("apex-cm", "apex-cm2")
    assert sent_count() == 2

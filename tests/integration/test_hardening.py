"""What a demanding client or a hostile one must never break: races AWS reports as conflicts, forged tokens,
bodies that are not JSON, and sends that fail after a change committed."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from connectability import aws
from connectability.config import get_settings
from connectability.db import base as db_base
from connectability.db import connections as connections_db
from connectability.domain import messages, notification_events, notifications
from connectability.models.notifications import EventType, NotificationEvent, Side
from local.world import PLATFORM_ADMIN, Api, Queues
from tests.integration.conftest import Connected, Directory, Faults, relay_as_scheduled


def _token(key: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode()


def test_forged_or_foreign_paging_tokens_are_422(api: Api, world: Directory) -> None:
    other = api("POST", "/companies", PLATFORM_ADMIN, {"name": "Other"}).body
    path = f"/companies/{world.company_id}/projects"
    foreign = _token(
        {
            "pk": {"S": "PROJECT#x"},
            "sk": {"S": "PROJECT"},
            "gsi1pk": {"S": f"COMPANY#{other['id']}#PROJECTS"},
            "gsi1sk": {"S": "PROJECT#x"},
        }
    )
    for token in (_token({"a": {"S": "b"}}), _token({"pk": {"S": "x"}, "sk": {"S": "y"}}), foreign, "[[[["):
        answer = api("GET", path, world.admin, query={"next_token": token})
        assert answer.status == 422, (token, answer.body)
        assert answer.error["details"][0]["field"] == "next_token"


def test_deeply_nested_json_is_400_not_a_crash(api: Api, world: Directory) -> None:
    answer = api("POST", f"/companies/{world.company_id}/projects", world.admin, "[" * 100_000)
    assert answer.status == 400
    assert answer.error["code"] == "malformed_json"


def test_a_body_sent_as_a_form_is_read_as_json(api: Api, world: Directory) -> None:
    # curl -d sends application/x-www-form-urlencoded; the API speaks JSON only
    from local.events import LambdaContext, api_event

    event = api_event(
        "POST",
        "/companies/{company_id}/projects",
        f"/companies/{world.company_id}/projects",
        claims={"sub": world.admin},
        body={"name": "Annex"},
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        path_parameters={"company_id": world.company_id},
    )
    response = api.handler("DirectoryApiFunction")(event, LambdaContext("DirectoryApiFunction"))
    assert response["statusCode"] == 201
    assert json.loads(response["body"])["name"] == "Annex"


class _ConflictOnce:
    """DynamoDB's answer when another transaction writes one of the items at the same moment."""

    def __init__(self) -> None:
        self.client = db_base.low().client
        self.real = self.client._make_api_call
        self.fired = False

    def __call__(self, operation: str, kwargs: dict[str, Any]) -> Any:
        if operation == "TransactWriteItems" and not self.fired:
            self.fired = True
            reasons = [{"Code": "None"}, {"Code": "TransactionConflict", "Message": "Transaction is ongoing"}]
            raise ClientError(
                {
                    "Error": {"Code": "TransactionCanceledException", "Message": "Transaction cancelled"},
                    "CancellationReasons": reasons,
                },
                "TransactWriteItems",
            )
        return self.real(operation, kwargs)


@pytest.mark.parametrize("step", ["request", "approve"])
def test_r14_a_transaction_conflict_is_a_409_and_changes_nothing(
    two: Connected, monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    api = two.build.api
    connection = two.request().body["id"] if step == "approve" else None
    conflict = _ConflictOnce()
    monkeypatch.setattr(conflict.client, "_make_api_call", conflict)
    answer = two.request() if step == "request" else api("POST", f"/connections/{connection}/approve", "apex-cm")
    assert conflict.fired
    assert answer.status == 409
    assert answer.error["code"] == "invalid_state"
    # and a retry works
    retried = two.request() if step == "request" else api("POST", f"/connections/{connection}/approve", "apex-cm")
    assert retried.status in (200, 201), retried.body


def test_r03_r05_hold_again_when_a_pending_request_is_approved(two: Connected) -> None:
    api = two.build.api
    first = two.request().body["id"]
    api("PATCH", f"/projects/{two.up}", "apex-admin", {"status": "inactive"})
    refused = api("POST", f"/connections/{first}/approve", "apex-cm")
    assert (refused.status, refused.error["rule"]) == (409, "R03")
    api("PATCH", f"/projects/{two.up}", "apex-admin", {"status": "active"})
    api("PATCH", f"/companies/{two.volt}", "volt-admin", {"connected_drawings_beta": False})
    refused = api("POST", f"/connections/{first}/approve", "apex-cm")
    assert (refused.status, refused.error["rule"]) == (409, "R05")
    assert api("GET", f"/connections/{first}", "apex-cm").body["status"] == "pending"


def test_r04_is_named_before_permissions_on_the_upstream(two: Connected) -> None:
    two.build.member(two.down, "req", "volt-admin", cm="admin", drawings="none")
    assert two.request(up=two.down).error["rule"] == "R04"


def test_actions_without_fields_refuse_unknown_ones(two: Connected) -> None:
    connection = two.request().body["id"]
    answer = two.build.api("POST", f"/connections/{connection}/approve", "apex-cm", {"force": True})
    assert answer.status == 422
    assert answer.error["details"][0]["field"] == "force"
    assert two.build.api("POST", f"/connections/{connection}/approve", "apex-cm", {}).status == 200


def test_a_failed_notification_send_does_not_fail_the_committed_change(
    two: Connected, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unavailable(**_: Any) -> Any:
        raise ClientError({"Error": {"Code": "ServiceUnavailable", "Message": "down"}}, "SendMessage")

    monkeypatch.setattr(aws.sqs(), "send_message", unavailable)
    answer = two.request()
    assert answer.status == 201
    assert two.build.api("GET", f"/connections/{answer.body['id']}", "req").body["status"] == "pending"


def test_r38_default_mode_takes_no_user_list(two: Connected) -> None:
    answer = two.build.api(
        "PUT",
        f"/projects/{two.up}/settings/connection-manager",
        "apex-cm",
        {"notification_recipients": {"mode": "default", "user_ids": ["apex-cm"]}},
    )
    assert answer.status == 422
    assert answer.error["rule"] == "R38"


def test_a_refused_mail_is_not_logged_as_sent(two: Connected, queues: Queues, monkeypatch: pytest.MonkeyPatch) -> None:
    ses = aws.ses()
    real = ses.send_email

    def refuse_one(**kwargs: Any) -> Any:
        if kwargs["Destination"]["ToAddresses"] == ["apex-cm2@example.com"]:
            raise ClientError({"Error": {"Code": "MessageRejected", "Message": "Address blacklisted."}}, "SendEmail")
        return real(**kwargs)

    monkeypatch.setattr(ses, "send_email", refuse_one)
    two.request()
    queues.drain("NotificationsQueue")
    assert [m.to for m in notifications.outbox()] == [["apex-cm@example.com"]]


def test_every_event_type_has_its_message(two: Connected) -> None:
    for event_type in EventType:
        event = NotificationEvent(
            event_id=f"evt_{event_type.value}",
            event=event_type,
            connection_id="con_1",
            sides=[Side.downstream],
            upstream_project_id=two.up,
            downstream_project_id=two.down,
            occurred_at="2026-11-23T10:00:00Z",
        )
        subject, text, html = messages.render(event, Side.downstream)
        assert "Harbor Tower" in subject + text
        # the link opens the console's own page for it: the connections, the review queue, the Deleted report
        page = {"initial_sync_complete": "review", "drawings_published": "review", "drawings_deleted": "deleted"}
        link = f"/#/project/{two.down}/{page.get(event_type.value, 'connections')}"
        assert link in text
        assert f'<a href="{get_settings().app_link_base}{link}">' in html


@pytest.mark.parametrize("value", [0, 1, "yes", "true", None])
def test_a_flag_must_be_a_json_boolean(api: Api, world: Directory, value: Any) -> None:
    answer = api("PATCH", f"/companies/{world.company_id}", world.admin, {"connected_drawings_beta": value})
    if value is None:
        assert answer.status == 200  # null means "not given" for an optional field
        return
    assert answer.status == 422, answer.body
    assert answer.error["details"][0]["field"] == "connected_drawings_beta"
    assert api("GET", f"/companies/{world.company_id}", world.admin).body["connected_drawings_beta"] is False


def test_a_date_must_be_iso_text_and_a_size_a_json_number(drawings_world: Any) -> None:
    w = drawings_world
    revision = w.published("A-1")
    path = f"/projects/{w.project_id}/drawings/{revision['drawing_id']}"
    for bad in (0, 1700000000, "01/11/2026", "2026-13-01"):
        answer = w.api("PATCH", path, "dr-admin", {"received_date": bad})
        assert answer.status == 422, (bad, answer.body)
    assert w.api("PATCH", path, "dr-admin", {"received_date": "2026-11-02"}).status == 200
    upload = w.api(
        "POST",
        f"/projects/{w.project_id}/drawing-uploads",
        "dr-std",
        {"filename": "a.pdf", "content_type": "application/pdf", "size": "100"},
    )
    assert upload.status == 422


def test_no_content_means_no_body(api: Api, world: Directory) -> None:
    api("PUT", f"/companies/{world.company_id}/users/temp", world.admin, {"email": "t@apex.example", "name": "T"})
    from local.events import LambdaContext, api_event

    event = api_event(
        "DELETE",
        "/companies/{company_id}/users/{user_id}",
        f"/companies/{world.company_id}/users/temp",
        claims={"sub": world.admin},
        path_parameters={"company_id": world.company_id, "user_id": "temp"},
    )
    response = api.handler("DirectoryApiFunction")(event, LambdaContext("DirectoryApiFunction"))
    assert response["statusCode"] == 204
    assert not response["body"]


def test_an_event_whose_send_failed_is_relayed_later_and_delivered_once(
    two: Connected, queues: Queues, monkeypatch: pytest.MonkeyPatch, stack: Any
) -> None:
    from datetime import timedelta

    from connectability.db import outbox as outbox_db
    from connectability.models.common import utcnow
    from local.events import LambdaContext

    sqs = aws.sqs()
    real = sqs.send_message

    def unavailable(**_: Any) -> Any:
        raise ClientError({"Error": {"Code": "ServiceUnavailable", "Message": "down"}}, "SendMessage")

    # Given the queue is down when the request commits
    monkeypatch.setattr(sqs, "send_message", unavailable)
    assert two.request().status == 201
    monkeypatch.setattr(sqs, "send_message", real)
    assert queues.peek("NotificationsQueue") == []
    later = utcnow() + timedelta(minutes=1)
    assert len(outbox_db.pending(later)) == 1
    # When the relay runs (twice, as a schedule may)
    relay = queues.api.handler("OutboxRelayFunction")
    assert relay_as_scheduled(later) == 1
    assert relay({}, LambdaContext("OutboxRelayFunction")) == {"relayed": 0}
    # Then the event went out once, and the upstream CM admins got one message each
    assert outbox_db.pending(later) == []
    queues.drain("NotificationsQueue")
    assert sorted(m.to[0] for m in notifications.outbox()) == ["apex-cm2@example.com", "apex-cm@example.com"]


def test_a_sent_event_leaves_nothing_in_the_outbox(two: Connected) -> None:
    from datetime import timedelta

    from connectability.db import outbox as outbox_db
    from connectability.models.common import utcnow

    connection = two.request().body["id"]
    two.build.api("POST", f"/connections/{connection}/approve", "apex-cm")
    assert outbox_db.pending(utcnow() + timedelta(minutes=1)) == []


def test_a_refused_change_leaves_no_event(two: Connected, queues: Queues) -> None:
    from datetime import timedelta

    from connectability.db import outbox as outbox_db
    from connectability.models.common import utcnow

    connection = two.request().body["id"]
    queues.drain("NotificationsQueue")
    assert two.build.api("POST", f"/connections/{connection}/disconnect", "apex-cm", {"reason": "x"}).status == 409
    assert outbox_db.pending(utcnow() + timedelta(minutes=1)) == []
    assert queues.peek("NotificationsQueue") == []


def test_a_manifest_that_s3_refused_is_written_by_the_relay(
    drawings_world: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import timedelta

    from connectability.db import outbox as outbox_db
    from connectability.models.common import utcnow

    w = drawings_world
    revision = w.revision("A-1").body
    s3 = aws.s3()
    real = s3.put_object

    def unavailable(**kwargs: Any) -> Any:
        if kwargs["Key"].startswith("manifests/"):
            raise ClientError({"Error": {"Code": "ServiceUnavailable", "Message": "down"}}, "PutObject")
        return real(**kwargs)

    # Given S3 refuses manifests while a revision is published
    monkeypatch.setattr(s3, "put_object", unavailable)
    assert w.publish(revision["id"]).body == {"published": [revision["id"]]}
    monkeypatch.setattr(s3, "put_object", real)
    with pytest.raises(ClientError):
        w.manifest(revision["id"])
    # When the relay runs
    later = utcnow() + timedelta(minutes=1)
    assert [i.revision_ids for i in outbox_db.pending(later)] == [[revision["id"]]]
    assert relay_as_scheduled(later) == 1
    # Then the manifest is there, written once (the refused attempt used up a version: versions only grow,
    # with gaps), and nothing is left to do
    assert w.manifest(revision["id"])["title"] == "Plan A-1"
    assert len(w.manifest_versions(revision["id"])) == 1
    assert outbox_db.pending(later) == []


def test_when_s3_refuses_one_manifest_of_a_set_only_that_one_stays_due(
    drawings_world: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import timedelta

    from connectability.db import outbox as outbox_db
    from connectability.models.common import utcnow

    w = drawings_world
    ids = [w.revision(f"A-{n}").body["id"] for n in range(3)]
    s3 = aws.s3()
    real = s3.put_object

    def refuse_one(**kwargs: Any) -> Any:
        if kwargs["Key"] == f"manifests/{w.project_id}/{ids[1]}.json":
            raise ClientError({"Error": {"Code": "ServiceUnavailable", "Message": "down"}}, "PutObject")
        return real(**kwargs)

    # Given S3 refuses one manifest of three published together
    monkeypatch.setattr(s3, "put_object", refuse_one)
    assert w.publish(*ids).body == {"published": ids}
    monkeypatch.setattr(s3, "put_object", real)
    # Then only that one is still owed
    later = utcnow() + timedelta(minutes=1)
    assert [i.revision_ids for i in outbox_db.pending(later)] == [[ids[1]]]
    # And the relay writes it and nothing else again
    assert relay_as_scheduled(later) == 1
    assert [len(w.manifest_versions(i)) for i in ids] == [1, 1, 1]
    assert outbox_db.pending(later) == []


def test_manifest_duties_are_cleared_when_done(drawings_world: Any) -> None:
    from datetime import timedelta

    from connectability.db import outbox as outbox_db
    from connectability.models.common import utcnow

    w = drawings_world
    revision = w.published("A-1")
    w.api("PATCH", f"/projects/{w.project_id}/drawings/{revision['drawing_id']}", "dr-admin", {"title": "T2"})
    w.api("DELETE", f"/projects/{w.project_id}/drawings/{revision['drawing_id']}", "dr-admin")
    assert outbox_db.pending(utcnow() + timedelta(minutes=1)) == []
    assert w.manifest_versions(revision["id"]) == [1, 2, 3]


def _before(monkeypatch: pytest.MonkeyPatch, module: Any, name: str, first: Any) -> None:
    """Run `first` (another request of the same moment) just before `name` of `module` writes."""
    real = getattr(module, name)

    def raced(*args: Any, **kwargs: Any) -> Any:
        monkeypatch.setattr(module, name, real)
        first()
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, raced)


def test_r28_a_revision_published_while_its_drawing_is_deleted_is_deleted_for_sync_too(
    drawings_world: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from connectability.db import drawing_deletes as deletes_db

    w = drawings_world
    first = w.published("A-1")
    draft = w.revision("A-1", revision_number="2").body
    _before(monkeypatch, deletes_db, "start_delete", lambda: w.publish(draft["id"]))
    assert w.api("DELETE", f"/projects/{w.project_id}/drawings/{first['drawing_id']}", "dr-admin").status == 204
    assert w.manifest(draft["id"])["deleted"] is True
    assert w.manifest(first["id"])["deleted"] is True


def test_a_revision_never_lands_on_a_drawing_deleted_meanwhile(
    drawings_world: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from connectability.db import drawings as drawings_db

    w = drawings_world
    first = w.published("A-1")
    upload = w.upload()
    _before(
        monkeypatch,
        drawings_db,
        "put_revision",
        lambda: w.api("DELETE", f"/projects/{w.project_id}/drawings/{first['drawing_id']}", "dr-admin"),
    )
    body = {
        "upload_id": upload,
        "number": "A-1",
        "title": "T",
        "revision_number": "2",
        "discipline": {"name": "Architectural"},
    }
    refused = w.api("POST", f"/projects/{w.project_id}/drawing-revisions", "dr-std", body)
    assert (refused.status, refused.error["code"]) == (409, "invalid_state")
    # the upload was given back: the same file makes a revision of a new drawing A-1
    again = w.api("POST", f"/projects/{w.project_id}/drawing-revisions", "dr-std", body)
    assert again.status == 201
    assert again.body["drawing_id"] != first["drawing_id"]


def test_an_edit_racing_a_delete_is_a_404_not_a_crash(drawings_world: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from connectability.db import drawings as drawings_db

    w = drawings_world
    revision = w.published("A-1")
    path = f"/projects/{w.project_id}/drawings/{revision['drawing_id']}"
    _before(monkeypatch, drawings_db, "edit_drawing", lambda: w.api("DELETE", path, "dr-admin2"))
    answer = w.api("PATCH", path, "dr-admin", {"title": "Too late"})
    assert (answer.status, answer.error["code"]) == (404, "not_found")
    assert w.manifest(revision["id"])["title"] == "Plan A-1"
    assert w.manifest(revision["id"])["deleted"] is True


def test_a_duty_that_keeps_failing_never_blocks_the_others(two: Connected, queues: Queues) -> None:
    from datetime import timedelta

    from connectability.db import outbox as outbox_db
    from connectability.models.common import utcnow

    # Given an old duty that can never be done, and a younger event whose first send failed
    outbox_db.outbox_item(outbox_db.record("evt_broken", "{not an event", utcnow() - timedelta(minutes=5))).save()
    connection = connections_db.get_connection(two.request().body["id"])
    queues.drain("NotificationsQueue")
    assert connection is not None
    outbox_db.outbox_item(
        notification_events.prepare(EventType.connection_requested, connection, [Side.upstream]).record
    ).save()
    # When the relay runs, the younger one is sent and the broken one stays (for the age alarm)
    later = utcnow() + timedelta(minutes=1)
    assert relay_as_scheduled(later) == 1
    assert [i.event_id for i in outbox_db.pending(later)] == ["evt_broken"]
    assert len(queues.peek("NotificationsQueue")) == 1


def test_a_file_check_that_could_not_be_queued_is_queued_by_the_relay(
    drawings_world: Any, queues: Queues, monkeypatch: pytest.MonkeyPatch, small_inline_hash: None
) -> None:
    from datetime import timedelta

    from connectability.db import outbox as outbox_db
    from connectability.models.common import utcnow

    sqs = aws.sqs()
    real = sqs.send_message

    def unavailable(**_: Any) -> Any:
        raise ClientError({"Error": {"Code": "ServiceUnavailable", "Message": "down"}}, "SendMessage")

    monkeypatch.setattr(sqs, "send_message", unavailable)
    revision = drawings_world.revision("A-1")
    monkeypatch.setattr(sqs, "send_message", real)
    assert revision.status == 201
    assert queues.peek("FileChecksQueue") == []
    assert relay_as_scheduled(utcnow() + timedelta(minutes=1)) == 1
    assert [m["revision_id"] for m in queues.peek("FileChecksQueue")] == [revision.body["id"]]
    assert outbox_db.pending(utcnow() + timedelta(minutes=1)) == []


def test_a_write_refused_for_a_transaction_in_flight_is_retried(drawings_world: Any, faults: Faults) -> None:
    w = drawings_world
    draft = w.revision("A-1").body

    def updates_a_drawing(params: dict[str, Any]) -> bool:
        updates = [t["Update"] for t in params.get("TransactItems", []) if "Update" in t] or [params]
        return any(u.get("Key", {}).get("sk", {}).get("S", "").startswith("DRAWING#") for u in updates)

    # Given DynamoDB refuses the next write to the drawing once, as it does while a transaction holds the item
    for operation in ("UpdateItem", "TransactWriteItems"):
        faults.fail(operation, times=1, code="TransactionConflictException", when=updates_a_drawing)
    # When the draft is published, its drawing's current revision moves all the same
    assert w.publish(draft["id"]).status == 200
    assert sum(rule[1] == 0 for rule in faults.rules) >= 1  # a refusal happened, and was retried
    listed = w.api("GET", f"/projects/{w.project_id}/drawings", "dr-reader").body["items"]
    assert [d["current_revision"]["id"] for d in listed] == [draft["id"]]


def test_a_file_check_for_a_revision_not_found_is_retried_not_dropped(queues: Queues, api: Api) -> None:
    import boto3

    boto3.client("sqs").send_message(
        QueueUrl=queues.url("FileChecksQueue"),
        MessageBody=json.dumps({"schema_version": 1, "project_id": "prj_x", "revision_id": "rev_not_yet"}),
    )
    responses = queues.drain("FileChecksQueue", rounds=1)
    assert len(responses[0]["batchItemFailures"]) == 1
    assert queues.peek("FileChecksQueue")

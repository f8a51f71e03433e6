"""SES: one message to one recipient, its plain text and HTML together."""

from __future__ import annotations

from botocore.exceptions import ClientError

from connectability import aws
from connectability.config import get_settings

THROTTLED = frozenset({"Throttling", "ThrottlingException", "TooManyRequestsException", "ServiceUnavailable"})
SERVER_FAILED = frozenset({"InternalFailure", "InternalError", "InternalServerError"})  # SES's side, not the message


class Throttled(Exception):
    """SES asked us to slow down: nothing was sent, and trying again later may send it."""


class Refused(Exception):
    """SES refused the message for good (an address it will not write to, say): trying again changes nothing."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def send(to: str, subject: str, text: str, html: str) -> str:
    """Send one message from the stack's sender; answers SES's message id."""
    try:
        answer = aws.ses().send_email(
            Source=get_settings().mail_sender,
            Destination={"ToAddresses": [to]},
            Message={
                "Subject": {"Data": subject, "Charset": "UTF-8"},
                "Body": {"Text": {"Data": text, "Charset": "UTF-8"}, "Html": {"Data": html, "Charset": "UTF-8"}},
            },
        )
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code in THROTTLED:
            raise Throttled(f"SES throttled the message to {to}") from exc
        if code in SERVER_FAILED or exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) >= 500:
            raise  # SES failed, not the message: the event is retried (its idempotency record is released)
        raise Refused(code) from exc
    return answer["MessageId"]

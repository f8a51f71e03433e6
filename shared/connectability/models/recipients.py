"""A project's recipients of connection mail (R38): who is chosen, and who may be. Apart from the connections'
models: the Drawings API shows these settings too, and notify reads the mode, neither defining a connection's."""

from enum import StrEnum

from pydantic import ConfigDict, Field

from connectability.models.common import Input, Output


class RecipientMode(StrEnum):
    default = "default"
    selected = "selected"


class NotificationRecipients(Input):
    mode: RecipientMode = RecipientMode.default
    user_ids: list[str] = Field(default_factory=list, max_length=200)


class SettingsBody(Input):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"notification_recipients": {"mode": "selected", "user_ids": ["gc-pm", "gc-admin"]}}]
        }
    )

    notification_recipients: NotificationRecipients


class EligibleRecipient(Output):
    """Someone who may be chosen as a recipient (R38), and why: `connection_manager_admin` or `drawings_admin` of
    the project, `company_admin` of its company."""

    user_id: str
    name: str
    email: str
    roles: list[str]


class Settings(Output):
    notification_recipients: NotificationRecipients
    eligible: list[EligibleRecipient] = Field(
        default_factory=list, description="The people a 'selected' list may name (R38), by name."
    )

"""A project's recipient settings per tool (R38): who of the eligible users (Connection Manager admins in the
directory and company admins; or Drawings admins) is told of its events."""

from __future__ import annotations

from connectability.db import companies as companies_db
from connectability.db import projects as projects_db
from connectability.db import settings as settings_db
from connectability.db.rows import SettingsRow
from connectability.domain import audit
from connectability.domain.permissions import CM, Caller, ProjectAccess, Rights, read_rights
from connectability.domain.recipients import eligible_user_ids
from connectability.errors import InvalidInput, NotFound, NotPermitted
from connectability.models.audit import AuditAction
from connectability.models.common import Level
from connectability.models.recipients import EligibleRecipient, NotificationRecipients, RecipientMode, Settings


def get_recipient_settings(caller: Caller, project_id: str, tool: str) -> Settings:
    _require_admin(caller, project_id, tool)
    return _settings_view(project_id, tool, settings_db.get_settings_of(project_id, tool))


def put_recipient_settings(caller: Caller, project_id: str, tool: str, body: NotificationRecipients) -> Settings:
    """The settings as they were are read with the caller's rights, and replaced only as read (R46)."""
    user_ids = list(dict.fromkeys(body.user_ids))
    wanted = SettingsRow(mode=body.mode.value, user_ids=user_ids)

    def attempt(strongly: bool) -> SettingsRow | None:
        ref = settings_db.settings_ref(project_id, tool)
        rights = read_rights(caller, [project_id], also=[ref], consistent=strongly)
        access = _admin_of(rights, project_id, tool)
        _check(project_id, tool, body, user_ids)
        old = rights.found.get(ref)
        if (old or SettingsRow()) == wanted:
            return wanted
        before, after = audit.changed(old or SettingsRow(), {"mode": wanted.mode, "user_ids": wanted.user_ids})
        record = audit.entry(
            caller,
            access.caller_name,
            AuditAction.notification_recipients_put,
            "notification_settings",
            [tool],
            companies=[access.project.company_id],
            projects=[project_id],
            before=before,
            after=after,
        )
        return wanted if settings_db.put_settings_of(project_id, tool, wanted, old, record) else None

    return _settings_view(project_id, tool, audit.until_written(attempt, "These settings"))


def _check(project_id: str, tool: str, body: NotificationRecipients, user_ids: list[str]) -> None:
    """R38: only eligible users may be selected, at least one; `default` names nobody."""
    if body.mode is RecipientMode.selected:
        admins, company_admins = eligible_user_ids(project_id, tool)
        wrong = [u for u in user_ids if u not in admins | company_admins]
        if wrong:
            who = (
                "Connection Manager admins of this project or company admins"
                if tool == CM
                else ("Drawings admins of this project")
            )
            raise InvalidInput(
                f"Only {who} can receive these notifications; not eligible: {', '.join(wrong)}.",
                rule="R38",
                details=[
                    {
                        "field": f"notification_recipients.user_ids.{body.user_ids.index(u)}",
                        "message": "not an eligible user",
                    }
                    for u in wrong
                ],
            )
        if not user_ids:
            raise InvalidInput(
                "A 'selected' list needs at least one user; use mode 'default' to notify every admin.",
                rule="R38",
                details=[{"field": "notification_recipients.user_ids", "message": "empty"}],
            )
    elif user_ids:
        raise InvalidInput(
            "user_ids are only for mode 'selected'; send an empty list with mode 'default'.",
            rule="R38",
            details=[{"field": "notification_recipients.user_ids", "message": "only with mode 'selected'"}],
        )


def _settings_view(project_id: str, tool: str, item: settings_db.SettingsRow) -> Settings:
    """The settings with the people who may be chosen (R38), by name, so nobody types a user id."""
    admins, company_admins = eligible_user_ids(project_id, tool)
    project = projects_db.get_project(project_id)
    users = companies_db.company_users(project.company_id, admins | company_admins) if project else []
    role = "connection_manager_admin" if tool == CM else "drawings_admin"
    eligible = [
        EligibleRecipient(
            user_id=u.user_id,
            name=u.name,
            email=u.email,
            roles=[
                r for r, holds in ((role, u.user_id in admins), ("company_admin", u.user_id in company_admins)) if holds
            ],
        )
        for u in sorted(users, key=lambda u: (u.name.casefold(), u.user_id))
    ]
    return Settings(
        notification_recipients=NotificationRecipients(mode=item.mode, user_ids=list(item.user_ids)),  # type: ignore[arg-type]
        eligible=eligible,
    )


def _require_admin(caller: Caller, project_id: str, tool: str) -> ProjectAccess:
    return _admin_of(read_rights(caller, [project_id]), project_id, tool)


def _admin_of(rights: Rights, project_id: str, tool: str) -> ProjectAccess:
    access = rights.project_for(project_id)
    if access.entry is None:
        raise NotFound(f"No project {project_id} is visible to you: you are not in its directory.")
    if access.level(tool) is not Level.admin:
        label = "Connection Manager" if tool == CM else "Drawings"
        raise NotPermitted(f"Only {label} admins of this project can see or change its {label} settings.")
    return access

"""The mails' words (R31-R37): what happened, to which projects, what the reader can do next, and the link to
the console's page for it."""

from __future__ import annotations

from html import escape
from urllib.parse import quote

from connectability.config import get_settings
from connectability.db import companies as companies_db
from connectability.db import projects as projects_db
from connectability.models.notifications import EventType, NotificationEvent, Side


def render(event: NotificationEvent, side: Side) -> tuple[str, str, str]:
    """Subject, plain text and HTML: what happened, to which projects, and what the reader can do next."""
    projects = projects_db.get_projects([event.upstream_project_id, event.downstream_project_id])
    companies = companies_db.get_companies(p.company_id for p in projects.values())

    def label(project_id: str) -> str:
        project = projects.get(project_id)
        if project is None:
            return project_id
        company = companies.get(project.company_id)
        return f"'{project.name}' ({company.name})" if company else f"'{project.name}'"

    up, down = label(event.upstream_project_id), label(event.downstream_project_id)
    own = event.upstream_project_id if side is Side.upstream else event.downstream_project_id
    link = console_link(own, _PAGE_OF[event.event])
    reason = f" Reason given: {event.reason}" if event.reason else ""
    subject, lines, action = _WORDING[event.event](side, up, down, reason, event.count or 0)
    text = "\n\n".join([*lines, f"{action}: {link}"])
    html = "".join(f"<p>{escape(line)}</p>" for line in lines) + f'<p><a href="{escape(link)}">{escape(action)}</a></p>'
    return subject, text, html


def _requested(side: Side, up: str, down: str, reason: str, count: int) -> tuple[str, list[str], str]:
    return (
        f"Connection requested: {down} wants the drawings of {up}",
        [
            f"Project {down} asked to connect to your project {up}.",
            f"Once approved, every drawing published in {up} is copied to {down} and kept in sync.",
        ],
        "Approve or reject the request",
    )


def _rejected(side: Side, up: str, down: str, reason: str, count: int) -> tuple[str, list[str], str]:
    return (
        f"Connection request rejected by {up}",
        [f"Your request to connect {down} to {up} was rejected.{reason}", "You may send a new request later."],
        "See the request",
    )


def _created(side: Side, up: str, down: str, reason: str, count: int) -> tuple[str, list[str], str]:
    if side is Side.upstream:
        lines = [
            f"Your project {up} is now connected to {down}.",
            f"Every drawing published in {up} is copied to {down}; nothing flows back.",
        ]
    else:
        lines = [
            f"Your project {down} is now connected to {up}.",
            f"Published drawings of {up} will arrive in {down} for your review before your team sees them.",
        ]
    return f"Projects connected: {up} to {down}", lines, "Review the connection"


def _disabled(side: Side, up: str, down: str, reason: str, count: int) -> tuple[str, list[str], str]:
    lines = [f"The connection from {up} to {down} was disconnected.{reason}"]
    if side is Side.downstream:
        lines.append(f"{down} keeps every drawing copied so far; nothing new is copied, and it cannot connect again.")
    else:
        lines.append(f"Drawings published in {up} are no longer copied to {down}.")
    return f"Connection ended: {up} to {down}", lines, "See the connection"


def _sync_complete(side: Side, up: str, down: str, reason: str, count: int) -> tuple[str, list[str], str]:
    return (
        f"Initial sync complete: {up} to {down}",
        [
            f"Every published drawing revision of {up} has been copied to {down}: {_revisions(count)}.",
            "The copies wait for your review.",
        ],
        "Review the connected drawings",
    )


def _published(side: Side, up: str, down: str, reason: str, count: int) -> tuple[str, list[str], str]:
    return (
        f"{_revisions(count).capitalize()} from {up} to review",
        [f"{_revisions(count).capitalize()} published in {up} arrived in {down}.", "They wait for your review."],
        "Review the connected drawings",
    )


def _deleted(side: Side, up: str, down: str, reason: str, count: int) -> tuple[str, list[str], str]:
    drawings = f"{count} drawing{'' if count == 1 else 's'}"
    return (
        f"{drawings.capitalize()} deleted in {up}",
        [
            f"{drawings.capitalize()} deleted in {up} left the register of {down}.",
            "Drawings admins still find them in the Deleted Drawing Revisions report.",
        ],
        "See the report",
    )


def _revisions(count: int) -> str:
    return f"{count} drawing revision{'' if count == 1 else 's'}"


# The console's page a mail's link opens, by event: the connections, the review queue, the Deleted report.
_PAGE_OF = {
    EventType.connection_requested: "connections",
    EventType.connection_rejected: "connections",
    EventType.connection_created: "connections",
    EventType.connection_disabled: "connections",
    EventType.initial_sync_complete: "review",
    EventType.drawings_published: "review",
    EventType.drawings_deleted: "deleted",
}


def console_link(project_id: str, page: str) -> str:
    """A page of the console (its hash routes), where APP_LINK_BASE serves it."""
    return f"{get_settings().app_link_base.rstrip('/')}/#/project/{quote(project_id, safe='')}/{page}"


_WORDING = {
    EventType.connection_requested: _requested,
    EventType.connection_rejected: _rejected,
    EventType.connection_created: _created,
    EventType.connection_disabled: _disabled,
    EventType.initial_sync_complete: _sync_complete,
    EventType.drawings_published: _published,
    EventType.drawings_deleted: _deleted,
}

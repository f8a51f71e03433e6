"""Domain errors. Each carries its HTTP status, API error code and the rule it enforces, so one map serves all APIs."""

from __future__ import annotations

from typing import Any, ClassVar


class ConnectabilityError(Exception):
    """Base of every error a client can cause; never a 500."""

    status: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"
    default_rule: ClassVar[str | None] = None

    def __init__(self, message: str, *, rule: str | None = None, details: list[dict[str, Any]] | None = None):
        super().__init__(message)
        self.message = message
        self.rule = rule if rule is not None else self.default_rule
        self.details = details

    def body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, "rule": self.rule, "details": self.details}}


class MalformedJson(ConnectabilityError):
    status = 400
    code = "malformed_json"


class Unauthenticated(ConnectabilityError):
    status = 401
    code = "unauthenticated"


class NotFound(ConnectabilityError):
    """Also answered when the caller may not see the resource: never reveal another company's data."""

    status = 404
    code = "not_found"


class NotPermitted(ConnectabilityError):
    status = 403
    code = "not_permitted"


class InvalidInput(ConnectabilityError):
    status = 422
    code = "validation_error"


class PayloadTooLarge(ConnectabilityError):
    status = 413
    code = "payload_too_large"


class RuleViolation(ConnectabilityError):
    """A rule forbids this in the current state (409)."""

    status = 409
    code = "conflict"


class ProjectInactive(RuleViolation):
    code = "project_inactive"
    default_rule = "R03"


class SameProject(RuleViolation):
    code = "same_project"
    default_rule = "R04"


class NotOptedIn(RuleViolation):
    code = "not_opted_in"
    default_rule = "R05"


class AlreadyHasUpstream(RuleViolation):
    code = "already_has_upstream"
    default_rule = "R11"


class ChainNotAllowed(RuleViolation):
    code = "chain_not_allowed"
    default_rule = "R13"


class ReconnectForbidden(RuleViolation):
    code = "reconnect_forbidden"
    default_rule = "R16"


class InvalidState(RuleViolation):
    code = "invalid_state"


class ConnectedDrawingReadOnly(RuleViolation):
    code = "connected_drawing_read_only"
    default_rule = "R24"


class AlreadyExists(RuleViolation):
    code = "already_exists"

"""What every HTTP API shares: the resolver with its one error map, the caller, paging and documented errors."""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Callable, Mapping
from typing import Annotated, Any, cast

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from aws_lambda_powertools.event_handler.router import Router
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import BotoCoreError, ClientError
from pydantic import BaseModel, ConfigDict
from pynamodb.exceptions import PynamoDBException

from connectability import retries, runtime
from connectability.config import get_settings
from connectability.domain.permissions import Caller
from connectability.errors import ConnectabilityError, InvalidInput, MalformedJson, PayloadTooLarge, Unauthenticated
from connectability.models.common import EMAIL_PATTERN, refused_character
from connectability.observability import logger

ID_PATTERN = r"^[A-Za-z0-9_-]+$"  # what new_id gives out
USER_ID_PATTERN = r"^[A-Za-z0-9._@+=:-]+$"  # a Cognito sub (a UUID), or a user name or e-mail address
Id = Annotated[str, Path(min_length=1, max_length=64, pattern=ID_PATTERN, description="An id this API gave out.")]
UserId = Annotated[
    str,
    Path(min_length=1, max_length=128, pattern=USER_ID_PATTERN, description="The user's identity (Cognito sub)."),
]
Limit = Annotated[int, Query(ge=1, le=200, description="Items per page (1..200).")]
NextToken = Annotated[str | None, Query(max_length=2048, description="From the previous page's next_token.")]


# The error models document the API (OpenAPI) only: answers are built as plain dicts. So they are built when the
# document is, never in a Lambda cold start.
class ErrorDetail(BaseModel):
    model_config = ConfigDict(defer_build=True)

    field: str
    message: str


class ErrorInfo(BaseModel):
    model_config = ConfigDict(defer_build=True)

    code: str
    message: str
    rule: str | None = None
    details: list[ErrorDetail] | None = None


class ErrorBody(BaseModel):
    """The one error shape of the API (docs/api.md, Errors)."""

    model_config = ConfigDict(defer_build=True)

    error: ErrorInfo


_DESCRIPTIONS = {
    400: "Malformed JSON",
    401: "No identity",
    403: "Not permitted",
    404: "No such resource, or not visible to the caller",
    409: "A rule forbids it in the current state",
    413: "Body too large",
    422: "Invalid fields",
    429: "Throttled",
    503: "AWS could not answer in time; retry shortly",
}


def errors(*statuses: int, ok: int | tuple[int, ...] = 200) -> dict[int, OpenAPIResponse]:
    """Document a route's answers: its success (`ok`, shaped by its return type) and its errors.

    Every route can answer 400, 401, 413, 422, 429 and 503 besides those named.
    """
    documented: dict[int, OpenAPIResponse] = {}
    for status in (ok,) if isinstance(ok, int) else ok:
        documented[status] = {"description": "No content", "content": {}} if status == 204 else {"description": "OK"}
    for status in sorted({400, 401, 413, 422, 429, 503, *statuses}):
        body: OpenAPIResponse = {
            "description": _DESCRIPTIONS[status],
            "content": {"application/json": {"model": ErrorBody}},
        }
        documented[status] = body
    return documented


def answers_csv(errors_documented: dict[int, OpenAPIResponse], model: type[BaseModel]) -> dict[int, OpenAPIResponse]:
    """Document a list that answers CSV too (`format=csv`, or `Accept: text/csv`): its page as JSON or as CSV."""
    return {
        **errors_documented,
        200: {
            "description": "OK: the page as JSON; as CSV with `format=csv` or `Accept: text/csv` (an attachment, the "
            "next page's token in the `Next-Token` header)",
            "content": {"application/json": {"model": model}, "text/csv": {"schema": {"type": "string"}}},
        },
    }


def wants_csv(router: Router | APIGatewayRestResolver, given: str | None) -> bool:
    """CSV when asked for by name (`format=csv`), or, with no format named, by the Accept header."""
    if given is not None:
        return given == "csv"
    event = cast(APIGatewayProxyEvent, router.current_event)
    return "text/csv" in (event.headers.get("accept") or "").lower()


def csv_attachment(text: str, filename: str, next_token: str | None) -> Response:
    """A CSV file to save (Content-Disposition: attachment); the next page's token, if any, in `Next-Token`."""
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    if next_token:
        headers["Next-Token"] = next_token
    return Response(status_code=200, content_type="text/csv; charset=utf-8", body=text, headers=headers)


def respond(status: int, body: Any = None) -> Response:
    """A JSON answer with a status other than 200 (201 created), or 204 with no body at all."""
    if status == 204:
        return Response(status_code=204, body="")
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=body)


def error_response(status: int, code: str, message: str, rule: str | None = None, details: Any = None) -> Response:
    body = {"error": {"code": code, "message": message, "rule": rule, "details": details}}
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=body)


DIRECTORY, CONNECTION_MANAGER, DRAWINGS = "Directory", "Connection Manager", "Drawings"
_ROUTE = inspect.signature(Router.route)


class ApiRouter(Router):
    """A Router whose operations carry their API's one tag and, as operationId, their handler's name; the first
    line of the handler's docstring is the operation's summary, the rest its description.

    So a client generated from the OpenAPI document groups calls by API (`connection_manager.approve_connection`)
    instead of one `default` module of names like `approve_connections__connection_id__approve_post`.
    """

    def __init__(self, tag: str) -> None:
        super().__init__()
        self.tag = tag

    def route(self, *args: Any, **kwargs: Any) -> Callable[[Any], Any]:
        arguments = _ROUTE.bind(self, *args, **kwargs).arguments

        def register(func: Any) -> Any:
            named = {**arguments, "tags": arguments.get("tags") or [self.tag]}
            named["operation_id"] = arguments.get("operation_id") or func.__name__
            summary, _, description = inspect.cleandoc(func.__doc__ or "").partition("\n")
            named["summary"] = arguments.get("summary") or summary.strip() or None
            named["description"] = arguments.get("description") or description.strip() or None
            return Router.route(**named)(func)

        return register


_GROUP_SPLIT = re.compile(r"[\s,\[\]]+")


def caller_of(router: Router | APIGatewayRestResolver) -> Caller:
    """The caller from the Cognito authorizer's claims (`sub`, `cognito:groups`); 401 when absent. With API
    Gateway's request id, which the audit trail records with every change the request makes (R46)."""
    event = cast(APIGatewayProxyEvent, router.current_event)
    claims = event.request_context.authorizer.claims or {}
    user_id = claims.get("sub")
    if not user_id:
        raise Unauthenticated("Sign in first: send 'Authorization: Bearer <token>'.")
    raw = claims.get("cognito:groups") or ""
    groups = frozenset(raw if isinstance(raw, list) else (g for g in _GROUP_SPLIT.split(str(raw)) if g))
    return Caller(
        user_id=str(user_id),
        groups=groups,
        is_platform_admin=get_settings().platform_admin_group in groups,
        request_id=event.request_context.request_id,
    )


def _field_of(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path")]
    return ".".join(parts) or "body"


class RestApi(APIGatewayRestResolver):
    """Powertools' REST resolver that refuses oversized bodies (413) before validation reads them."""

    def resolve(self, event: Mapping[str, Any], context: LambdaContext) -> dict[str, Any]:
        answer = retries.answer_once(event, context, lambda: self._answer(event, context))
        return _console_may_read(event, answer)

    def _answer(self, event: Mapping[str, Any], context: LambdaContext) -> dict[str, Any]:
        body = event.get("body") or ""
        limit = get_settings().max_body_bytes
        if len(body.encode()) > limit:
            return _refusal(PayloadTooLarge(f"The body is over {limit // 1024} KiB; send less."))
        if body:
            try:
                json.loads(body)
            except (ValueError, RecursionError):
                return _refusal(MalformedJson("The body is not valid JSON; send a JSON object."))
        if (bad := _bad_path_parameters(event)) is not None:
            return _refusal(bad)
        return super().resolve(_as_json(event), context)


def _console_may_read(event: Mapping[str, Any], answer: dict[str, Any]) -> dict[str, Any]:
    """The console is served from another origin (CloudFront): let its browser read every answer, errors too, and
    the headers it follows (a CSV page's `Next-Token`: a browser hides any header not named as exposed).

    API Gateway answers the preflight (template.yaml, Cors); the answers themselves must name the origin."""
    origin = get_settings().console_origin
    sent = next((v for k, v in (event.get("headers") or {}).items() if k.lower() == "origin"), None)
    if origin and sent == origin:
        answer["headers"] = {
            **(answer.get("headers") or {}),
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Expose-Headers": "Next-Token",
            "Vary": "Origin",
        }
    return answer


_PATH_PARAMETER = re.compile(USER_ID_PATTERN)


def _bad_path_parameters(event: Mapping[str, Any]) -> InvalidInput | None:
    """Path parameters are checked before routing: the router's own patterns end with `$`, which matches before
    a trailing line break, so `.../drawings/%0A` would otherwise be served as `.../drawings`. Each route then
    checks its ids against their own patterns (Id, UserId)."""
    given = dict(event.get("pathParameters") or {})
    if not given and refused_character(str(event.get("path") or "")) is not None:
        given = {"path": str(event.get("path"))}
    wrong = [name for name, v in given.items() if not _PATH_PARAMETER.fullmatch(str(v)) or str(v) in (".", "..")]
    if not wrong:
        return None
    return InvalidInput(
        f"Not a valid id: {', '.join(wrong)}; use the ids this API gives out.",
        details=[{"field": name, "message": "not a valid id"} for name in wrong],
    )


def _refusal(error: ConnectabilityError) -> dict[str, Any]:
    """An answer given before routing, in the same error shape the exception map gives."""
    return {
        "statusCode": error.status,
        "headers": {"Content-Type": content_types.APPLICATION_JSON},
        "body": json.dumps(error.body()),
        "isBase64Encoded": False,
    }


def _as_json(event: Mapping[str, Any]) -> Mapping[str, Any]:
    """The API speaks JSON only: a body sent as a form (curl -d) is read as the JSON it is."""
    headers = {k: v for k, v in (event.get("headers") or {}).items() if k.lower() != "content-type"}
    if not event.get("body"):
        return event
    multi = {k: v for k, v in (event.get("multiValueHeaders") or {}).items() if k.lower() != "content-type"}
    return {
        **event,
        "headers": {**headers, "Content-Type": content_types.APPLICATION_JSON},
        "multiValueHeaders": {**multi, "Content-Type": [content_types.APPLICATION_JSON]},
    }


AWS_TROUBLE: list[type[Exception]] = [BotoCoreError, ClientError, PynamoDBException]
THROTTLING = frozenset(
    {"ThrottlingException", "Throttling", "ProvisionedThroughputExceededException", "RequestLimitExceeded", "SlowDown"}
)


def _code_of(exc: Exception) -> str | None:
    return exc.response.get("Error", {}).get("Code") if isinstance(exc, ClientError) else type(exc).__name__


# A value that does not match its field's pattern, said as a person would, not as the regular expression.
_PATTERN_WORDS = {
    ID_PATTERN: "is not an id this API gave out (letters, digits, _ and - only)",
    USER_ID_PATTERN: "is not a user id: letters, digits and . _ @ + = : - only, no spaces",
    EMAIL_PATTERN: "is not an e-mail address (name@example.com)",
}


def _said(problem: Mapping[str, Any]) -> str:
    """pydantic's message for a problem, but a pattern's mismatch in the product's words."""
    if problem.get("type") == "string_pattern_mismatch":
        pattern = str((problem.get("ctx") or {}).get("pattern"))
        return _PATTERN_WORDS.get(pattern, "does not have the form this field takes")
    return str(problem.get("msg"))


def new_api() -> RestApi:
    """A REST resolver with validation and the single map from errors to the one error shape."""
    app = RestApi(enable_validation=True)

    @app.exception_handler(ConnectabilityError)
    def _domain_error(exc: ConnectabilityError) -> Response:
        logger.info("request refused", extra={"code": exc.code, "rule": exc.rule, "status": exc.status})
        return Response(status_code=exc.status, content_type=content_types.APPLICATION_JSON, body=exc.body())

    @app.exception_handler(RequestValidationError)
    def _invalid(exc: RequestValidationError) -> Response:
        problems = exc.errors()
        details = [{"field": _field_of(tuple(p.get("loc", ()))), "message": _said(p)} for p in problems]
        fields = ", ".join(d["field"] for d in details)
        return error_response(422, "validation_error", f"Some fields are invalid: {fields}.", None, details)

    @app.exception_handler(AWS_TROUBLE)
    def _aws_trouble(exc: Exception) -> Response:
        """AWS failed us (throttled, down, timed out): nothing the client did; a retry may well succeed."""
        code = _code_of(exc.cause if isinstance(exc, PynamoDBException) and exc.cause is not None else exc)
        logger.exception("AWS call failed during a request", extra={"aws_code": code})
        if code in THROTTLING:
            return error_response(429, "throttled", "Too many requests right now; retry after a short wait.")
        return error_response(503, "unavailable", "The service could not answer; retry shortly.")

    @app.not_found
    def _no_route(_: Exception) -> Response:
        path = app.current_event.path
        return error_response(404, "not_found", f"No route {app.current_event.http_method} {path}.")

    @runtime.before_snapshot
    def _routes_ready() -> None:
        """Under SnapStart: Powertools makes a route's parameters and body models (its "dependant") on the route's
        first request; the OpenAPI document reads every route's, so making it makes them all."""
        app.get_openapi_schema()

    return app

"""The API's OpenAPI document, generated from the code: every API function's Powertools resolver, merged.

`python -m local.openapi [-o openapi.json]` writes it (stdout by default). API functions are found from
template.yaml: those whose handler module has an `app` that is a Powertools REST resolver.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from pathlib import Path
from typing import Any

from connectability import retries
from local.template import Stack, load

TITLE = "Connectability"
VERSION = "1.0.0"
DESCRIPTION = (
    "Connect a downstream construction project to an upstream one; every drawing the upstream publishes is then "
    "copied into the downstream, where a Drawings admin reviews and publishes it. Rules, error codes and "
    "notification events are explained in the repository's docs/api.md. Every call needs an id token of the "
    "stack's Cognito user pool (`Authorization: Bearer <token>`); on the local stack, POST /_local/tokens."
)
TAGS = [
    {"name": "Directory", "description": "Companies, their users, projects and project directories."},
    {"name": "Connection Manager", "description": "Requests, approvals, disconnects, notification settings."},
    {"name": "Drawings", "description": "Uploads, revisions, the register, review of connected drawings."},
]
SECURITY = {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}


def resolvers(stack: Stack) -> dict[str, Any]:
    """Function logical id → its resolver, for every function that serves HTTP."""
    from aws_lambda_powertools.event_handler.api_gateway import ApiGatewayResolver

    found = {}
    for name, function in stack.functions.items():
        module = importlib.import_module(function.handler.rpartition(".")[0])
        app = getattr(module, "app", None)
        if isinstance(app, ApiGatewayResolver):
            found[name] = app
    return found


def build(stack: Stack | None = None) -> dict[str, Any]:
    """One document: the paths and component schemas of every API function (a clash of names is an error).

    Each operation has one of the TAGS and an operationId used nowhere else, so generated clients stay usable."""
    document: dict[str, Any] = {}
    paths: dict[str, dict[str, Any]] = {}
    schemas: dict[str, Any] = {}
    operation_ids: dict[str, str] = {}
    tag_names = {t["name"] for t in TAGS}
    for name, app in resolvers(stack or load()).items():
        part = json.loads(app.get_openapi_json_schema(title=TITLE, version=VERSION))
        document = document or {k: v for k, v in part.items() if k not in ("paths", "components")}
        for path, operations in part.get("paths", {}).items():
            for method, operation in operations.items():
                if method in paths.get(path, {}):
                    raise ValueError(f"{method.upper()} {path} is served by two functions (one is {name})")
                where = f"{method.upper()} {path}"
                if len(operation.get("tags", [])) != 1 or operation["tags"][0] not in tag_names:
                    raise ValueError(f"{where} needs exactly one tag of {sorted(tag_names)}")
                if operation_ids.setdefault(operation["operationId"], where) != where:
                    raise ValueError(f"{where} and {operation_ids[operation['operationId']]} share an operationId")
                paths.setdefault(path, {})[method] = operation
        for schema_name, schema in part.get("components", {}).get("schemas", {}).items():
            if schemas.setdefault(schema_name, schema) != schema:
                raise ValueError(f"two functions define schema {schema_name} differently (one is {name})")
    for operations in paths.values():
        for method, operation in operations.items():
            if method.upper() in retries.METHODS:
                _safe_retries(operation)
    document["info"] = {**document.get("info", {}), "description": DESCRIPTION}
    document["tags"] = TAGS
    document["paths"] = dict(sorted(paths.items()))
    document["components"] = {"schemas": dict(sorted(schemas.items())), "securitySchemes": SECURITY}
    document["security"] = [{"bearer": []}]
    return document


def _safe_retries(operation: dict[str, Any]) -> None:
    """R43: every POST, PUT and PATCH takes an Idempotency-Key (read by the API's resolver for every such route,
    so it is documented here once rather than in each handler's signature), and may answer its two refusals."""
    operation.setdefault("parameters", []).append(
        {
            "name": retries.HEADER,
            "in": "header",
            "required": False,
            "description": (
                "Makes a retry safe (R43): the same key with the same request within 24 hours gets the first "
                "answer again (with `Idempotent-Replayed: true`) and changes nothing. A new unique value, such "
                "as a UUID, for each new request."
            ),
            "schema": {"type": "string", "minLength": 1, "maxLength": retries.MAX_KEY, "pattern": "^[ -~]+$"},
        }
    )
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
    responses = operation["responses"]
    conflict = "A rule forbids it in the current state; or `request_in_progress`: this key's request still runs"
    responses["409"] = {"description": conflict, "content": error}
    responses["422"]["description"] = (
        "Invalid fields; or `idempotency_key_reused`: this key was used by another request"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.openapi", description=__doc__)
    parser.add_argument("-o", "--output", type=Path, help="file to write (default: stdout)")
    args = parser.parse_args(argv)
    text = json.dumps(build(), indent=2) + "\n"
    if args.output:
        args.output.write_text(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())

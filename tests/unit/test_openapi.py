"""The OpenAPI document generated from the code says what the API answers: its success and its error shape."""

from __future__ import annotations

import re

from local.openapi import build


def test_every_operation_documents_its_success_and_the_error_shape() -> None:
    document = build()
    assert document["paths"]
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            successes = [code for code in responses if code.startswith("2")]
            assert successes, f"{method.upper()} {path} documents no success"
            for code in successes:
                if code != "204":
                    assert responses[code]["content"]["application/json"]["schema"], (method, path, code)
            for code in ("400", "401", "422", "429"):
                schema = responses[code]["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorBody"}, (method, path, code)


def test_created_resources_are_documented_as_201() -> None:
    paths = build()["paths"]
    for path, method in [
        ("/companies", "post"),
        ("/companies/{company_id}/projects", "post"),
        ("/projects/{project_id}/connections", "post"),
        ("/projects/{project_id}/drawing-uploads", "post"),
        ("/projects/{project_id}/drawing-revisions", "post"),
    ]:
        assert "201" in paths[path][method]["responses"], path
        assert "200" not in paths[path][method]["responses"], path


def test_every_operation_has_one_api_tag_and_a_short_operation_id_of_its_own() -> None:
    # Given the generated document
    document = build()

    # When its operations are read
    operations = [(m, p, o) for p, ops in document["paths"].items() for m, o in ops.items()]

    # Then each carries exactly one of the three APIs' tags, and a short snake_case operationId no other has,
    # so a generated client groups calls by API with names a person would type
    assert {t["name"] for t in document["tags"]} == {"Directory", "Connection Manager", "Drawings"}
    ids = [o["operationId"] for _, _, o in operations]
    assert len(ids) == len(set(ids))
    for method, path, operation in operations:
        assert operation["tags"] in (["Directory"], ["Connection Manager"], ["Drawings"]), (method, path)
        assert re.fullmatch(r"[a-z][a-z_]{2,30}", operation["operationId"]), (method, path, operation["operationId"])
    assert document["paths"]["/connections/{connection_id}/approve"]["post"]["operationId"] == "approve_connection"


def test_the_document_says_how_to_authenticate() -> None:
    document = build()
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    assert document["security"] == [{"bearer": []}]


def test_every_route_an_error_message_names_exists() -> None:
    # Given the messages the domain writes, which point people at other routes ("... with POST /projects/...")
    from pathlib import Path

    from local.template import load

    routes = {(r.method, r.path) for r in load().routes}
    sources = (Path(__file__).resolve().parents[2] / "shared" / "connectability").rglob("*.py")
    named = [m for f in sources for m in re.findall(r"\b(GET|POST|PUT|PATCH|DELETE) (/[\w{}/.-]+)", f.read_text())]

    # Then each named route is a route of the template (no "..." and no route that does not exist)
    assert named
    for method, path in named:
        assert (method, path.rstrip(".")) in routes, f"{method} {path}"


def test_every_operation_says_in_words_what_it_does_with_an_example_body() -> None:
    # Given the generated document, as Swagger UI and a generated client show it
    document = build()
    schemas = document["components"]["schemas"]
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            where = f"{method.upper()} {path}"
            # Then each has a summary that is a sentence, not its method and path, and a description beyond it
            assert operation.get("summary"), where
            assert not operation["summary"].startswith(method.upper()), where
            assert len(operation.get("description") or "") > 30, where
            # and each body it takes has an example
            body = operation.get("requestBody")
            if body:
                ref = body["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
                assert schemas[ref].get("examples"), (where, ref)


def test_r43_every_post_put_and_patch_takes_an_idempotency_key_and_says_its_refusals() -> None:
    document = build()
    changing = [
        (m, p, o) for p, ops in document["paths"].items() for m, o in ops.items() if m in ("post", "put", "patch")
    ]
    assert len(changing) > 20
    for method, path, operation in changing:
        headers = [p for p in operation.get("parameters", []) if p["in"] == "header"]
        assert [h["name"] for h in headers] == ["Idempotency-Key"], (method, path)
        assert headers[0]["required"] is False
        assert "request_in_progress" in operation["responses"]["409"]["description"]
        assert "idempotency_key_reused" in operation["responses"]["422"]["description"]
    reads = [o for ops in document["paths"].values() for m, o in ops.items() if m in ("get", "delete")]
    assert all(p["in"] != "header" for o in reads for p in o.get("parameters", []))

"""The OpenAPI document generated from the code says what the API answers: its success and its error shape."""

from __future__ import annotations

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

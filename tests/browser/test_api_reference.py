"""The API reference ships with the product: Swagger UI at /docs over the document generated from the code."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from local.client import LocalStackClient
from local.openapi import build
from tests.browser.conftest import shot


def test_swagger_ui_shows_the_generated_document_grouped_by_api(page: Page, local_stack: LocalStackClient) -> None:
    # Given the local stack, which serves the document it generates from the code
    served = local_stack.http.get(f"{local_stack.url}/openapi.json", timeout=30).json()
    assert served == build()

    # When /docs is opened in a browser
    page.goto(f"{local_stack.url}/docs")

    # Then Swagger UI lists the three APIs and their operations by their short names
    for tag in ("Directory", "Connection Manager", "Drawings"):
        expect(page.locator(f'h3[data-tag="{tag}"]')).to_be_visible()
    expect(page.locator("#operations-Connection_Manager-approve_connection")).to_be_visible()
    shot(page, "09-api-reference", full_page=False)

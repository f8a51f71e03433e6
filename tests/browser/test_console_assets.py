"""What the local stack serves for the console besides its own files: pdf.js from node_modules, and nothing else
of node_modules (no CDN anywhere: the cloud's bucket gets the same files from `make console-dist`)."""

from __future__ import annotations

import re

import pytest

from local.client import LocalStackClient
from tests.browser.conftest import ROOT


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("/vendor/pdfjs/build/pdf.min.mjs", "text/javascript"),
        ("/vendor/pdfjs/build/pdf.worker.min.mjs", "text/javascript"),
        ("/vendor/pdfjs/cmaps/UniJIS-UCS2-H.bcmap", "application/octet-stream"),
        ("/vendor/pdfjs/standard_fonts/FoxitSerif.pfb", None),
    ],
)
def test_the_viewer_s_pdfjs_files_are_served_with_their_types(
    local_stack: LocalStackClient, path: str, kind: str | None
) -> None:
    answer = local_stack.http.get(f"{local_stack.url}{path}", timeout=30)
    assert answer.status_code == 200
    if kind:
        assert answer.headers["Content-Type"].startswith(kind)  # a module must come as JavaScript
    assert answer.content


@pytest.mark.parametrize(
    "path",
    [
        "/vendor/pdfjs/package.json",
        "/vendor/pdfjs/build/pdf.mjs.map",
        "/vendor/pdfjs/../swagger-ui-dist/package.json",
        "/vendor/pdfjs/cmaps/../../axe-core/axe.js",
        "/node_modules/pdfjs-dist/build/pdf.min.mjs",
    ],
)
def test_nothing_else_of_node_modules_is_served(local_stack: LocalStackClient, path: str) -> None:
    answer = local_stack.http.get(f"{local_stack.url}{path}", timeout=30)
    assert answer.status_code == 404


def test_the_console_loads_no_script_from_another_origin() -> None:
    # Every module the console imports is its own or under vendor/ (no CDN, no inline script in the page)
    for source in [*(ROOT / "console").rglob("*.js"), ROOT / "console" / "index.html"]:
        text = source.read_text()
        assert not re.search(r"https?://(?!www\.w3\.org/2000/svg)", text), source
    assert "<script>" not in (ROOT / "console" / "index.html").read_text()


def test_the_page_preloads_every_module_of_the_console() -> None:
    # One round of requests for the console's modules instead of one per level of imports
    page = (ROOT / "console" / "index.html").read_text()
    listed = set(re.findall(r'<link rel="modulepreload" href="js/([a-z]+\.js)">', page))
    modules = {p.name for p in (ROOT / "console" / "js").glob("*.js")} - {"main.js"}
    assert listed == modules

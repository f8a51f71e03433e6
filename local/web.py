"""What the local gateway serves besides the API: the console, its config, and the API reference.

- `/` and any file of `console/` at its own path: the console, as the cloud's bucket would serve it;
- `/config.json`: the console's config for this stack (the same origin, local sign-in through /_local/tokens);
- `/openapi.json`: the OpenAPI document generated from the code (built once, on first request);
- `/docs`: Swagger UI over that document, with assets from npm's swagger-ui-dist (`make dev` installs it);
- `/vendor/pdfjs/...`: the files of npm's pdfjs-dist that the console's sheet viewer loads (its build, the
  worker, CMaps, standard fonts, wasm decoders and ICC profiles), as `make console-dist` copies them for the cloud.

Only GET and HEAD of paths that no API route matches come here, so the API's routes cannot be shadowed.
"""

from __future__ import annotations

import json
import mimetypes
import threading
from pathlib import Path
from typing import Any

from local.template import ROOT

CONSOLE = ROOT / "console"
SWAGGER = ROOT / "node_modules" / "swagger-ui-dist"
SWAGGER_FILES = {"swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "favicon-32x32.png"}
PDFJS = ROOT / "node_modules" / "pdfjs-dist"
# What the viewer needs of pdfjs-dist, and nothing else of node_modules: these files, and these folders' files.
PDFJS_FILES = {"build/pdf.min.mjs", "build/pdf.worker.min.mjs", "LICENSE"}
PDFJS_FOLDERS = ("cmaps/", "standard_fonts/", "wasm/", "iccs/")
KINDS = {".mjs": "text/javascript", ".wasm": "application/wasm", ".bcmap": "application/octet-stream"}
Answer = tuple[int, dict[str, Any], bytes]

DOCS_PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Connectability API reference</title>
  <link rel="icon" href="/docs/favicon-32x32.png">
  <link rel="stylesheet" href="/docs/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/swagger-ui-bundle.js"></script>
  <script src="/docs/swagger-ui-standalone-preset.js"></script>
  <script src="/docs/init.js"></script>
</body>
</html>
"""

# Swagger UI refuses inline scripts under no policy here, but a file keeps the page CSP-friendly all the same.
DOCS_INIT = """window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
  layout: "StandaloneLayout",
  persistAuthorization: true,
});
"""


class Web:
    """Static answers for the gateway; `answer` gives None when the path is not one of them."""

    def __init__(self, console: Path = CONSOLE, swagger: Path = SWAGGER, pdfjs: Path = PDFJS) -> None:
        self.console, self.swagger, self.pdfjs = console, swagger, pdfjs
        self._openapi: bytes | None = None
        self._lock = threading.Lock()

    def answer(self, path: str) -> Answer | None:
        if path == "/config.json":
            return _bytes(200, "application/json", json.dumps(local_config(), indent=2).encode() + b"\n")
        if path == "/openapi.json":
            return _bytes(200, "application/json", self.openapi())
        if path in ("/docs", "/docs/"):
            return _bytes(200, "text/html; charset=utf-8", DOCS_PAGE.encode())
        if path == "/docs/init.js":
            return _bytes(200, "text/javascript; charset=utf-8", DOCS_INIT.encode())
        if path.startswith("/docs/"):
            name = path.removeprefix("/docs/")
            if name not in SWAGGER_FILES:
                return None
            if not (self.swagger / name).is_file():
                message = "Swagger UI is not installed: run `make dev` (it runs `npm ci`), then reload."
                return _bytes(503, "text/plain; charset=utf-8", message.encode())
            return _file(self.swagger / name)
        if path.startswith("/vendor/pdfjs/"):
            return self.pdfjs_file(path.removeprefix("/vendor/pdfjs/"))
        return _file(_inside(self.console, "index.html" if path == "/" else path.lstrip("/")))

    def pdfjs_file(self, name: str) -> Answer | None:
        if name not in PDFJS_FILES and not name.startswith(PDFJS_FOLDERS):
            return None
        if not self.pdfjs.is_dir():
            message = "pdf.js is not installed: run `make dev` (it runs `npm ci`), then reload."
            return _bytes(503, "text/plain; charset=utf-8", message.encode())
        return _file(_inside(self.pdfjs, name))

    def openapi(self) -> bytes:
        with self._lock:
            if self._openapi is None:
                from local import openapi

                self._openapi = json.dumps(openapi.build(), indent=2).encode() + b"\n"
            return self._openapi


def local_config() -> dict[str, Any]:
    """The console's config on the local stack: the API on the same origin, sign-in as any seeded user."""
    return {"api_url": "", "auth": {"mode": "local"}}


def _inside(folder: Path, relative: str) -> Path | None:
    """The file under `folder`, or None for anything outside it (`..`) or missing."""
    if not relative or relative.startswith("."):
        return None
    target = (folder / relative).resolve()
    return target if target.is_relative_to(folder.resolve()) and target.is_file() else None


def _file(path: Path | None) -> Answer | None:
    if path is None:
        return None
    kind = KINDS.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if kind.startswith("text/") or kind.endswith(("javascript", "json")):
        kind += "; charset=utf-8"
    return _bytes(200, kind, path.read_bytes())


def _bytes(status: int, content_type: str, data: bytes) -> Answer:
    return status, {"Content-Type": content_type, "Cache-Control": "no-cache"}, data

"""The console's register in a real browser with 2,000 published sheets, on the local stack.

The sheets are made through the public API as a client would (upload, revision, then one publish of all 2,000),
then chromium opens the register, signed in, and the page itself reports (performance.now(), from the start of the
page load): when the first row showed, when the 2,000th sheet was loaded, and the most rows the list held in the
DOM at any moment, while loading and then while the page is scrolled from top to bottom. The console's request
deadline is raised to 3 minutes here: on a busy machine the local stack (moto) can take longer than the usual
20 s to answer a page of 200.

    python -m bench.browser              (make bench runs it last; making the sheets takes a few minutes)
    python -m bench.browser --sheets 500
"""

from __future__ import annotations

import argparse
import json
import os
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import Any

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n%%EOF\n"
FIXTURE = {
    "companies": [
        {
            "key": "bench",
            "name": "Bench Builders",
            "users": [
                {
                    "user_id": "bench-admin",
                    "email": "bench@bench.example",
                    "name": "Bea Bench",
                    "is_company_admin": True,
                }
            ],
            "projects": [
                {"key": "big", "name": "Big register", "directory": [{"user_id": "bench-admin", "drawings": "admin"}]}
            ],
        }
    ]
}
DISCIPLINES = ["Architectural", "Structural", "Mechanical", "Electrical", "Plumbing"]
# Runs in the page before the console: it watches the register's list and its count line.
WATCH = r"""
window.__bench = { firstRow: null, allLoaded: null, maxRows: 0, pages: [] };
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    if (/\/drawings\?/.test(e.name)) window.__bench.pages.push({ start: e.startTime, end: e.responseEnd });
  }
}).observe({ type: "resource", buffered: true });
new MutationObserver(() => {
  const list = document.querySelector('.vlist');
  if (!list) return;
  const b = window.__bench;
  b.maxRows = Math.max(b.maxRows, list.childElementCount);
  if (b.firstRow === null && list.querySelector('.vrow')) b.firstRow = performance.now();
  const count = document.querySelector('.register .count');
  if (b.allLoaded === null && count && count.textContent === '%(total)s sheets') b.allLoaded = performance.now();
}).observe(document, { childList: true, subtree: true, characterData: true });
"""


def _call(method: str, url: str, token: str | None, body: Any = None, headers: dict[str, str] | None = None) -> Any:
    data = body if isinstance(body, bytes) else None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    if body is not None and not isinstance(body, bytes):
        request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=120) as answer:
        text = answer.read()
        return json.loads(text) if text.strip() else None


def make_sheets(url: str, sheets: int) -> tuple[str, str, float]:
    """A project with `sheets` published drawings; answers (project id, token, seconds to make them)."""
    ids = _call("POST", f"{url}/_local/seed", None, FIXTURE)
    project = ids["projects"]["big"]
    token = _call("POST", f"{url}/_local/tokens", None, {"user_id": "bench-admin"})["token"]
    base = f"{url}/projects/{project}"
    started = time.perf_counter()

    def draft(n: int) -> str:
        upload = _call(
            "POST",
            f"{base}/drawing-uploads",
            token,
            {"filename": f"S-{n}.pdf", "content_type": "application/pdf", "size": len(PDF)},
        )
        _call("PUT", upload["url"], None, PDF, headers=upload["headers"])
        body = {
            "upload_id": upload["upload_id"],
            "number": f"{DISCIPLINES[n % 5][0]}-{n:04d}",
            "title": f"Sheet {n} of the bench set",
            "revision_number": "1",
            "discipline": {"name": DISCIPLINES[n % 5]},
            "area": {"name": f"Level {n % 12}"},
        }
        revision_id: str = _call("POST", f"{base}/drawing-revisions", token, body)["id"]
        return revision_id

    with ThreadPoolExecutor(max_workers=4) as pool:
        revision_ids = list(pool.map(draft, range(sheets)))
    _call("POST", f"{base}/drawing-revisions/publish", token, {"revision_ids": revision_ids})
    return project, token, time.perf_counter() - started


def measure(url: str, project: str, token: str, sheets: int) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-US")
        page = context.new_page()
        page.goto(f"{url}/")  # the origin, to hold the session's token
        page.evaluate(
            "([token]) => { sessionStorage.setItem('connectability.token', token);"
            " sessionStorage.setItem('connectability.user', 'Bea Bench'); }",
            [token],
        )
        page.add_init_script(WATCH % {"total": f"{sheets:,}"})
        # A shared machine's local stack can take longer than the console's 20 s for a page of 200: wait for it
        page.route(
            "**/config.json",
            lambda route: route.fulfill(json={"api_url": "", "auth": {"mode": "local"}, "request_timeout_ms": 180_000}),
        )
        page.goto(f"{url}/#/project/{project}/drawings")
        page.reload()  # the address changed only its fragment: load the page afresh, signed in, watched
        page.wait_for_function(
            "window.__bench && (window.__bench.allLoaded !== null || document.querySelector('.register [role=alert]'))",
            timeout=1_200_000,
        )
        problem = page.locator(".register [role=alert]")
        if problem.count():
            raise RuntimeError(f"the register did not load: {problem.inner_text()}")
        loaded: dict[str, Any] = page.evaluate("window.__bench")
        # Then read every sheet: the page scrolled from top to bottom, a screen at a time
        height = page.evaluate("document.documentElement.scrollHeight")
        for y in range(0, int(height), 700):
            page.evaluate(f"window.scrollTo(0, {y})")
            page.wait_for_timeout(16)
        scrolled: int = page.evaluate("window.__bench.maxRows")
        last = page.locator(".vrow .number").last.inner_text()
        browser.close()
    return {**loaded, "maxRowsScrolled": scrolled, "lastRow": last}


def run(sheets: int) -> dict[str, Any]:
    from local.client import running_stack

    load = ", ".join(f"{n:.1f}" for n in os.getloadavg())
    with running_stack() as stack:
        project, token, made = make_sheets(stack.url, sheets)
        figures = measure(stack.url, project, token, sheets)
    return {"sheets": sheets, "seconds_to_make": made, "load_at_start": load, **figures}


def report(result: dict[str, Any]) -> list[str]:
    pages = sorted(result["pages"], key=lambda p: p["start"])
    api = sum(p["end"] - p["start"] for p in pages)
    first = pages[0]["end"] if pages else float("nan")
    asked = pages[0]["start"] if pages else float("nan")
    each = api / max(len(pages), 1)
    return [
        f"The register in chromium, {result['sheets']:,} published sheets on the local stack "
        f"(load average at start {result['load_at_start']}; making them took {result['seconds_to_make']:.0f} s)",
        f"  first row shown        {result['firstRow']:7.0f} ms after the page load started",
        f"  every sheet loaded     {result['allLoaded']:7.0f} ms (pages of 200, one after another)",
        f"  of which the API       {api:7.0f} ms for its {len(pages)} answers ({each:.0f} ms each); "
        f"the first was asked at {asked:.0f} ms,",
        f"                         and the first row showed {result['firstRow'] - first:.0f} ms after it came",
        f"  rows in the DOM, most  {result['maxRows']:7d} while loading, {result['maxRowsScrolled']} "
        f"scrolled to the end (last: {result['lastRow']})",
    ]


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sheets", type=int, default=2000)
    args = parser.parse_args(argv)
    result = run(args.sheets)
    print("\n".join(report(result)), flush=True)
    return result


if __name__ == "__main__":
    main()

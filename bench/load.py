"""A bounded load run on the local stack (loopback only; it stops by itself): many companies' users at once
request, approve, publish, edit and review, after fifty simultaneous requests for one downstream project.

It reports requests served, answers by status, p50/p99 per kind of request, and checks that nothing was lost:
every sheet published upstream is in its downstream (by the sync status and by the drawings themselves), every
edit arrived, and of the fifty racing requests exactly one won (R11, R14).

    python -m bench.load --seconds 180 --pairs 8     (make load)
"""

from __future__ import annotations

import argparse
import json
import statistics
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
PDF = b"%PDF-1.7\n" + bytes(range(256)) * 8 + b"\n%%EOF\n"
REQUEST_SECONDS = 300  # how long a request waits for its answer: a loaded local stack answers late, not wrongly


@dataclass
class Tally:
    """Every answer, by kind of request and status, with its latency; safe to share between threads."""

    statuses: Counter[int] = field(default_factory=Counter)
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def note(self, kind: str, status: int, seconds: float) -> None:
        with self.lock:
            self.statuses[status] += 1
            self.latencies[kind].append(seconds)

    def served(self) -> int:
        return sum(self.statuses.values())

    def server_errors(self) -> int:
        """5xx other than AWS throttling or unavailability said as such (429 is not 5xx; 503 is counted)."""
        return sum(n for status, n in self.statuses.items() if status >= 500)

    def percentiles(self) -> dict[str, tuple[int, float, float]]:
        found = {}
        for kind, values in sorted(self.latencies.items()):
            ordered = sorted(values)
            p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
            found[kind] = (len(ordered), statistics.median(ordered) * 1000, p99 * 1000)
        return found


class Client:
    """One user's HTTP session against the local stack's API, timing and tallying each request."""

    def __init__(self, url: str, user: str, tally: Tally):
        self.url, self.tally, self.http = url, tally, requests.Session()
        token = self.http.post(f"{url}/_local/tokens", json={"user_id": user}, timeout=10).json()["token"]
        self.http.headers["Authorization"] = f"Bearer {token}"

    def call(self, kind: str, method: str, path: str, body: Any = None) -> requests.Response:
        started = time.perf_counter()
        answer = self.http.request(method, f"{self.url}{path}", json=body, timeout=REQUEST_SECONDS)
        self.tally.note(kind, answer.status_code, time.perf_counter() - started)
        return answer


@dataclass
class Pair:
    """A general contractor's project and a subcontractor's, and what the run did to them."""

    up: str
    down: str
    gc: Client
    sub: Client
    sub_admin: Client
    connection: str = ""
    published: dict[str, str] = field(default_factory=dict)  # number -> latest title
    drawings: dict[str, str] = field(default_factory=dict)  # number -> upstream drawing id


def seed_pairs(url: str, count: int, tally: Tally) -> list[Pair]:
    demo = json.loads((ROOT / "local" / "demo.json").read_text())
    pairs = []
    for n in range(count):
        fixture = json.loads(json.dumps(demo))
        for company in fixture["companies"]:
            company["key"] += f"-load{n}"
            for user in company["users"]:
                user["user_id"] += f"-load{n}"
            for project in company["projects"]:
                project["key"] += f"-load{n}"
                project.pop("drawings", None)  # the run counts what it publishes itself
                for entry in project["directory"]:
                    entry["user_id"] += f"-load{n}"
        ids = requests.post(f"{url}/_local/seed", json=fixture, timeout=60).json()
        up, down = ids["projects"][f"gc-tower-load{n}"], ids["projects"][f"sub-tower-load{n}"]
        gc, sub, sub_admin = (Client(url, f"{u}-load{n}", tally) for u in ("gc-pm", "sub-pm", "sub-admin"))
        pairs.append(Pair(up, down, gc, sub, sub_admin))
    return pairs


def race(url: str, tally: Tally, racers: int = 50) -> dict[str, int]:
    """Fifty simultaneous requests for one downstream project, each to another upstream: exactly one may win."""
    racer = {"user_id": "race-req", "email": "race-req@race.example", "name": "Racer"}

    def company(key: str, admin: str, projects: list[dict[str, Any]], **options: Any) -> dict[str, Any]:
        head = {"user_id": admin, "email": f"{admin}@race.example", "name": admin, "is_company_admin": True}
        return {"key": key, "name": key, "users": [racer, head], "projects": projects, **options}

    ups = [
        {"key": f"race-up-{n}", "name": f"Tower {n}", "directory": [{"user_id": "race-req", "drawings": "read_only"}]}
        for n in range(racers)
    ]
    downs = [
        {"key": "race-down", "name": "Tower E", "directory": [{"user_id": "race-req", "connection_manager": "admin"}]}
    ]
    fixture = {
        "companies": [
            company("race-gc", "race-gc-admin", ups, connection_approval="automatic"),
            company("race-sub", "race-sub-admin", downs, connected_drawings_beta=True),
        ]
    }
    ids = requests.post(f"{url}/_local/seed", json=fixture, timeout=60).json()
    down = ids["projects"]["race-down"]
    clients = [Client(url, "race-req", tally) for _ in range(racers)]
    start = threading.Barrier(racers)

    def ask(n: int) -> int:
        start.wait()
        up = ids["projects"][f"race-up-{n}"]
        return (
            clients[n]
            .call("race request", "POST", f"/projects/{down}/connections", {"upstream_project_id": up})
            .status_code
        )

    with ThreadPoolExecutor(racers) as pool:
        outcomes = Counter(pool.map(ask, range(racers)))
    listed = clients[0].call("race check", "GET", f"/projects/{down}/connections").json()["items"]
    return {
        "won": outcomes[201],
        "refused": outcomes[409],
        "other": racers - outcomes[201] - outcomes[409],
        "connections": len(listed),
    }


def work(pair: Pair, deadline: float) -> None:
    """One pair's users, until the deadline: connect, then publish, edit and review in a loop."""
    asked = pair.sub.call("request", "POST", f"/projects/{pair.down}/connections", {"upstream_project_id": pair.up})
    pair.connection = asked.json()["id"]
    pair.gc.call("approve", "POST", f"/connections/{pair.connection}/approve")
    n = 0
    while n == 0 or time.monotonic() < deadline:  # one round at least, however slow the machine
        n += 1
        number = f"L-{n:04d}"
        upload = pair.gc.call(
            "upload",
            "POST",
            f"/projects/{pair.up}/drawing-uploads",
            {"filename": f"{number}.pdf", "content_type": "application/pdf", "size": len(PDF)},
        ).json()
        requests.put(upload["url"], data=PDF, headers=upload["headers"], timeout=30)
        revision = pair.gc.call(
            "create revision",
            "POST",
            f"/projects/{pair.up}/drawing-revisions",
            {
                "upload_id": upload["upload_id"],
                "number": number,
                "title": f"Sheet {number}",
                "revision_number": "1",
                "discipline": {"name": "Electrical"},
            },
        ).json()
        if pair.gc.call(
            "publish", "POST", f"/projects/{pair.up}/drawing-revisions/publish", {"revision_ids": [revision["id"]]}
        ).ok:
            pair.published[number], pair.drawings[number] = f"Sheet {number}", revision["drawing_id"]
        if n % 3 == 0 and pair.drawings:
            edited = sorted(pair.drawings)[n % len(pair.drawings)]
            title = f"Sheet {edited} edit {n}"
            if pair.gc.call(
                "edit", "PATCH", f"/projects/{pair.up}/drawings/{pair.drawings[edited]}", {"title": title}
            ).ok:
                pair.published[edited] = title
        if n % 4 == 0:
            pair.sub_admin.call(
                "publish review", "POST", f"/projects/{pair.down}/connected-drawings/publish", {"all": True}
            )
        if n % 5 == 0:
            pair.sub.call("sync status", "GET", f"/connections/{pair.connection}/sync-status")


def lost(url: str, pair: Pair) -> list[str]:
    """What did not arrive: a published sheet missing downstream, or a title not as last edited."""
    status = pair.sub.call("sync status", "GET", f"/connections/{pair.connection}/sync-status").json()
    problems = []
    if status["upstream_published"] != len(pair.published) or status["copied"] != len(pair.published):
        problems.append(f"{pair.down}: published {len(pair.published)}, status {status}")
    review = f"/projects/{pair.down}/connected-drawings/publish"
    pair.sub_admin.call("publish review", "POST", review, {"all": True})
    titles: dict[str, str] = {}
    token: str | None = None
    while True:
        query = f"?limit=200&include_obsolete=true{'&next_token=' + token if token else ''}"
        page = pair.sub_admin.call("register", "GET", f"/projects/{pair.down}/drawings{query}").json()
        titles |= {d["number"]: d["title"] for d in page["items"]}
        token = page["next_token"]
        if not token:
            break
    problems += [
        f"{pair.down}: {n} is {titles.get(n)!r}, not {t!r}" for n, t in pair.published.items() if titles.get(n) != t
    ]
    return problems


def settle(url: str, seconds: float = 300) -> dict[str, Any]:
    """Wait until the stack has done all the run asked (a minute at most per ask, asked again until `seconds`
    pass): a loaded machine takes longer to drain the queues, and what is still queued is not lost."""
    deadline = time.monotonic() + seconds
    while True:
        wait = max(1.0, min(60.0, deadline - time.monotonic()))
        answer: dict[str, Any] = requests.post(f"{url}/_local/settle", json={"timeout": wait}, timeout=wait + 30).json()
        if answer.get("settled") or time.monotonic() >= deadline:
            return answer


def run(url: str, seconds: float, pairs: int) -> dict[str, Any]:
    tally = Tally()
    contest = race(url, tally)
    everyone = seed_pairs(url, pairs, tally)
    started = time.monotonic()
    deadline = started + seconds
    with ThreadPoolExecutor(pairs) as pool:
        list(pool.map(lambda p: work(p, deadline), everyone))
    elapsed = time.monotonic() - started
    settled = settle(url)
    problems = [p for pair in everyone for p in lost(url, pair)]
    return {
        "seconds": round(elapsed, 1),
        "pairs": pairs,
        "requests": tally.served(),
        "per_second": round(tally.served() / elapsed, 1),
        "statuses": dict(sorted(tally.statuses.items())),
        "server_errors": tally.server_errors(),
        "latency_ms": tally.percentiles(),
        "race": contest,
        "sheets_published": sum(len(p.published) for p in everyone),
        "settled": settled,
        "lost": problems,
    }


def report(result: dict[str, Any]) -> str:
    lines = [
        f"load: {result['requests']} requests in {result['seconds']} s ({result['per_second']}/s), "
        f"{result['pairs']} pairs of companies, {result['sheets_published']} sheets published; "
        f"answers by status {result['statuses']}; "
        f"5xx: {result['server_errors']}; lost: {len(result['lost'])}",
        f"race for one downstream: {result['race']}",
        f"{'request':<18}{'count':>7}{'p50 ms':>9}{'p99 ms':>9}",
    ]
    for kind, (count, p50, p99) in result["latency_ms"].items():
        lines.append(f"{kind:<18}{count:>7}{p50:>9.0f}{p99:>9.0f}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=180)
    parser.add_argument("--pairs", type=int, default=8)
    args = parser.parse_args()
    from local.client import running_stack

    with running_stack() as stack:
        result = run(stack.url, args.seconds, args.pairs)
    print(report(result))
    for problem in result["lost"]:
        print("LOST:", problem)


if __name__ == "__main__":
    main()

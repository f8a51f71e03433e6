"""`make bench`: what each operation costs in AWS calls, and each function's cold start (bench/cold.py).

AWS calls are counted on moto in-process, so the figures are exact and repeatable on a noisy machine.
Import times are medians of fresh interpreters, reported as a ratio to a bare interpreter in the same run.
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import botocore.client

from bench import cold


@contextmanager
def counting() -> Iterator[Counter[str]]:
    """Count every AWS API call any botocore client makes (boto3 and PynamoDB alike)."""
    calls: Counter[str] = Counter()
    real = botocore.client.BaseClient._make_api_call

    def counted(self: Any, operation: str, params: Any) -> Any:
        calls[f"{self.meta.service_model.service_name}:{operation}"] += 1
        return real(self, operation, params)

    botocore.client.BaseClient._make_api_call = counted  # type: ignore[method-assign]
    try:
        yield calls
    finally:
        botocore.client.BaseClient._make_api_call = real  # type: ignore[method-assign]


def aws_calls() -> list[tuple[str, Counter[str]]]:
    from moto import mock_aws

    import tests.conftest  # noqa: F401  - the environment every function reads
    from local.template import create_resources, load
    from tests.integration.conftest import PDF, Api, Builder, DrawingsWorld, Queues

    rows: list[tuple[str, Counter[str]]] = []

    def measure(name: str, action: Callable[[], Any]) -> Any:
        with counting() as calls:
            result = action()
        rows.append((name, calls))
        return result

    with mock_aws():
        stack = load()
        create_resources(stack)
        api = Api(stack)
        build = Builder(api)
        apex = build.company("Apex", "a-admin")
        volt = build.company("Volt", "v-admin", connected_drawings_beta=True)
        for user in ("a-cm", "req"):
            build.user(apex, user)
        build.user(volt, "req")
        up = build.project(apex, "Tower", "a-admin")
        down = build.project(volt, "Tower E", "v-admin")
        build.member(up, "a-cm", "a-admin", cm="admin", drawings="admin")
        build.member(up, "req", "a-admin", drawings="read_only")
        build.member(down, "req", "v-admin", cm="admin", drawings="admin")
        measure("GET /companies/{id}", lambda: api("GET", f"/companies/{apex}", "a-admin"))
        measure("POST /companies (with its bucket)", lambda: api("POST", "/companies", "platform-admin", {"name": "X"}))
        request = measure(
            "POST /projects/{id}/connections (manual)",
            lambda: api("POST", f"/projects/{down}/connections", "req", {"upstream_project_id": up}),
        )
        queues = Queues(stack, api)
        measure("notify: connection_requested (1 recipient)", lambda: queues.drain("NotificationsQueue"))
        measure(
            "POST /connections/{id}/approve", lambda: api("POST", f"/connections/{request.body['id']}/approve", "a-cm")
        )
        measure("notify: connection_created (2 recipients, 2 sides)", lambda: queues.drain("NotificationsQueue"))
        world = DrawingsWorld(api, apex, up)
        uploads = [world.upload(PDF, user="a-cm") for _ in range(20)]

        def revision(n: int) -> Any:
            return api(
                "POST",
                f"/projects/{up}/drawing-revisions",
                "a-cm",
                {
                    "upload_id": uploads[n],
                    "number": f"A-{n}",
                    "title": "Plan",
                    "revision_number": "1",
                    "discipline": {"name": "Architectural"},
                    "area": {"name": "Level 1"},
                },
            )

        first = measure("POST /projects/{id}/drawing-revisions", lambda: revision(0))
        ids = [first.body["id"]] + [revision(n).body["id"] for n in range(1, 20)]
        measure("publish 1 revision", lambda: world.publish(ids[0], user="a-cm"))
        measure("publish 19 revisions at once", lambda: world.publish(*ids[1:], user="a-cm"))
        measure("GET /projects/{id}/drawings (20 drawings)", lambda: api("GET", f"/projects/{up}/drawings", "req"))
        drawing = first.body["drawing_id"]
        measure(
            "PATCH a drawing's title (1 published revision)",
            lambda: api("PATCH", f"/projects/{up}/drawings/{drawing}", "a-cm", {"title": "New"}),
        )
    return rows


def main() -> None:
    # Handlers that emit no metric make Powertools warn on every call; the table is the output here.
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    print("AWS calls per operation (moto in-process; exact)")
    for name, calls in aws_calls():
        detail = ", ".join(f"{op} {n}" for op, n in sorted(calls.items()))
        print(f"  {sum(calls.values()):4d}  {name}\n        {detail}")
    print()
    cold.main()


if __name__ == "__main__":
    main()

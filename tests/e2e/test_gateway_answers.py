"""The local gateway answers like API Gateway: no body on 204, the error shape for any method it does not serve."""

from __future__ import annotations

import http.client
from urllib.parse import urlparse

from local.client import LocalStackClient
from tests.e2e.conftest import unique_fixture


def test_a_204_has_no_body_and_the_connection_stays_usable(local_stack: LocalStackClient) -> None:
    fixture, suffix = unique_fixture()
    ids = local_stack.seed(fixture)
    project = ids["projects"][f"gc-tower-{suffix}"]
    token = local_stack.token(f"gc-admin-{suffix}")
    url = urlparse(local_stack.url)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    try:
        headers = {"Authorization": f"Bearer {token}"}
        connection.request("DELETE", f"/projects/{project}/directory/gc-viewer-{suffix}", headers=headers)
        deleted = connection.getresponse()
        assert (deleted.status, deleted.read(), deleted.getheader("Content-Length")) == (204, b"", "0")
        # the same keep-alive connection reads the next answer cleanly
        connection.request("GET", f"/projects/{project}", headers=headers)
        again = connection.getresponse()
        assert again.status == 200
        assert project in again.read().decode()
    finally:
        connection.close()


def test_methods_it_does_not_serve_get_the_error_shape(local_stack: LocalStackClient) -> None:
    for method in ("TRACE", "QUERY", "PUT"):
        answer = local_stack.call(method, "/companies", "platform-admin")
        assert answer.status_code == 405, (method, answer.status_code)
        assert set(answer.json()["error"]) == {"code", "message", "rule", "details"}

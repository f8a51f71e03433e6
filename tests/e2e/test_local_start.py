"""The local stack fails loudly when it cannot serve, and starts again at once on the ports it just left."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import requests

from local.client import READY, ROOT, free_port, running_stack


def test_a_restart_on_the_same_ports_right_after_a_busy_session_starts() -> None:
    # Given a stack that answered many requests, each on its own connection that the server closes first
    # (which leaves the server's side of each in TIME_WAIT)
    ports = (free_port(), free_port())
    with running_stack(ports=ports) as first:
        for _ in range(30):
            answer = requests.get(f"{first.url}/_local/routes", headers={"Connection": "close"}, timeout=10)
            assert answer.status_code == 200
        assert re.search(rf":{ports[0]}\b", subprocess.run(["ss", "-tan"], capture_output=True, text=True).stdout)

    # When it is started again on the same ports right after it stopped
    with running_stack(ports=ports) as second:
        # Then it is ready and answers
        assert second.http.get(f"{second.url}/_local/routes", timeout=10).status_code == 200


def test_without_pythonpath_the_stack_finds_its_code_from_the_template() -> None:
    # Given an environment with no PYTHONPATH at all
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}

    # When the stack starts with the demo seed (which imports the shared package) and a user calls the API
    with running_stack(seed="demo", env=env) as stack:
        seeded = re.search(r"Seeded the demo: companies \{'gc': '([^']+)'", stack.stdout)
        assert seeded, stack.stdout
        company = stack.call("GET", f"/companies/{seeded.group(1)}", user="platform-admin")

        # Then the function answers with the seeded company
        assert company.status_code == 200, company.text
        assert company.json()["name"] == "Apex Builders"  # a stack of its own: no other copy to be named apart from


def test_a_function_that_does_not_import_stops_the_start_with_a_one_line_reason(tmp_path: Path) -> None:
    # Given a copy of the template whose notify handler names a module that does not exist
    text = (ROOT / "template.yaml").read_text()
    text = text.replace("CodeUri: functions/", f"CodeUri: {ROOT / 'functions'}/")
    text = re.sub(r"ContentUri: (\S+)", lambda m: f"ContentUri: {ROOT / m.group(1)}/", text)  # every layer
    assert "Handler: notify.app.lambda_handler" in text
    template = tmp_path / "template.yaml"
    template.write_text(text.replace("Handler: notify.app.lambda_handler", "Handler: notify.missing.lambda_handler"))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}

    # When the stack is started on it with no seed
    args = ["--template", str(template), "--seed", "none", "--api-port", str(free_port())]
    result = subprocess.run(
        [sys.executable, "-m", "local", *args, "--aws-port", str(free_port())],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,  # it exits in seconds; a loaded machine is slower, not wrong
        check=False,
    )

    # Then it exits non-zero without claiming to be ready, and says in one line which function and why
    assert result.returncode == 1, result.stdout + result.stderr
    assert READY not in result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("cannot start: NotifyFunction (notify.missing.lambda_handler) does not import")
    assert "notify.missing" in lines[0]

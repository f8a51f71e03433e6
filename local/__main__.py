"""`python -m local`: run the local stack until Ctrl-C or SIGTERM.

Code is found from template.yaml (CodeUri, layers), so no PYTHONPATH is needed; whatever keeps the stack from
serving stops the start with a one-line reason and exit code 1.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

try:
    from local import seed
    from local.stack import CannotStart, LocalStack, startup_lines
    from local.template import TEMPLATE
except ModuleNotFoundError as missing:  # run outside the project's virtual environment
    sys.exit(f"cannot start: {missing}; run `make dev`, which installs what the local stack needs")

READY = "Local stack ready"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local", description=__doc__)
    parser.add_argument("--api-port", type=int, default=3000, help="port of the API (default 3000)")
    parser.add_argument("--aws-port", type=int, default=5000, help="port of moto's server (default 5000)")
    parser.add_argument("--seed", choices=["demo", "none"], default="demo", help="directory to load at start")
    parser.add_argument("--host", default="127.0.0.1", help="address the API listens on (default 127.0.0.1)")
    parser.add_argument("--template", type=Path, default=TEMPLATE, help="SAM template to run (default template.yaml)")
    args = parser.parse_args(argv)

    stopping = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    try:
        stack = LocalStack(api_port=args.api_port, aws_port=args.aws_port, host=args.host, template=args.template)
    except OSError as exc:
        print(f"cannot start: cannot read the template: {exc}", file=sys.stderr)
        return 1
    try:
        stack.start()
    except CannotStart as exc:
        stack.stop()
        print(f"cannot start: {exc}", file=sys.stderr)
        return 1
    try:
        _say(f"API:  {stack.api_url}   (routes: {len(stack.stack.routes)}; tools under /_local)")
        _say(f"moto: {stack.endpoint}   (state: {stack.endpoint}/moto-api/)")
        _say(f"Console: {stack.api_url}/   API reference: {stack.api_url}/docs")
        if args.seed == "demo":
            fixture = seed.demo()
            answer = stack.seed(fixture)
            _say(f"Seeded the demo: companies {answer['companies']}, projects {answer['projects']}")
            sheets = answer["published"].get(answer["projects"]["gc-tower"], [])
            _say(f"Published {len(sheets)} drawings in Harbor Tower (gc-tower), ready to sync")
            _say("\n".join(startup_lines(stack, fixture, answer)))
        _say(f"{READY} (Ctrl-C to stop)")
        while not stopping.wait(0.5):
            pass
    finally:
        _say("Stopping the local stack")
        stack.stop()
    return 0


def _say(text: str) -> None:
    """One write per message, line end included: the functions' log lines reach this stdout from the pollers'
    threads, and `print` writes the line end apart, so a log line could land inside a line (a curl line the reader
    pastes, say)."""
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    sys.exit(main())

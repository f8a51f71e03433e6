"""`python -m local`: run the local stack until Ctrl-C or SIGTERM.

Code is found from template.yaml (CodeUri, layers), so no PYTHONPATH is needed; whatever keeps the stack from
serving stops the start with a one-line reason and exit code 1.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType

try:
    from local import seed
    from local.stack import CONCURRENCY, CannotStart, LocalStack, startup_lines
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
    parser.add_argument(
        "--concurrency",
        type=_positive(int),
        default=CONCURRENCY,
        help=f"invocations of one function at once, at most, each in its own environment (default {CONCURRENCY}; "
        "a function's reserved concurrency or its queue's MaximumConcurrency may set fewer)",
    )
    parser.add_argument(
        "--visibility-scale",
        type=_positive(float),
        default=1.0,
        metavar="SCALE",
        help="a failed SQS message comes back after this share of its queue's visibility timeout (default 1: as "
        "the template says; 0.01 brings a 5,400 s timeout down to 54 s)",
    )
    args = parser.parse_args(argv)
    if args.visibility_scale > 1:
        parser.error("--visibility-scale is at most 1: it makes retries faster, never slower")

    stopping = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    try:
        stack = LocalStack(
            api_port=args.api_port,
            aws_port=args.aws_port,
            host=args.host,
            template=args.template,
            concurrency=args.concurrency,
            visibility_scale=args.visibility_scale,
        )
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
        _say("\n".join(stack.runtime_lines()))
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


def _positive(kind: type[int] | type[float]) -> Callable[[str], float]:
    def parse(text: str) -> float:
        value = kind(text)
        if value <= 0:
            raise argparse.ArgumentTypeError(f"{text} is not above 0")
        return value

    return parse


def _say(text: str) -> None:
    """One write per message, line end included: the functions' log lines reach this stdout from the pollers'
    threads, and `print` writes the line end apart, so a log line could land inside a line (a curl line the reader
    pastes, say)."""
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    sys.exit(main())

"""The end of a function's init (its module's last line calls `initialized()`), and Lambda SnapStart's hooks.

With SnapStart (template.yaml's SnapStart parameter), Lambda initializes a function once, when a version is
published, and restores every execution environment from a snapshot of that one. Lambda says which init it runs
in AWS_LAMBDA_INITIALIZATION_TYPE; in a SnapStart init, `initialized()` hands `prepare` and `renew` to the runtime's
hooks (snapshot-restore-py, which Lambda's Python runtime carries): `prepare` runs before the snapshot, `renew`
after each restore. Modules say what each does for them with `before_snapshot` and `after_restore`, at import; in
any other init (on demand, tests, the local stack) nothing else happens and nothing more is imported.
"""

from __future__ import annotations

import gc
import os
import random
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pydantic import BaseModel

SNAPSTART = "snap-start"  # AWS_LAMBDA_INITIALIZATION_TYPE of an init that ends in a snapshot
Step = Callable[[], None]
_before: list[Step] = []
_after: list[Step] = []
_hooked = False


def before_snapshot(step: Step) -> Step:
    """Run `step` before a snapshot is taken: make now what every invocation needs."""
    _before.append(step)
    return step


def after_restore(step: Step) -> Step:
    """Run `step` after each restore: what must differ from one execution environment to another."""
    _after.append(step)
    return step


def initialized() -> None:
    """Put what the imports made (modules, classes, models, schemas: tens of thousands of objects that live as long
    as the process) out of the cycle collector's reach, and resume the collector, which the function's package
    paused while they were made. Else the first full collection walks them all, in the first invocation (about
    100 ms here) and again now and then in a warm one. What is made later is collected as usual, and frozen
    objects are still freed by reference counting. In a SnapStart init, then hand the hooks to Lambda's runtime."""
    gc.freeze()
    gc.enable()
    if os.environ.get("AWS_LAMBDA_INITIALIZATION_TYPE") == SNAPSTART:
        _hook()


def prepare() -> None:
    """Before the snapshot: every step registered, then the pydantic models built (defer_build leaves them to their
    first use), and a full collection of what the init left over, so that the snapshot holds none of it; what
    remains is frozen again."""
    for step in _before:
        step()
    _build_models()
    gc.unfreeze()
    gc.collect()
    gc.freeze()


def renew() -> None:
    """After a restore: the random generator seeded anew (the snapshot's state would repeat in every environment
    restored from it; ids come from `secrets`, which reads the system's), then every step registered."""
    random.seed()
    for step in _after:
        step()


def _hook() -> None:
    global _hooked
    if _hooked:  # one hook each, however many functions a process imports (tests)
        return
    try:
        from snapshot_restore_py import register_after_restore, register_before_snapshot
    except ImportError:  # not Lambda's runtime, and not installed (it is a dev dependency): nothing restores here
        return
    register_before_snapshot(prepare)
    register_after_restore(renew)
    _hooked = True


def _build_models() -> None:
    """Every pydantic model of ours imported so far, built now (those with defer_build are built on first use)."""
    for model in models():
        if not model.__pydantic_complete__:
            model.model_rebuild(force=True)


def models() -> set[type[BaseModel]]:
    """Every pydantic model of ours (connectability's) imported so far."""
    from pydantic import BaseModel

    found: set[type[BaseModel]] = set()
    todo = [BaseModel]
    while todo:
        for model in todo.pop().__subclasses__():
            if model not in found:
                found.add(model)
                todo.append(model)
    return {model for model in found if model.__module__.startswith("connectability.")}

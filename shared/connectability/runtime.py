"""The end of a function's init: its module's last line calls `initialized()`."""

from __future__ import annotations

import gc


def initialized() -> None:
    """Put what the imports made (modules, classes, models, schemas: tens of thousands of objects that live as long
    as the process) out of the cycle collector's reach, and resume the collector, which the function's package
    paused while they were made. Else the first full collection walks them all, in the first invocation (about
    100 ms here) and again now and then in a warm one. What is made later is collected as usual, and frozen
    objects are still freed by reference counting."""
    gc.freeze()
    gc.enable()

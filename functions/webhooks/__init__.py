"""The function's package, where its init starts. The cycle collector pauses until the init's end (app.py's last
line, connectability.runtime.initialized): the imports' collections find nothing to free but walk ever more
objects. Then connectability, so Powertools' heavy package `__init__`s stay lazy."""

import gc

gc.disable()

import connectability  # noqa: E402, F401 - for its side effect (connectability.lazy_packages)

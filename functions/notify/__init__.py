"""The function's package: it imports connectability first, so Powertools' heavy package `__init__`s stay lazy."""

import connectability  # noqa: F401 - for its side effect (connectability.lazy_packages)

"""Connectability: first-party code shared by every Lambda function (shipped as SharedLayer).

Importing it makes Powertools' event handler and data classes packages skip their import-everything `__init__`s
(connectability.lazy_packages): each function's package imports it before its handler's Powertools imports.
"""

from connectability import lazy_packages

lazy_packages.install()

"""Powertools' event handler and event data classes, imported without their packages' `__init__` work.

`aws_lambda_powertools.event_handler`'s `__init__` imports every resolver (AppSync, AppSync events, Bedrock
agents, VPC Lattice, ...) and `utilities.data_classes`' imports every event class, though a function uses one or
two; together about a fifth of an API function's import. `install()` puts a stand-in for each such package in
`sys.modules` before anything imports it. Its submodules import as usual; a name the real `__init__` exports
(`from aws_lambda_powertools.event_handler import Response`) is taken, on first use, from the submodule the real
`__init__` takes it from. A package whose `__init__` does anything besides such imports is left alone.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import sys
from importlib.machinery import ModuleSpec
from types import ModuleType

PACKAGES = ("aws_lambda_powertools.event_handler", "aws_lambda_powertools.utilities.data_classes")


def install(packages: tuple[str, ...] = PACKAGES) -> None:
    """Stand-ins for the packages not imported yet; those imported already stay as they are."""
    for name in packages:
        if name not in sys.modules:
            _install(name)


def exports(spec: ModuleSpec) -> tuple[dict[str, tuple[str, str]], list[str]] | None:
    """What a package's `__init__` exports: each name's (submodule, name there), and `__all__`.

    None when the `__init__` does more than import names from its own submodules and list them."""
    source = spec.loader.get_source(spec.name) if spec.loader and hasattr(spec.loader, "get_source") else None
    if source is None:
        return None
    names: dict[str, tuple[str, str]] = {}
    listed: list[str] = []
    for node in ast.parse(source).body:
        if isinstance(node, ast.ImportFrom) and node.module == "__future__":
            continue
        if isinstance(node, ast.ImportFrom) and node.module:
            module = f"{spec.name}.{node.module}" if node.level == 1 else node.module
            if node.level > 1 or not module.startswith(f"{spec.name}."):
                return None
            names.update({a.asname or a.name: (module, a.name) for a in node.names if a.name != "*"})
            if any(a.name == "*" for a in node.names):
                return None
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue  # the docstring
        elif isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] == ["__all__"]:
            listed = list(ast.literal_eval(node.value))
        else:
            return None
    return names, listed


class _StandIn(ModuleType):
    """A package whose exported names are imported from their submodules on first use."""

    def __getattr__(self, attribute: str) -> object:
        exported = self.__dict__.get("_exports", {})
        if attribute not in exported:
            raise AttributeError(f"module {self.__name__!r} has no attribute {attribute!r}")
        module, original = exported[attribute]
        value = getattr(importlib.import_module(module), original)
        setattr(self, attribute, value)
        return value

    def __setattr__(self, attribute: str, value: object) -> None:
        """Importing a submodule binds it on its package: not over a name the package exports (as the real
        `__init__` would have rebound it: data_classes exports the function `event_source`, not its module)."""
        if isinstance(value, ModuleType) and attribute in self.__dict__.get("_exports", ()):
            return
        super().__setattr__(attribute, value)


def _install(name: str) -> None:
    try:
        spec = importlib.util.find_spec(name)
    except ModuleNotFoundError:  # no Powertools here (a tool that imports only connectability's errors, say)
        return
    found = exports(spec) if spec is not None and spec.submodule_search_locations is not None else None
    if spec is None or found is None:
        return
    names, listed = found
    package = importlib.util.module_from_spec(spec)
    package.__class__ = _StandIn
    package.__all__ = listed or sorted(names)  # type: ignore[attr-defined]
    package._exports = names  # type: ignore[attr-defined]
    sys.modules[name] = package
    parent, _, child = name.rpartition(".")
    if isinstance(owner := sys.modules.get(parent), ModuleType):
        setattr(owner, child, package)

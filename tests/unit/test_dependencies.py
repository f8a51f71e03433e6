"""Declared, imported and locked dependencies stay in step.

Every third-party module the repository imports is declared in pyproject.toml (or comes with an extra a
declaration names, as boto3-stubs[s3] brings mypy_boto3_s3); every declared dependency is imported somewhere or is
a tool run as a command, named below with what runs it; every pin of requirements.lock is declared or needed by
something declared (pydantic-settings, no longer imported, stays locked only while openapi-schema-validator needs
it).
"""

from __future__ import annotations

import ast
import importlib.metadata as metadata
import re
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("shared", "functions", "local", "ops", "bench", "tests")
FIRST_PARTY = {"connectability", "local", "ops", "bench", "tests"} | {
    p.name for p in (ROOT / "functions").iterdir() if p.is_dir()
}
# Declared for what they do as commands or plugins, never imported: each with what uses it.
COMMANDS = {
    "ruff": "make lint (ruff check, ruff format --check)",
    "mypy": "make typecheck",
    "import-linter": "make lint (lint-imports: the layering contracts in pyproject.toml)",
    "pytest-xdist": "make test (pytest -n 2)",
    "cfn-lint": "tests/unit/test_packaging.py runs the cfn-lint command over template.yaml",
    "openapi-python-client": "tests/e2e/test_generated_client.py runs its command on the OpenAPI document",
    "boto3-stubs": "types of the boto3 clients for mypy (mypy_boto3_* under TYPE_CHECKING)",
    "types-pyyaml": "types of PyYAML for mypy",
    "types-requests": "types of requests for mypy",
}


def _name(text: str) -> str:
    return re.sub(r"[-_.]+", "-", text).lower()


def _declared() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    optional = project["optional-dependencies"]
    return [Requirement(r) for r in project["dependencies"] + optional["dev"] + optional["thumbnails"]]


def _needs(requirement: Requirement) -> set[str]:
    """A distribution's own requirements, with those of the extras the requirement asks for."""
    needed = set()
    for text in metadata.requires(requirement.name) or []:
        need = Requirement(text)
        marker = need.marker
        if marker is None or any(marker.evaluate({"extra": e}) for e in requirement.extras or {""}):
            needed.add(_name(need.name))
    return needed


TYPING_ONLY = {"__future__", "_typeshed"}  # the typeshed stubs type checkers carry; nothing imports it at run time


def _imports() -> dict[str, str]:
    """Every third-party top-level module imported in the repository's code, with one file that imports it."""
    found: dict[str, str] = {}
    for folder in SOURCES:
        for path in sorted((ROOT / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    top = name.split(".")[0]
                    if top not in sys.stdlib_module_names and top not in FIRST_PARTY and top not in TYPING_ONLY:
                        found.setdefault(top, str(path.relative_to(ROOT)))
    return found


def test_every_third_party_import_is_declared() -> None:
    declared = _declared()
    allowed = {_name(r.name) for r in declared}
    allowed |= {n for r in declared if r.extras for n in _needs(r)}
    owners = metadata.packages_distributions()
    undeclared = {
        module: where
        for module, where in _imports().items()
        if not {_name(d) for d in owners.get(module, [module])} & allowed
    }
    assert undeclared == {}


def test_every_declared_dependency_is_imported_or_a_command() -> None:
    owners = metadata.packages_distributions()
    imported = {_name(d) for module in _imports() for d in owners.get(module, [])}
    unused = {_name(r.name) for r in _declared()} - imported - set(COMMANDS)
    assert unused == set()
    # and every command listed is still declared
    assert set(COMMANDS) <= {_name(r.name) for r in _declared()}


def test_every_locked_package_is_declared_or_needed_by_a_declared_one() -> None:
    locked = {_name(line.split("==")[0]) for line in (ROOT / "requirements.lock").read_text().split()}
    reached: set[str] = set()
    todo = [Requirement(str(r)) for r in _declared()]
    while todo:
        requirement = todo.pop()
        name = _name(requirement.name)
        if name in reached:
            continue
        reached.add(name)
        for needed in _needs(requirement):
            if needed not in reached:
                todo.append(Requirement(needed))
    assert locked - reached == set()
    assert "pydantic-settings" not in {_name(r.name) for r in _declared()}

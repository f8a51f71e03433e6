"""An import-linter contract of our own (`make lint` runs it with the others, from pyproject.toml).

Import contracts see modules, not names: a module may import `connectability.db.drawings` and still reach for
`DrawingItem` through it. This one reads the source of the modules it guards and refuses what only
`connectability.db` may speak: a PynamoDB item (a name ending in `Item`), an item's keys or index attributes
(`.pk`, `.sk`, `gsi1pk`...), and a key string (`PROJECT#...`, `...#DELETED`).
"""

from __future__ import annotations

import ast
import importlib.util
import re
from collections.abc import Iterator
from pathlib import Path

from grimp import ImportGraph
from importlinter.application import output
from importlinter.domain import fields
from importlinter.domain.contract import Contract, ContractCheck

ITEM = re.compile(r"^[A-Z]\w*Item$")
KEY_ATTRIBUTE = re.compile(r"^(pk|sk|gsi\d+(pk|sk)?)$")
KEY_TEXT = re.compile(r"(^|[^\w#])[A-Z][A-Z_]*#|#[A-Z][A-Z_]*($|[^\w#])|\bgsi\d+(pk|sk)\b")


class StorageVocabularyContract(Contract):
    """The source modules (and everything under them) never name an item, a key or an index attribute.

    Configuration options:
        - source_modules: the packages or modules whose code is read.
    """

    type_name = "storage_vocabulary"

    source_modules = fields.ListField(subfield=fields.StringField())

    def check(self, graph: ImportGraph, verbose: bool) -> ContractCheck:
        found = []
        for module in sorted(self._modules(graph)):
            path = _path_of(module)
            if path is not None:
                found += [f"{module}:{line}: {what}" for line, what in _storage_words(path.read_text())]
        return ContractCheck(kept=not found, metadata={"found": found})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for line in check.metadata["found"]:
            output.print_error(line, bold=False)
            output.new_line()

    def _modules(self, graph: ImportGraph) -> set[str]:
        sources: list[str] = self.source_modules  # type: ignore[assignment]
        return {m for source in sources for m in {source, *graph.find_descendants(source)}}


def _path_of(module: str) -> Path | None:
    """The source file of a module, found without importing it (its top-level package is located, not run)."""
    top, *rest = module.split(".")
    spec = importlib.util.find_spec(top)
    if spec is None or spec.origin is None:
        return None
    base = Path(spec.origin).parent if spec.submodule_search_locations else Path(spec.origin)
    if not rest:
        return base if base.suffix == ".py" else base / "__init__.py"
    path = base.joinpath(*rest)
    return path / "__init__.py" if path.is_dir() else path.with_suffix(".py")


def _storage_words(source: str) -> Iterator[tuple[int, str]]:
    for node in ast.walk(ast.parse(source)):
        line, names = getattr(node, "lineno", 0), list[str]()
        if isinstance(node, ast.Name):
            names = [node.id]
        elif isinstance(node, ast.Attribute):
            names = [node.attr]
            if KEY_ATTRIBUTE.match(node.attr):
                yield line, f"reads a key or index attribute (.{node.attr})"
        elif isinstance(node, ast.alias):
            names = [node.asname or node.name.split(".")[-1]]
        elif isinstance(node, ast.keyword) and node.arg and KEY_ATTRIBUTE.match(node.arg):
            yield line, f"writes a key or index attribute ({node.arg}=)"
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and KEY_TEXT.search(node.value):
            yield line, f"spells a key ({node.value!r})"
        for name in names:
            if ITEM.match(name):
                yield line, f"names a db item ({name})"

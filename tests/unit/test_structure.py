"""The map a newcomer reads stays readable: no import circles (counting imports inside
functions, which only hide a circle), no module too long to hold in one sitting, and the layers
import in one direction."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.import_graph import circles

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "chalicelib"
# A module past this many lines has more than one seam in it: split it along them.
MAX_LINES = 500


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """Every chalicelib module `name` imports, anywhere in its body. `from package import
    module` counts as importing the module, not the package."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                child = f"{base}.{alias.name}"
                found.add(child if child in known else base)
    return {module for module in found if module in known and module != name}


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    return {name: _imports(name, path, known) for name, path in modules.items()}


def test_no_module_imports_itself_back_through_others() -> None:
    # Given every chalicelib module and what it imports, at the top or inside a function
    graph = _graph()
    # Then no group of modules imports each other in a circle
    assert circles(graph) == []


def test_the_circle_finder_finds_a_circle() -> None:
    # Given a graph where a → b → c → a and d stands apart
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    # Then the circle is found, once, and d is not in it
    assert circles(graph) == [["a", "b", "c"]]


def test_every_module_can_be_read_in_one_sitting() -> None:
    long = {
        name: lines
        for name, path in _modules().items()
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}


LAYERS = {
    # a layer may import the layers listed for it, and nothing above
    "chalicelib.data": {"chalicelib.data", "chalicelib.errors", "chalicelib.config",
                        "chalicelib.clock", "chalicelib.observability", "chalicelib.adapters"},
    "chalicelib.services": {"chalicelib.services", "chalicelib.data", "chalicelib.mail",
                            "chalicelib.adapters", "chalicelib.errors", "chalicelib.config",
                            "chalicelib.clock", "chalicelib.observability", "chalicelib.shapes"},
    # what the API answers: typing only, so that declaring an answer costs a cold start nothing
    "chalicelib.shapes": {"chalicelib.shapes"},
}


@pytest.mark.parametrize("layer", sorted(LAYERS))
def test_a_layer_imports_only_the_layers_below_it(layer: str) -> None:
    allowed = LAYERS[layer]
    wrong = {
        f"{name} → {target}"
        for name, targets in _graph().items()
        if name.startswith(layer + ".")
        for target in targets
        if not any(target == a or target.startswith(a + ".") for a in allowed)
    }
    assert wrong == set()


def test_the_lambda_package_never_imports_the_developer_tools() -> None:
    # Given every module Chalice packages (app.py and chalicelib/)
    sources = [ROOT / "app.py", *sorted(PACKAGE.rglob("*.py"))]
    # Then none imports parley_dev (the local stack and the CLI), which Lambda does not have
    importing = sorted(
        str(path.relative_to(ROOT)) for path in sources
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if (isinstance(node, ast.ImportFrom) and (node.module or "").startswith("parley_dev"))
        or (isinstance(node, ast.Import)
            and any(alias.name.startswith("parley_dev") for alias in node.names))
    )
    assert importing == []

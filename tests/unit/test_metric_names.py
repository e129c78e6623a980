"""Metric names are fixed words: what varies (an action, a template, an outcome) is a dimension.
A name built from a value makes a new metric for every value, which no alarm or dashboard
follows (`AgentAnswer_{action}` was one)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

CHALICELIB = Path(__file__).resolve().parents[2] / "chalicelib"


def _count_calls(tree: ast.AST) -> list[ast.Call]:
    return [node for node in ast.walk(tree) if isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name | ast.Attribute)
            and (node.func.id if isinstance(node.func, ast.Name) else node.func.attr) == "count"
            and _imports_observability_count(tree)]


def _imports_observability_count(tree: ast.AST) -> bool:
    return any(isinstance(node, ast.ImportFrom) and node.module == "chalicelib.observability"
               and any(alias.name == "count" for alias in node.names) for node in ast.walk(tree))


def _name_argument(call: ast.Call) -> ast.expr | None:
    if call.args:
        return call.args[0]
    return next((k.value for k in call.keywords if k.arg == "name"), None)


def test_no_metric_name_is_built_from_a_value():
    # Given every count(...) call in chalicelib (str.count and list.count are not metrics:
    # only modules that import observability.count are read, and only a string-literal first
    # argument is accepted)
    built = []
    calls = 0
    for path in sorted(CHALICELIB.rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for call in _count_calls(tree):
            name = _name_argument(call)
            if isinstance(call.func, ast.Attribute) and not (
                isinstance(call.func.value, ast.Name) and call.func.value.id == "observability"
            ):
                continue  # text.count(old), ids.count(i)...
            calls += 1
            # Then its name is a plain string literal: no f-string, no concatenation, no variable
            if not (isinstance(name, ast.Constant) and isinstance(name.value, str)):
                built.append(f"{path.relative_to(CHALICELIB.parent)}:{call.lineno}: "
                             f"{ast.unparse(call)}")
    assert calls > 20  # the walk found the services' counts
    assert built == []

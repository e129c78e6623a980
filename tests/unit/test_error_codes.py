"""Every error code the API can return has a message in each of the pages' languages, and every
field a request names has a label: a French or Polish reader never reads the server's English.
The codes are collected from the source itself, so a code added anywhere is covered."""

from __future__ import annotations

import ast
import typing
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import BaseModel

from chalicelib.errors import VALIDATION_CODES, VALIDATION_MESSAGES
from tests.unit.test_web_i18n import LANGUAGES, dictionary

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
# Refusals API Gateway makes itself on AWS, in the app's shape (ERROR_RESPONSES there).
GATEWAY_RESPONSES = ROOT / "infra" / "parley_infra" / "chalice_app.py"


def _string(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def codes_in(tree: ast.AST) -> Iterator[str]:
    """`code="..."` arguments, `code = "..."` class defaults, `{"code": "..."}` bodies and
    `_error("...")` (the live-update socket's refusals)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg == "code":
            found = _string(node.value)
        elif isinstance(node, ast.ClassDef):
            for statement in node.body:
                if (isinstance(statement, ast.Assign)
                        and any(isinstance(t, ast.Name) and t.id == "code"
                                for t in statement.targets)):
                    yield from filter(None, [_string(statement.value)])
            continue
        elif isinstance(node, ast.Dict):
            pairs = zip(node.keys, node.values, strict=True)
            found = next((_string(v) for k, v in pairs if _string(k) == "code"), None)
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
              and node.func.id == "_error" and node.args):
            found = _string(node.args[0])
        else:
            continue
        if found:
            yield found


def gateway_codes() -> set[str]:
    """The second item of each (status, code, message) in infra's gateway responses."""
    tree = ast.parse(GATEWAY_RESPONSES.read_text(encoding="utf-8"))
    return {
        code
        for node in ast.walk(tree)
        if isinstance(node, ast.Tuple) and len(node.elts) == 3
        for code in filter(None, [_string(node.elts[1])])
        if code.isidentifier()
    }


def api_error_codes() -> set[str]:
    from chalicelib.api.routing import MISSING

    codes: set[str] = set()
    for source in (ROOT / "chalicelib").rglob("*.py"):
        codes |= set(codes_in(ast.parse(source.read_text(encoding="utf-8"))))
    codes |= {code for _, code in MISSING.values()}
    codes |= set(VALIDATION_MESSAGES)
    return codes | gateway_codes()


def test_the_collection_finds_the_codes_it_must():
    # Guards the collector itself: one code of each kind of place it reads
    codes = api_error_codes()
    assert {
        "invalid_input",  # a class default in errors.py
        "file_too_large",  # a code= argument
        "reopen_window_passed",  # a refusal's code= (services/tickets/access.py)
        "internal",  # the edge's own 500 body
        "entry_not_found",  # routing's MISSING table
        "invalid_email", "too_long",  # validation
        "method_not_allowed",  # the local server's 405
        "timeout",  # API Gateway's response on AWS
    } <= codes
    assert len(codes) > 80


def test_every_error_code_has_a_message_in_every_language():
    codes = api_error_codes()
    for language in LANGUAGES:
        messages = dictionary(language)
        missing = sorted(code for code in codes if f"error.{code}" not in messages)
        assert not missing, (language, missing)


def test_every_validation_code_has_its_english_sentence():
    assert set(VALIDATION_CODES.values()) <= set(VALIDATION_MESSAGES)


def model_fields(model: type[BaseModel], seen: set[type[BaseModel]]) -> Iterator[str]:
    if model in seen:
        return
    seen.add(model)
    for name, info in model.model_fields.items():
        yield name
        for nested in _types(info.annotation):
            if isinstance(nested, type) and issubclass(nested, BaseModel):
                yield from model_fields(nested, seen)


def _types(annotation: object) -> Iterator[object]:
    yield annotation
    for argument in typing.get_args(annotation):
        yield from _types(argument)


def test_every_field_a_request_takes_has_a_label_in_every_language():
    # A refusal names its field ("cc.0"): the page says it in words
    import app  # noqa: F401 - importing the app registers every route in ROUTES
    from chalicelib.api.routing import ROUTES
    from chalicelib.services.settings import PortalSettings

    seen: set[type[BaseModel]] = set()
    fields = set(model_fields(PortalSettings, seen))
    for spec in ROUTES:
        for model in (spec.body, spec.query):
            if model is not None:
                fields |= set(model_fields(model, seen))
    for language in LANGUAGES:
        labels = dictionary(language)
        missing = sorted(name for name in fields if f"field.{name}" not in labels)
        assert not missing, (language, missing)

"""The pages' three languages (web/assets/js/lang/<code>/) hold the same keys, with the same
placeholders, every key the pages name literally exists, and the sign-in page finds every
string it says in the part of the language it loads (shell.js: pages.js comes once signed in)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.unit.test_web_modules import JS, static_closure, strip_comments

pytestmark = pytest.mark.unit

WEB = JS
LANGUAGES = ("en", "fr", "pl")
PARTS = ("shell", "pages")
ENTRY = re.compile(r'^\s*"([A-Za-z0-9_.]+)":\s*(.+?),?\s*$', re.MULTILINE)
KEY = re.compile(r'\bt\("([A-Za-z0-9_.]+)"')


def part(language: str, name: str) -> dict[str, str]:
    return dict(ENTRY.findall((WEB / "lang" / language / f"{name}.js").read_text(encoding="utf-8")))


def dictionary(language: str) -> dict[str, str]:
    """Every string of `language`, both parts together."""
    return {key: value for name in PARTS for key, value in part(language, name).items()}


def placeholders(value: str) -> set[str]:
    return set(re.findall(r"\{(\w+)\}", value))


def keys_named(paths: set[Path] | list[Path]) -> set[str]:
    return {key for path in paths
            for key in KEY.findall(strip_comments(path.read_text(encoding="utf-8")))}


def pages() -> list[Path]:
    return [path for path in WEB.rglob("*.js") if (WEB / "lang") not in path.parents]


def test_every_language_has_the_same_keys_and_placeholders() -> None:
    english = dictionary("en")
    assert len(english) > 300
    for language in LANGUAGES[1:]:
        for name in PARTS:
            mine, theirs = part("en", name), part(language, name)
            assert set(theirs) == set(mine), (language, name, sorted(set(mine) ^ set(theirs)))
        other = dictionary(language)
        for key, value in english.items():
            assert placeholders(other[key]) == placeholders(value), (language, key)


def test_no_key_is_in_both_parts() -> None:
    assert not set(part("en", "shell")) & set(part("en", "pages"))


def test_every_key_the_pages_name_exists() -> None:
    missing = sorted(keys_named(pages()) - set(dictionary("en")))
    assert not missing, missing


def test_the_sign_in_page_says_only_what_the_shell_strings_hold() -> None:
    # Given the modules the sign-in page loads: the shell's, and the signed-out pages'
    signed_out = static_closure(JS / "app.js", JS / "auth.js")
    # Then every key they name is in shell.js, the one part of the language loaded there
    missing = sorted(keys_named(signed_out) - set(part("en", "shell")))
    assert not missing, missing

"""The pages' three dictionaries (web/assets/js/lang) hold the same keys, with the same
placeholders, and every key the pages name literally exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

WEB = Path(__file__).resolve().parents[2] / "web" / "assets" / "js"
LANGUAGES = ("en", "fr", "pl")
ENTRY = re.compile(r'^\s*"([A-Za-z0-9_.]+)":\s*(.+?),?\s*$', re.MULTILINE)


def dictionary(language: str) -> dict[str, str]:
    return dict(ENTRY.findall((WEB / "lang" / f"{language}.js").read_text(encoding="utf-8")))


def placeholders(value: str) -> set[str]:
    return set(re.findall(r"\{(\w+)\}", value))


def test_every_language_has_the_same_keys_and_placeholders():
    english = dictionary("en")
    assert len(english) > 300
    for language in LANGUAGES[1:]:
        other = dictionary(language)
        assert set(other) == set(english), (
            language, sorted(set(english) ^ set(other)))
        for key, value in english.items():
            assert placeholders(other[key]) == placeholders(value), (language, key)


def test_every_key_the_pages_name_exists():
    english = dictionary("en")
    used = set()
    for script in WEB.glob("*.js"):
        used |= set(re.findall(r'\bt\("([A-Za-z0-9_.]+)"', script.read_text(encoding="utf-8")))
    missing = sorted(used - set(english))
    assert not missing, missing

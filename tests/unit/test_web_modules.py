"""The web client's modules stay a map a newcomer can hold: no import circles (counting the
lazy `import()` of a page, which only hides a circle), none too long to read in one sitting,
every import naming a module that exists, and the shell's entry point loaded by index.html
alone, so a page module can be loaded without the whole shell."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.import_graph import circles

pytestmark = pytest.mark.unit

WEB = Path(__file__).resolve().parents[2] / "web"
JS = WEB / "assets" / "js"
ENTRY = JS / "app.js"
# Past this many lines a module has more than one seam in it: split it along them.
MAX_LINES = 500
# The dictionaries (lang/<code>/*.js) are lists of strings, not code to hold in one's head.
DICTIONARIES = JS / "lang"

STATIC = re.compile(
    r"""\b(?:import|export)\b[^;"'`]*?\bfrom\s*["']([^"']+)["']|\bimport\s*["']([^"']+)["']""")
DYNAMIC = re.compile(r"""\bimport\s*\(\s*(["'`])((?:(?!\1).)+)\1\s*\)""")
# Where a `/` starts a regular expression rather than a division.
REGEX_BEFORE = set("(,=:[!&|?{};+-*%<>~^") | {""}


def strip_comments(source: str) -> str:
    """The source without its comments (JSDoc included), strings and regular expressions kept
    as they are: a `//` in a URL or a `/*` in a regex is not a comment."""
    out: list[str] = []
    i, n = 0, len(source)
    last = ""  # the last significant character outside comments
    while i < n:
        c = source[i]
        two = source[i:i + 2]
        if two == "//":
            i = source.find("\n", i)
            i = n if i < 0 else i
        elif two == "/*":
            end = source.find("*/", i + 2)
            i = n if end < 0 else end + 2
            out.append(" ")
        elif c in "\"'`" or (c == "/" and last in REGEX_BEFORE):
            close = "/" if c == "/" else c
            j = i + 1
            in_class = False
            while j < n:
                if source[j] == "\\":
                    j += 2
                    continue
                if c == "/" and source[j] == "[":
                    in_class = True
                elif c == "/" and source[j] == "]":
                    in_class = False
                elif source[j] == close and not in_class:
                    break
                j += 1
            out.append(source[i:j + 1])
            last = close
            i = j + 1
        else:
            out.append(c)
            if not c.isspace():
                last = c
            i += 1
    return "".join(out)


def modules() -> list[Path]:
    return sorted(JS.rglob("*.js"))


def specifiers(path: Path) -> Iterator[tuple[str, bool]]:
    """Each module `path` imports, as written, and whether the import is lazy (`import()`)."""
    code = strip_comments(path.read_text(encoding="utf-8"))
    for match in STATIC.finditer(code):
        yield match.group(1) or match.group(2), False
    for match in DYNAMIC.finditer(code):
        yield match.group(2), True


def resolve(path: Path, specifier: str) -> list[Path]:
    """The files a specifier names: one, or for a template (`./lang/${code}/${part}.js`) every
    file it can name."""
    assert specifier.startswith("."), f"{path.relative_to(JS)}: {specifier} is not a relative path"
    pattern = re.sub(r"\$\{[^}]*\}", "*", specifier)
    base = path.parent
    if "*" in pattern:
        return sorted(base.glob(pattern))
    return [(base / pattern).resolve()]


def graph(lazy: bool = True) -> dict[Path, set[Path]]:
    """Each module and the modules it imports (with `lazy`, its `import()`s too)."""
    return {
        path: {target for spec, is_lazy in specifiers(path) if lazy or not is_lazy
               for target in resolve(path, spec)}
        for path in modules()
    }


def static_closure(*roots: Path) -> set[Path]:
    """The modules loaded with `roots` before anything runs: their static imports, all the way."""
    edges = graph(lazy=False)
    seen: set[Path] = set()
    todo = list(roots)
    while todo:
        path = todo.pop()
        if path not in seen:
            seen.add(path)
            todo.extend(edges[path])
    return seen


def names(paths: list[Path] | set[Path]) -> list[str]:
    return sorted(str(path.relative_to(JS)) for path in paths)


def test_the_comment_stripper_keeps_code_and_drops_comments() -> None:
    source = (
        '// import("./gone.js")\n'
        'const url = "https://example.com/*"; /** @type {import("./typed.js").T} */\n'
        "const re = /\\/*[/]/g; import { a } from './kept.js';\n"
    )
    code = strip_comments(source)
    assert "gone.js" not in code and "typed.js" not in code
    assert '"https://example.com/*"' in code and "./kept.js" in code and "/\\/*[/]/g" in code


def test_every_import_names_a_module_that_exists() -> None:
    for path, targets in graph().items():
        missing = [target for target in targets if not target.is_file()]
        assert not missing, (path.relative_to(JS), missing)


def test_no_module_imports_itself_back() -> None:
    # Given every module of the web client and what it imports, lazily or not
    edges = graph()
    assert len(edges) > 10

    # Then no group of modules imports one another in a circle
    assert circles(edges) == [], [names(group) for group in circles(edges)]


def test_only_index_html_loads_the_entry_point() -> None:
    # app.js boots the page when it is imported: a page module importing it (or the shell's
    # state from it) could not load without the whole shell starting.
    importers = [path for path, targets in graph().items() if ENTRY in targets]
    assert importers == [], names(importers)
    page = (WEB / "index.html").read_text(encoding="utf-8")
    assert re.findall(r'<script[^>]*\bsrc="([^"]+)"', page) == ["/assets/js/app.js"]


def test_no_module_is_too_long_to_read_in_one_sitting() -> None:
    too_long = {
        str(path.relative_to(JS)): lines
        for path in modules()
        if DICTIONARIES not in path.parents
        and (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert too_long == {}


def test_every_module_is_type_checked() -> None:
    # tsconfig.json checks every module (checkJs); the marker says so to a reader of the file.
    unchecked = [path for path in modules()
                 if not path.read_text(encoding="utf-8").startswith("// @ts-check\n")]
    assert unchecked == [], names(unchecked)

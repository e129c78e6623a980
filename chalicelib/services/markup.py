"""The announcement's small markup, which an admin types without HTML: **bold**, *italic*,
[text](https://…) or [text](mailto:…), a blank line between paragraphs, a line break kept;
a backslash before * [ ] ( ) or \\ shows it as it is.

Read here into paragraphs of runs (a link, or plain text) of spans (text with its emphasis):
the settings service refuses, when an announcement is saved, a link this grammar does not show
as a link (javascript:, data:, http:, relative, malformed), and the pages read the same grammar
in web/assets/js/markup.js, which builds DOM nodes from it (the browser tier checks that the two
agree on a hostile corpus). Anything that is not markup is text, never an error: an
announcement stored before the check renders, its refused links as the text typed.

Linear in the text's length: each `[` starts at most one bounded match, and emphasis is
resolved in one pass with what closes later counted once from the end."""

from __future__ import annotations

import re
from dataclasses import dataclass

from typing_extensions import TypedDict

# Explicit sets rather than `\s` or str.isspace(): Python and JavaScript differ on both, and the
# page must read exactly what the server checked.
_SPACE = " \t\n"
_ESCAPABLE = "\\*[]()"
_URL_CHAR = r"[^\x00-\x20\x7f()<>\"'`\\]"
# A target may hold balanced parentheses, one deep (https://en.wikipedia.org/wiki/Tea_(meal)).
_LINK = re.compile(
    rf"\[([^\[\]\n]+)\]\(({_URL_CHAR}*(?:\({_URL_CHAR}*\){_URL_CHAR}*)*)\)"
)
# Whatever starts like a link is one: refused when saved if it is not a link that is shown.
_LINK_START = re.compile(r"\[[^\[\]\n]*\]\(")
# https with a host of letters, digits and hyphens (an international name in its xn-- form),
# no user, no port; or mailto with an address. Schemes in lower case, as typed in examples.
_HREF = re.compile(
    r"https://[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*(?:[/?#][^\n]*)?"
    r"|mailto:[^@/?#:\n]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+(?:\?[^\n]*)?"
)
_BLANK_LINE = re.compile(r"\n[ \t]*\n")
_SHOWN_REFUSAL = 80  # characters of a refused link quoted back


class Span(TypedDict):
    text: str  # a line break is "\n"
    bold: bool
    italic: bool


class Run(TypedDict):
    href: str | None  # a link (https: or mailto:) around its spans, or None: plain text
    spans: list[Span]


Paragraph = list[Run]


@dataclass(frozen=True)
class _Star:
    size: int  # 1 italic, 2 bold, 3 both
    opens: bool  # followed by text (not a space, not the end)
    closes: bool  # preceded by text


@dataclass(frozen=True)
class _Link:
    href: str | None  # None: the link ends


_Token = str | _Star | _Link


@dataclass
class Markup:
    paragraphs: list[Paragraph]
    refused: list[str]  # what was typed as a link but is not one that is shown


def parse(text: str) -> Markup:
    """Paragraphs of runs of spans, and the links refused. Never fails."""
    refused: list[str] = []
    paragraphs: list[Paragraph] = []
    for block in _BLANK_LINE.split(text.replace("\r\n", "\n").replace("\r", "\n")):
        block = block.strip(_SPACE)
        if block:
            tokens: list[_Token] = []
            _tokenize(block, tokens, refused, links=True)
            paragraphs.append(_runs(tokens))
    return Markup(paragraphs, refused)


def allowed_href(target: str) -> bool:
    return _HREF.fullmatch(target) is not None


def _tokenize(text: str, out: list[_Token], refused: list[str], *, links: bool) -> None:
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char == "\\" and i + 1 < n and text[i + 1] in _ESCAPABLE:
            out.append(text[i + 1])
            i += 2
            continue
        if char == "*":
            end = i
            while end < n and text[end] == "*":
                end += 1
            if end - i > 3:
                out.append(text[i:end])
            else:
                before = text[i - 1] if i else " "
                after = text[end] if end < n else " "
                out.append(_Star(end - i, after not in _SPACE, before not in _SPACE))
            i = end
            continue
        if char == "[" and links and _LINK_START.match(text, i):
            found = _LINK.match(text, i)
            if found and found[1].strip(" \t") and allowed_href(found[2]):
                out.append(_Link(found[2]))
                _tokenize(found[1], out, refused, links=False)
                out.append(_Link(None))
                i = found.end()
                continue
            typed = found[0] if found else text[i:i + _SHOWN_REFUSAL].split("\n", 1)[0]
            refused.append(typed[:_SHOWN_REFUSAL])
        out.append(char)
        i += 1


def _runs(tokens: list[_Token]) -> Paragraph:
    """Emphasis opens only where a closer of its kind follows, so none is left open; the flags
    are flat, so markers that cross (**a *b** c*) still make well-formed spans."""
    closers_after: list[tuple[bool, bool]] = [(False, False)] * len(tokens)
    bold_later = italic_later = False
    for k in range(len(tokens) - 1, -1, -1):
        closers_after[k] = (bold_later, italic_later)
        token = tokens[k]
        if isinstance(token, _Star) and token.closes:
            bold_later = bold_later or token.size >= 2
            italic_later = italic_later or token.size != 2
    runs: list[Run] = []
    bold = italic = False
    href: str | None = None
    new_run = True

    def add(text: str) -> None:
        nonlocal new_run
        if new_run:
            runs.append({"href": href, "spans": []})
            new_run = False
        spans = runs[-1]["spans"]
        if spans and spans[-1]["bold"] == bold and spans[-1]["italic"] == italic:
            spans[-1]["text"] += text
        else:
            spans.append({"text": text, "bold": bold, "italic": italic})

    for k, token in enumerate(tokens):
        if isinstance(token, str):
            add(token)
        elif isinstance(token, _Link):
            href, new_run = token.href, True
        else:
            bold_closer, italic_closer = closers_after[k]
            for unit in (("**", "*") if token.size == 3 else ("*" * token.size,)):
                if unit == "**" and bold and token.closes:
                    bold = False
                elif unit == "**" and not bold and token.opens and bold_closer:
                    bold = True
                elif unit == "*" and italic and token.closes:
                    italic = False
                elif unit == "*" and not italic and token.opens and italic_closer:
                    italic = True
                else:
                    add(unit)
    return runs

"""HTML mail: sanitised for storage (nh3) and turned into text a person can read and reply to.

The text keeps what the HTML shows: paragraphs and line breaks, list bullets, link targets, and
blockquotes as `> ` lines, so quoted history in HTML-only replies can be stripped like plain text.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import nh3

# cid: keeps inline images pointing at their attachment (the portal rewrites them later).
_URL_SCHEMES = nh3.ALLOWED_URL_SCHEMES | {"cid"}
# Content nobody reads: dropped with its text, not just unwrapped.
_HIDDEN = {"script", "style", "head", "title", "template", "noscript", "xml"}

_BLOCKS = frozenset(
    {
        "address", "article", "aside", "center", "dd", "details", "div", "dl", "dt", "figcaption",
        "figure", "footer", "form", "header", "hgroup", "main", "nav", "section", "summary",
        "table", "tbody", "thead", "tfoot", "caption",
    }
)  # fmt: skip
_PARAGRAPHS = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "pre", "hr"})
_SPACE = re.compile(r"[ \t\r\n\f\u00a0\u200b]+")
# `[^<>]`, not `[^>]`: a tag cannot contain `<`, and stopping there keeps a run of unclosed `<`
# linear instead of quadratic.
_TAGS = re.compile(r"<[^<>]*>")


def sanitize_html(html: str) -> str:
    return nh3.clean(html, url_schemes=_URL_SCHEMES, clean_content_tags=_HIDDEN)


def html_to_text(html: str) -> str:
    """Readable text of an HTML body; never raises (falls back to stripping the tags)."""
    converter = _TextConverter()
    try:
        converter.feed(sanitize_html(html))
        converter.close()
        return converter.text()
    except Exception:  # html.parser asserts on some broken markup
        return _collapse_blank_lines(_SPACE.sub(" ", _TAGS.sub(" ", html)).strip())


class _TextConverter(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._lines: list[str] = []
        self._line: list[str] = []
        self._quote = 0
        self._pre = 0
        self._lists: list[int | None] = []  # None for <ul>, the next number for <ol>
        self._href: list[str | None] = []
        self._link_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self._end_line(force=True)
        elif tag == "blockquote":
            self._end_paragraph()
            self._quote += 1
        elif tag in {"ul", "ol"}:
            self._end_line()
            self._lists.append(1 if tag == "ol" else None)
        elif tag == "li":
            self._start_item()
        elif tag == "tr":
            self._end_line()
        elif tag in {"td", "th"}:
            self._write_cell_gap()
        elif tag == "a":
            self._href.append(dict(attrs).get("href"))
            self._link_text = []
        elif tag == "img":
            alt = (dict(attrs).get("alt") or "").strip()
            if alt:
                self._write(f"[{alt}]")
        elif tag in _PARAGRAPHS:
            self._end_paragraph()
            self._pre += tag == "pre"
            if tag == "hr":
                self._lines.append(self._prefix() + "-" * 20)
        elif tag in _BLOCKS:
            self._end_line()

    def handle_endtag(self, tag: str) -> None:
        if tag == "blockquote":
            self._end_line()
            while self._lines and not self._lines[-1].strip("> "):
                self._lines.pop()  # no trailing blank line inside the quote
            self._quote = max(0, self._quote - 1)
            self._end_paragraph()
        elif tag in {"ul", "ol"}:
            self._end_line()
            if self._lists:
                self._lists.pop()
        elif tag == "a" and self._href:
            self._close_link(self._href.pop())
        elif tag in _PARAGRAPHS:
            self._pre = max(0, self._pre - (tag == "pre"))
            self._end_paragraph()
        elif tag in _BLOCKS or tag in {"li", "tr"}:
            self._end_line()

    def handle_data(self, data: str) -> None:
        if self._pre:
            first, *rest = data.replace("\r\n", "\n").split("\n")
            self._line.append(first)
            for line in rest:
                self._end_line(force=True)
                self._line.append(line)
            return
        text = _SPACE.sub(" ", data)
        if not self._line or self._line[-1].endswith(" "):
            text = text.lstrip(" ")
        self._write(text)

    def _write(self, text: str) -> None:
        if text:
            self._line.append(text)
            if self._href:
                self._link_text.append(text)

    def _close_link(self, href: str | None) -> None:
        shown = "".join(self._link_text).strip()
        if href and href.startswith(("http://", "https://")) and href.rstrip("/") not in shown:
            self._write(f" ({href})" if shown else href)

    def _start_item(self) -> None:
        self._end_line()
        number = self._lists[-1] if self._lists else None
        if number is None:
            bullet = "- "
        else:
            bullet = f"{number}. "
            self._lists[-1] = number + 1
        self._line.append("  " * max(0, len(self._lists) - 1) + bullet)

    def _write_cell_gap(self) -> None:
        if self._line and "".join(self._line).strip():
            self._line.append("  ")

    def _prefix(self) -> str:
        return "> " * self._quote

    def _end_line(self, *, force: bool = False) -> None:
        line = "".join(self._line).rstrip()
        self._line = []
        if line.strip() or force:
            self._lines.append((self._prefix() + line).rstrip())

    def _end_paragraph(self) -> None:
        self._end_line()
        if self._lines and self._lines[-1].strip("> "):
            self._lines.append(self._prefix().rstrip())

    def text(self) -> str:
        self._end_line()
        return _collapse_blank_lines("\n".join(self._lines).strip("\n"))


def _collapse_blank_lines(text: str) -> str:
    lines = [line.rstrip() for line in text.split("\n")]
    out: list[str] = []
    for line in lines:
        if not line.strip("> ") and out and not out[-1].strip("> "):
            continue
        out.append(line)
    return "\n".join(out).strip()

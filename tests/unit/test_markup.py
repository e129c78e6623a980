"""The announcement's small markup (services/markup.py): what an admin types becomes bold,
italic, links and paragraphs, and nothing else; whatever is not markup stays the text typed,
hostile or broken input included, and a link the pages would not show is named for refusal."""

from __future__ import annotations

import gc
import time

import pytest

from chalicelib.services.markup import Paragraph, allowed_href, parse

pytestmark = pytest.mark.unit

# Read by the browser tier too (tests/browser/test_announcement.py): the page's reading
# (web/assets/js/markup.js) must be exactly this one.
CORPUS = [
    "Maintenance on Sunday.",
    "Hello **world** and *you*, ***both*** and ****four****",
    "**a *b** c*",
    "*a **b* c**",
    "**unclosed and *also",
    "2 * 3 * 4 and a ** b",
    "[x](javascript:alert(1))",
    "[x](JavaScript:alert(1)) [y](data:text/html;base64,PHNjcmlwdD4=) [z](/relative)",
    "[plain](http://insecure.test/) [empty]() [](https://a.test/) [ ](https://a.test/)",
    "[docs](https://en.wikipedia.org/wiki/Tea_(meal)) or [mail](mailto:help@acme.test?subject=Hi)",
    "**[bold link](https://acme.test/status)** and [**part** of it](https://acme.test/)",
    "[a](https://a.test/)[b](https://a.test/)",
    "<script>alert(1)</script> <b>bold?</b> <a href=\"javascript:alert(1)\">x</a>",
    "\\*not italic\\* \\[not a link\\](https://a.test/) \\\\ and \\q",
    "line one\nline two\r\nline three\r\rnew paragraph\n \t\n\n  last  ",
    "Zażółć **gęślą** jaźń, *日本語* [café ☕](https://xn--caf-dma.test/menu?q=é) 🎉 **🎉**",
    "[x](https://a.test/\u2028y) [y](https://user@a.test/) [z](https://a.test:8443/)",
    "[unclosed](https://a.test/ and [nested [x](https://a.test/)](https://b.test/)",
    "\u202eevil\u202c **\u200b** *\t*",
]


def text_of(paragraphs: list[Paragraph]) -> str:
    return "\n\n".join(
        "".join(span["text"] for run in paragraph for span in run["spans"])
        for paragraph in paragraphs
    )


def test_bold_italic_and_a_link_become_spans_and_a_run():
    # When an admin writes emphasis and a link
    read = parse("Read **the notes** and *then* [our status page](https://status.acme.test/).")

    # Then each is what it says, and nothing was refused
    assert read.refused == []
    assert read.paragraphs == [[
        {"href": None, "spans": [
            {"text": "Read ", "bold": False, "italic": False},
            {"text": "the notes", "bold": True, "italic": False},
            {"text": " and ", "bold": False, "italic": False},
            {"text": "then", "bold": False, "italic": True},
            {"text": " ", "bold": False, "italic": False},
        ]},
        {"href": "https://status.acme.test/", "spans": [
            {"text": "our status page", "bold": False, "italic": False}]},
        {"href": None, "spans": [{"text": ".", "bold": False, "italic": False}]},
    ]]


def test_blank_lines_part_paragraphs_and_single_breaks_stay():
    read = parse("  First line\r\nsecond line\n \n\n\nNext paragraph  \n")
    assert text_of(read.paragraphs) == "First line\nsecond line\n\nNext paragraph"
    assert len(read.paragraphs) == 2


@pytest.mark.parametrize(("typed", "shown", "styled"), [
    # nested and crossing markers: flat flags, never a marker left open
    ("**a *b** c*", "a b c", [("a ", True, False), ("b", True, True), (" c", False, True)]),
    ("***both***", "both", [("both", True, True)]),
    # unclosed markers are the text typed
    ("**unclosed and *also", "**unclosed and *also", [("**unclosed and *also", False, False)]),
    ("*a **b", "*a **b", [("*a **b", False, False)]),
    # a marker beside a space is not one
    ("2 * 3 * 4", "2 * 3 * 4", [("2 * 3 * 4", False, False)]),
    ("** not bold **", "** not bold **", [("** not bold **", False, False)]),
    # four or more stars are text
    ("****x****", "****x****", [("****x****", False, False)]),
    # a backslash shows the marker
    ("\\*a\\*", "*a*", [("*a*", False, False)]),
])
def test_emphasis_markers_nested_unclosed_and_escaped(typed, shown, styled):
    read = parse(typed)
    spans = [span for run in read.paragraphs[0] for span in run["spans"]]
    assert text_of(read.paragraphs) == shown
    assert [(s["text"], s["bold"], s["italic"]) for s in spans] == styled


@pytest.mark.parametrize("typed", [
    "[x](javascript:alert(1))",
    "[x](JAVASCRIPT:alert(1))",
    "[x](java\tscript:alert(1))",
    "[x](data:text/html;base64,PHNjcmlwdD4=)",
    "[x](vbscript:msgbox(1))",
    "[x](/relative/path)",
    "[x](//evil.test/)",
    "[x](http://insecure.test/)",
    "[x](HTTPS://shouting.test/)",
    "[x](https://)",
    "[x](https://user:pass@bank.test/)",
    "[x](https://a.test:8443/)",
    "[x](https://a b.test/)",
    "[x](mailto:nobody)",
    "[x]()",
    "[](https://a.test/)",
    "[x](https://a.test/\" onmouseover=\"alert(1))",
    "[x](https://a.test/<script>)",
])
def test_a_link_the_pages_would_not_show_is_refused_and_stays_text(typed):
    # When a link is not https: or mailto: with an address, or is malformed
    read = parse(f"See {typed} now")

    # Then it is named for refusal, and read as the text typed: no run carries an address
    assert read.refused and read.refused[0].startswith(("[x](", "[]("))
    assert all(run["href"] is None for run in read.paragraphs[0])
    assert text_of(read.paragraphs).startswith("See [")


@pytest.mark.parametrize("href", [
    "https://acme.test", "https://status.acme.test/path?q=1&r=2#top",
    "https://en.wikipedia.org/wiki/Tea_(meal)", "https://xn--caf-dma.test/",
    "mailto:help@acme.test", "mailto:help@acme.test?subject=Hello%20there",
])
def test_https_and_mailto_addresses_are_links(href):
    assert allowed_href(href)
    read = parse(f"[here]({href})")
    assert read.refused == []
    assert read.paragraphs[0][0]["href"] == href


def test_html_typed_as_text_stays_text():
    typed = "<script>alert(1)</script> <img src=x onerror=alert(1)> &amp; <b>bold?</b>"
    read = parse(typed)
    assert read.refused == []
    assert read.paragraphs == [[{"href": None, "spans": [
        {"text": typed, "bold": False, "italic": False}]}]]


def test_brackets_escaped_or_not_followed_by_an_address_are_text():
    read = parse("\\[note\\](see below) and [a] (b) and [c]")
    assert read.refused == []
    assert text_of(read.paragraphs) == "[note](see below) and [a] (b) and [c]"


def test_a_link_inside_a_link_is_not_one():
    read = parse("[outer [inner](https://a.test/)](https://b.test/)")
    hrefs = [run["href"] for run in read.paragraphs[0] if run["href"]]
    assert hrefs == ["https://a.test/"]


def test_unicode_is_kept_as_typed():
    typed = "Zażółć **gęślą** jaźń, *日本語* [café ☕](https://xn--caf-dma.test/menu?q=é) 🎉"
    read = parse(typed)
    assert read.refused == []
    assert text_of(read.paragraphs) == "Zażółć gęślą jaźń, 日本語 café ☕ 🎉"
    assert read.paragraphs[0][-2]["href"] == "https://xn--caf-dma.test/menu?q=é"


# Patterns that make a backtracking parser take time growing faster than their length.
HOSTILE = [
    lambda n: "[" * n,
    lambda n: "[a](" * (n // 4),
    lambda n: "*a " * (n // 3) + "*" * 3,
    lambda n: "[a](https://x.test/" + "(b)" * (n // 3),
    lambda n: ("[a](https://x.test/" + "a" * 50) * (n // 70),
    lambda n: "**" * (n // 2),
]


def _cpu_seconds(typed: str) -> float:
    # This thread's CPU, what the parse costs whatever the load; without the garbage collector,
    # whose passes over the whole test process would be counted against whichever parse ran.
    gc.disable()
    try:
        started = time.thread_time()
        read = parse(typed)
        spent = time.thread_time() - started
    finally:
        gc.enable()
    assert read.paragraphs and not any(run["href"] for run in read.paragraphs[0][:1])
    return spent


@pytest.mark.parametrize("hostile", range(len(HOSTILE)))
def test_very_long_hostile_input_is_read_in_linear_time(hostile):
    # Given far more than the 2,000 characters a save accepts, then ten times as much
    small, large = (_cpu_seconds(HOSTILE[hostile](n)) for n in (10_000, 100_000))
    # Then ten times the text costs about ten times the work (at most half of the hundred
    # times a quadratic parse would take): a ratio, not a duration, so a slow machine passes
    assert large <= 50 * small + 0.05, (small, large)


def test_the_corpus_never_fails_and_only_shows_allowed_addresses():
    for typed in CORPUS:
        read = parse(typed)
        for paragraph in read.paragraphs:
            assert paragraph, typed
            for run in paragraph:
                assert run["spans"] and all(span["text"] for span in run["spans"]), typed
                assert run["href"] is None or allowed_href(run["href"]), typed

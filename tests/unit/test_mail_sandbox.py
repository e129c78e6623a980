"""The sandbox admins' mail wordings render in: every way of growing a value, looping or
running long is refused before it costs anything, with a reason the settings page can show."""

from __future__ import annotations

import time

import pytest

from chalicelib.mail import outbound
from chalicelib.services import mail_templates
from chalicelib.services.mail_sandbox import TemplateProblem, render_bounded

pytestmark = pytest.mark.unit

CONTEXT = {"name": "Alice Martin", "count": 3, "link": "https://portal.test/t/1"}


def problem(source: str) -> str:
    with pytest.raises(TemplateProblem) as caught:
        render_bounded(source, CONTEXT)
    return caught.value.code


@pytest.mark.parametrize(("source", "code"), [
    ("{{ (name|length) // 0 }}", "template_render_failed"),
    ("{{ '%d' % name }}", "template_render_failed"),
    ("{{ nope }}", "template_render_failed"),
    ("{{ name.__class__ }}", "template_render_failed"),
    ("{% for i in range(100001) %}{% endfor %}", "template_loop_too_long"),
    ("{% for i in range(1001) %}{% endfor %}", "template_loop_too_long"),
    ("{% for i in range(40) %}{% for j in range(40) %}{% endfor %}{% endfor %}",
     "template_loop_too_long"),
    ("{% for c in name * 90 %}{% for d in name %}{% endfor %}{% endfor %}",
     "template_loop_too_long"),
    ("{{ name * 100000000 }}", "template_too_long"),
    ("{{ [name] * 100000000 }}", "template_too_long"),
    ("{{ '%0100000000d' % 1 }}", "template_too_long"),
    ("{{ '%*d' % (100000000, 1) }}", "template_too_long"),
    ("{{ 9 ** 999999 }}", "template_too_long"),
    ("{{ 10 ** 1000 * 10 ** 1000 * 10 ** 1000 }}", "template_too_long"),
    ("{% set x = name * 8000 %}{{ x ~ x ~ x ~ x ~ x ~ x ~ x ~ x ~ x ~ x ~ x ~ x }}",
     "template_too_long"),
    ("{% set x = name * 8000 %}{{ x + x + x + x + x + x + x + x + x + x + x + x }}",
     "template_too_long"),
    ("{{ name|replace('', name)|replace('', name)|replace('', name)|replace('', name) }}",
     "template_too_long"),
    ("{{ range(900)|join(name * 100) }}", "template_too_long"),
    ("{% for i in range(999) %}{{ name * 100 }}{% endfor %}", "template_too_long"),
    ("{{ '{:>99999999}'.format(name) }}", "template_not_allowed"),
    ("{{ name.center(100000000) }}", "template_render_failed"),
    ("{{ name|center(100000000) }}", "template_syntax"),
    ("{{ lipsum(100000) }}", "template_render_failed"),
    ("{% macro f(n) %}{{ f(n) }}{{ f(n) }}{% endmacro %}{{ f(1) }}", "template_not_allowed"),
    ("{% for x in [[1]] recursive %}{{ loop(x) }}{% endfor %}", "template_not_allowed"),
    ("{% set x %}{{ name }}{% endset %}", "template_not_allowed"),
    ("{% filter upper %}{{ name }}{% endfilter %}", "template_not_allowed"),
    ("{% include 'layout.html' %}", "template_not_allowed"),
    ("{{ name ~ }}", "template_syntax"),
    # a list's size is what it prints, not how many items it holds
    ("{% set a = 'x' * 100000 %}{{ [a] * 2000 }}", "template_too_long"),
    ("{% set a = 'x' * 60000 %}{{ [a] + [a] }}", "template_too_long"),
    # sum adds lists in quadratic time within one call: not offered
    ("{{ ([[1]] * 100000)|sum(start=[]) }}", "template_syntax"),
])
def test_each_way_of_breaking_a_mail_is_refused_with_its_reason(source, code):
    started = time.monotonic()
    assert problem(source) == code
    assert time.monotonic() - started < 0.5  # refused before the work, not after


def test_a_render_that_runs_past_the_deadline_stops():
    with pytest.raises(TemplateProblem) as caught:
        render_bounded("{% for i in range(10) %}{{ i }}{% endfor %}", CONTEXT, time_limit=0.0)
    assert caught.value.code == "template_too_slow"


def test_ordinary_wordings_render():
    assert render_bounded(
        "Hi {{ name|upper }}, {{ count }} update{% if count != 1 %}s{% endif %}: "
        "{% for i in range(count) %}{{ loop.index }}{% if not loop.last %}, {% endif %}"
        "{% endfor %} {{ link }} {{ name.split()[0] }} {{ '%s/%d' % (name, count) }}",
        CONTEXT,
    ) == "Hi ALICE MARTIN, 3 updates: 1, 2, 3 https://portal.test/t/1 Alice Alice Martin/3"


@pytest.mark.parametrize("template", sorted(outbound.MAIL_TEMPLATES))
def test_every_built_in_text_passes_the_save_check_in_every_language(template):
    # The page starts every editor from the built-in text: saving it unchanged must work (a
    # ticket mail's subject is the ticket's: the page shows it and never sends it).
    fixed = template in outbound.THREADED_TEMPLATES
    for language in outbound.LANGUAGES:
        text = mail_templates.builtin(template, language)
        for part in ("body",) if fixed else ("subject", "body"):
            mail_templates.check_part(template, language, part, text[part], "Parley")

"""A Jinja2 sandbox an admin's mail wording cannot break sending with.

Jinja's own sandbox keeps a template away from Python's internals but not from the machine:
`name * 100000000` allocates 300 MB, `range(100001)` raises OverflowError, `1 // 0` raises
ZeroDivisionError, and nested loops or macros can run for hours without writing a character.
A thread cannot stop Python code, so the limits here are structural: every operation that can
grow a value (`*`, `+`, `%`, `**`, `~`, the filters, method calls) refuses a result over
MAX_VALUE_CHARS before making it, every loop draws from one per-render budget of iterations,
macros and blocks that buffer output are refused when parsed, and the output is counted while
it streams. The deadline is checked at each of those steps, so a render that is slow anyway
stops within one step of it. Whatever else goes wrong becomes a TemplateProblem.

Imported only when a mail with an override is sent, or when templates are checked (jinja2 is
loaded on demand: tests/unit/test_cold_start.py).
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, TemplateSyntaxError, nodes, pass_context, pass_eval_context
from jinja2.compiler import CodeGenerator, Frame
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment

MAX_OUTPUT_CHARS = 100_000  # a mail's whole text; real ones are a few hundred characters
MAX_VALUE_CHARS = MAX_OUTPUT_CHARS  # no value may be bigger than the mail could be
MAX_ITERATIONS = 1_000  # every loop of one render together, and the longest range()
MAX_INT_BITS = 4_096  # numbers stay numbers a mail could print
TIME_LIMIT_SECONDS = 0.25  # a real wording renders in well under a millisecond

# What a wording may call on a string: reading methods only. `format`, `center`, `ljust`,
# `zfill`, `replace`, `join`, `expandtabs` can each make a huge string from a short one.
_STRING_METHODS = frozenset({
    "upper", "lower", "title", "capitalize", "casefold", "swapcase", "strip", "lstrip",
    "rstrip", "startswith", "endswith", "split", "rsplit", "splitlines", "isdigit", "isalpha",
    "isalnum", "isspace", "isupper", "islower", "count", "find",
})
# Filters whose result is at most a small multiple of their input (checked after the call);
# the ones that can multiply (join, replace) are checked before, and the others (center,
# indent, wordwrap, format, lipsum, and sum, which adds lists in quadratic time inside one
# call no deadline can interrupt) are not offered.
_LINEAR_FILTERS = (
    "abs", "capitalize", "count", "d", "default", "e", "escape", "first", "float", "int",
    "last", "length", "list", "lower", "max", "min", "reverse", "round", "string", "striptags",
    "title", "trim", "truncate", "upper", "urlencode", "wordcount", "unique", "sort",
    "select", "reject", "map",
)
# Nodes that buffer output outside the counted stream, or call themselves (time without output).
_REFUSED_NODES: dict[type[nodes.Node], str] = {
    nodes.Macro: "macros are not available in mail templates",
    nodes.CallBlock: "call blocks are not available in mail templates",
    nodes.AssignBlock: "block assignments ({% set %}...{% endset %}) are not available",
    nodes.FilterBlock: "filter blocks are not available in mail templates",
    nodes.Extends: "templates cannot extend other templates",
    nodes.Include: "templates cannot include other templates",
    nodes.Import: "templates cannot import other templates",
    nodes.FromImport: "templates cannot import other templates",
}
_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?[a-zA-Z%]")


class TemplateProblem(Exception):
    """Why a wording cannot be used: `code` is stable (the pages translate it), `reason` is
    the detail in English."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


@dataclass
class _Budget:
    deadline: float
    iterations: int = 0


_budget: ContextVar[_Budget | None] = ContextVar("mail_template_budget", default=None)


def _tick(iterations: int = 0) -> None:
    budget = _budget.get()
    if budget is None:  # constant folding at compile time: only sizes are checked there
        return
    budget.iterations += iterations
    if budget.iterations > MAX_ITERATIONS:
        raise TemplateProblem(
            "template_loop_too_long", f"loops may run {MAX_ITERATIONS} times in all"
        )
    if time.monotonic() > budget.deadline:
        raise TemplateProblem("template_too_slow", "the template takes too long to render")


_SIZE_WALK = 10_000  # items a size estimate looks at before calling the value too large


def _size(value: Any) -> int:
    """About how many characters `value` prints as: a container counts what it holds, not only
    how many items (a list of one 100,000-character text is that long), in a bounded walk."""
    budget = [_SIZE_WALK]

    def size(item: Any) -> int:
        budget[0] -= 1
        if budget[0] < 0:
            return MAX_VALUE_CHARS + 1
        if isinstance(item, str):
            return len(item)
        if isinstance(item, dict):
            return len(item) + sum(size(k) + size(v) for k, v in item.items())
        if isinstance(item, list | tuple | set | frozenset):
            return len(item) + sum(size(element) for element in item)
        if isinstance(item, int) and not isinstance(item, bool):
            return 0 if item.bit_length() <= MAX_INT_BITS else MAX_VALUE_CHARS + 1
        return 0

    return size(value)


def _refuse_over(size: int) -> None:
    if size > MAX_VALUE_CHARS:
        raise TemplateProblem(
            "template_too_long", f"a value would exceed {MAX_VALUE_CHARS} characters"
        )


def _checked(value: Any) -> Any:
    _refuse_over(_size(value))
    return value


def _binop_size(operator: str, left: Any, right: Any) -> int:
    """The size of the result, worked out before computing it."""
    numbers = (isinstance(left, int | float) and isinstance(right, int | float))
    if operator == "*":
        if numbers:
            bits = _bits(left) + _bits(right)
            return 0 if bits <= MAX_INT_BITS else MAX_VALUE_CHARS + 1
        for sequence, times in ((left, right), (right, left)):
            if isinstance(times, int) and not isinstance(sequence, int | float):
                return _size(sequence) * max(times, 0)
    if operator == "**" and numbers:
        base = abs(left)
        if base <= 1 or right <= 0:
            return 0
        return 0 if right * math.log2(base) <= MAX_INT_BITS else MAX_VALUE_CHARS + 1
    if operator == "+" and not numbers:
        return _size(left) + _size(right)
    if operator == "%" and isinstance(left, str):
        return len(left) + _format_growth(left, right)
    return 0


def _bits(number: int | float) -> int:
    return number.bit_length() if isinstance(number, int) else 64


def _format_growth(pattern: str, values: Any) -> int:
    """What `pattern % values` may add: its widths and precisions, and the values' own sizes.
    A `*` width comes from the values, so it is refused outright."""
    grown = 0
    for width, precision in _PERCENT_SPEC.findall(pattern):
        if "*" in (width, precision):
            return MAX_VALUE_CHARS + 1
        grown += int(width or 0) + int(precision or 0)
    items = values if isinstance(values, tuple) else (values,)
    return grown + sum(_size(v) if not isinstance(v, int) else 0 for v in items)


def _bounded_join(eval_ctx: Any, value: Iterable[Any], d: str = "", attribute: Any = None) -> str:
    from jinja2.filters import do_join

    if attribute is not None:
        raise TemplateProblem("template_not_allowed", "join(attribute=...) is not available")
    items = list(value)
    _refuse_over(sum(len(str(item)) for item in items) + len(d) * max(len(items) - 1, 0))
    return _checked(do_join(eval_ctx, items, d))  # type: ignore[no-any-return]


def _bounded_replace(
    eval_ctx: Any, s: str, old: str, new: str, count: int | None = None
) -> str:
    from jinja2.filters import do_replace

    text = str(s)
    found = text.count(old) if old else len(text) + 1
    if count is not None and count >= 0:
        found = min(found, count)
    _refuse_over(len(text) + found * max(len(str(new)) - len(str(old)), 0))
    return str(_checked(do_replace(eval_ctx, s, old, new, count)))


def _loop_budget(context: Context, iterable: Any) -> Iterator[Any]:
    """Every `{% for %}` iterates through this (see _BoundedSandbox._parse)."""
    for item in iterable:
        _tick(1)
        yield item


def _bounded_range(*args: int) -> range:
    numbers = range(*args)
    if len(numbers) > MAX_ITERATIONS:
        raise TemplateProblem(
            "template_loop_too_long", f"range() may count to {MAX_ITERATIONS} at most"
        )
    return numbers


def _size_checked(function: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        _tick()
        return _checked(function(*args, **kwargs))

    # Jinja passes the context / environment to filters marked for it: keep the mark.
    if hasattr(function, "jinja_pass_arg"):
        wrapper.jinja_pass_arg = function.jinja_pass_arg  # type: ignore[attr-defined]
    return wrapper


class _BoundedCodeGenerator(CodeGenerator):
    """`a ~ b ~ c` compiles to a join Jinja's sandbox does not see: route it through a check."""

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.bounded_concat((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")


class _BoundedSandbox(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**", "+", "%", "//", "/", "-"})
    code_generator_class = _BoundedCodeGenerator

    def __init__(self) -> None:
        super().__init__(
            autoescape=False,  # plain text, escaped by the HTML layout
            undefined=StrictUndefined,
            keep_trailing_newline=True,
        )
        from jinja2 import filters as jinja_filters

        offered: dict[str, Callable[..., Any]] = {
            name: _size_checked(jinja_filters.FILTERS[name]) for name in _LINEAR_FILTERS
        }
        offered["join"] = _size_checked(pass_eval_context(_bounded_join))
        offered["replace"] = _size_checked(pass_eval_context(_bounded_replace))
        offered["parley_loop_budget"] = pass_context(_loop_budget)
        self.filters = offered
        # No lipsum (any length of text) and no namespace (values that outlive a loop pass).
        self.globals = {"range": _bounded_range, "dict": dict}

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        tree = super()._parse(source, name, filename)
        for node in tree.find_all(tuple(_REFUSED_NODES)):
            raise TemplateProblem("template_not_allowed", _REFUSED_NODES[type(node)])
        for loop in tree.find_all(nodes.For):
            if loop.recursive:
                raise TemplateProblem("template_not_allowed", "recursive loops are not available")
            loop.iter = nodes.Filter(
                loop.iter, "parley_loop_budget", [], [], None, None, lineno=loop.lineno
            )
        return tree

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if isinstance(obj, str):
            return attr in _STRING_METHODS
        return super().is_safe_attribute(obj, attr, value)

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        # Jinja hands out str.format before any attribute check; a width can make any size.
        if getattr(value, "__name__", None) in ("format", "format_map") and isinstance(
            getattr(value, "__self__", None), str
        ):
            raise TemplateProblem("template_not_allowed", "str.format is not available")
        return None

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        _tick()
        _refuse_over(_binop_size(operator, left, right))
        return _checked(super().call_binop(context, operator, left, right))

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        _tick()
        return _checked(super().call(__context, __obj, *args, **kwargs))

    def bounded_concat(self, parts: tuple[Any, ...]) -> str:
        _tick()
        texts = [str(part) for part in parts]
        _refuse_over(sum(len(text) for text in texts))
        return "".join(texts)


@lru_cache(maxsize=1)
def _environment() -> _BoundedSandbox:
    return _BoundedSandbox()


@lru_cache(maxsize=256)
def _compiled(source: str) -> Any:
    """Compiled once per warm Lambda: the same wording is rendered for every mail."""
    try:
        return _environment().from_string(source)
    except TemplateSyntaxError as exc:
        raise TemplateProblem("template_syntax", f"line {exc.lineno}: {exc.message}") from exc


def parse(source: str) -> nodes.Template:
    """The checked tree of a wording (for the names it uses); TemplateProblem when refused."""
    try:
        return _environment().parse(source)
    except TemplateSyntaxError as exc:
        raise TemplateProblem("template_syntax", f"line {exc.lineno}: {exc.message}") from exc


def render_bounded(
    source: str, context: dict[str, Any], *, time_limit: float = TIME_LIMIT_SECONDS
) -> str:
    """Render a wording within every limit above, or raise TemplateProblem saying which."""
    token = _budget.set(_Budget(deadline=time.monotonic() + time_limit))
    try:
        template = _compiled(source)
        written = 0
        chunks = []
        for chunk in template.generate(**context):
            written += len(chunk)
            if written > MAX_OUTPUT_CHARS:
                raise TemplateProblem(
                    "template_too_long", f"the text would exceed {MAX_OUTPUT_CHARS} characters"
                )
            _tick()
            chunks.append(chunk)
        return "".join(chunks)
    except TemplateProblem:
        raise
    except RecursionError as exc:
        raise TemplateProblem("template_not_allowed", "the template nests too deeply") from exc
    except MemoryError as exc:
        raise TemplateProblem("template_too_long", "the template needs too much memory") from exc
    except Exception as exc:  # whatever a wording raises, it is the wording's problem
        raise TemplateProblem("template_render_failed", _describe(exc)) from exc
    finally:
        _budget.reset(token)


def _describe(exc: Exception) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text[:300]

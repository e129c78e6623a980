"""Render a mail template and build the MIME message SES sends.

Templates are plain text files, one per template and language: the first line is
`Subject: ...`, the rest is the body. The HTML part is the same text, escaped, in one shared
layout: what the customer reads is identical in both parts, and there is only one thing to
translate and to override.

The subject line and the body are compiled as two templates, so a line break inside a value
(a title, a name) can never move text from the body into the subject or the other way round.
An admin's override of a subject or body is Jinja2 too, rendered in a sandbox and checked
against the variables its template is given when it is saved.

Every header value of every mail is cleaned by `header_safe` and set by `_set_header`: a name, a
title or a portal name is user data, and Python's email refuses a header holding any line
break `str.splitlines()` knows (U+2028 in a customer's name once made every alert about them
fail). What the email package still refuses gives way to a safe value, never the whole mail.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chalicelib import clock
from chalicelib.config import get_settings

if TYPE_CHECKING:
    from jinja2 import Environment, Template
    from jinja2.sandbox import SandboxedEnvironment

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
LANGUAGES = ("en", "fr", "pl")
# What no header value may hold: line breaks (CR, LF, VT, FF, FS/GS/RS, NEL, U+2028/U+2029;
# a break starts a new header, and the email package refuses them all), other C0/C1 controls
# and DEL, lone surrogates (unencodable), and the BOM and non-characters U+FFFE/U+FFFF.
_NOT_IN_HEADERS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]+")
_URL = re.compile(r"(https?://[^\s<>\"]+)")
SUBJECT_PREFIX = "Subject:"

# Every mail the portal sends, which an admin may reword, and the variables each is rendered
# with: nothing else reaches a template, so no override can put a message's text in a mail.
_EVERY_MAIL = frozenset({"portal_name", "login_link"})
_TICKET_VARIABLES = _EVERY_MAIL | {"name", "ticket_number", "ticket_title", "link"}
# Notifications about a ticket (services/notifications.py, through the outbox).
NOTIFICATION_TEMPLATES: dict[str, frozenset[str]] = {
    "secure_notification": _TICKET_VARIABLES,
    "acknowledgement": _TICKET_VARIABLES,
    "support_alert": _TICKET_VARIABLES | {"requester_name"},
    "digest": _TICKET_VARIABLES | {"count"},
}
# Account mail (services/users.py) and the polite answers to inbound mail
# (services/inbound/replies.py).
OTHER_TEMPLATES: dict[str, frozenset[str]] = {
    "invite": _EVERY_MAIL | {"name", "link"},
    "password_reset": _EVERY_MAIL | {"name", "link"},
    "verify_email": _EVERY_MAIL | {"name", "link"},
    "already_registered": _EVERY_MAIL | {"name", "link"},
    "temporary_password": _EVERY_MAIL | {"name", "password"},
    "inbound_blocked": _TICKET_VARIABLES,
    "inbound_unknown_sender": _EVERY_MAIL,
}
MAIL_TEMPLATES: dict[str, frozenset[str]] = {**NOTIFICATION_TEMPLATES, **OTHER_TEMPLATES}
# What a reworded body must still say, or the mail is of no use to the person it is for.
REQUIRED_IN_BODY: dict[str, frozenset[str]] = {
    "invite": frozenset({"link"}),
    "password_reset": frozenset({"link"}),
    "verify_email": frozenset({"link"}),
    "temporary_password": frozenset({"password"}),
}


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class Override:
    """An admin's wording for one template in one language; None keeps the built-in part."""

    subject: str | None = None
    body: str | None = None


@lru_cache(maxsize=1)
def _environment() -> Environment:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    return Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )


def header_safe(value: str) -> str:
    """The one cleaning of a header value: each run of characters no header may hold becomes a
    space, so user data can neither add a header (injection) nor make the mail unsendable."""
    return _NOT_IN_HEADERS.sub(" ", value).strip()


def fits_in_header(value: str) -> bool:
    """True when `header_safe` would leave the value's characters alone (checked on save)."""
    return not _NOT_IN_HEADERS.search(value)


@lru_cache(maxsize=1)
def _text_environment() -> Environment:
    # Text parts are not HTML: nothing to escape (the HTML part escapes them in the layout).
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    return Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=False,  # noqa: S701 - plain text; the HTML layout escapes everything
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )


@lru_cache(maxsize=1)
def _sandbox() -> SandboxedEnvironment:
    """Overrides come from the settings item: no attribute access or calls into Python."""
    from jinja2 import StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    return SandboxedEnvironment(
        autoescape=False,  # plain text, escaped by the HTML layout
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )


@lru_cache(maxsize=64)
def _compiled(template: str, language: str) -> tuple[Template, Template]:
    env = _text_environment()
    name = f"{language}/{template}.txt"
    assert env.loader is not None
    source = env.loader.get_source(env, name)[0]
    first, _, body = source.partition("\n")
    if not first.startswith(SUBJECT_PREFIX):
        raise ValueError(f"template {name} must start with {SUBJECT_PREFIX!r}")
    return env.from_string(first[len(SUBJECT_PREFIX) :]), env.from_string(body)


def render(
    template: str, language: str, context: dict[str, Any], override: Override | None = None
) -> Rendered:
    language = language if language in LANGUAGES else "en"
    subject_template, body_template = _compiled(template, language)
    subject = header_safe(subject_template.render(**context))
    body = body_template.render(**context)
    if override is not None:
        subject = header_safe(_render_override(override.subject, context)) or subject
        body = _render_override(override.body, context) or body
    body = body.strip("\n") + "\n"
    html = _environment().get_template("layout.html").render(
        subject=subject, paragraphs=_paragraphs(body), portal_name=context.get("portal_name", "")
    )
    return Rendered(subject=subject, text=body, html=html)


def _render_override(source: str | None, context: dict[str, Any]) -> str:
    """An override that cannot render falls back to the built-in text: a typo in the settings
    must not stop the notifications."""
    if not source or not source.strip():
        return ""
    from jinja2 import TemplateError

    try:
        return _sandbox().from_string(source).render(**context).strip("\n")
    except TemplateError:
        from chalicelib.observability import get_logger

        get_logger().warning("mail template override failed; using the built-in text")
        return ""


def check_override(template: str, source: str, *, body: bool = False) -> None:
    """Raise ValueError when an override would not render: bad syntax, or a variable its
    template is not given (StrictUndefined would fail every send); or, for a body, when it
    leaves out what the mail is for (the link of an invitation, a temporary password)."""
    from jinja2 import TemplateSyntaxError, meta

    allowed = MAIL_TEMPLATES.get(template)
    if allowed is None:
        raise ValueError(f"{template!r} is not a mail template")
    try:
        parsed = _sandbox().parse(source)
    except TemplateSyntaxError as exc:
        raise ValueError(f"template syntax error: {exc.message}") from exc
    used = meta.find_undeclared_variables(parsed)
    unknown = sorted(used - allowed)
    if unknown:
        raise ValueError(
            f"unknown variable(s) {', '.join(unknown)}; use {', '.join(sorted(allowed))}"
        )
    missing = sorted(REQUIRED_IN_BODY.get(template, frozenset()) - used) if body else []
    if missing:
        raise ValueError(f"the body must use {', '.join(missing)}")


def _paragraphs(text: str) -> list[list[tuple[str, bool]]]:
    """Split into paragraphs of (fragment, is_link) for the HTML layout to escape and link.
    Only the portal's own addresses become links: a URL typed into a title stays text."""
    portal = get_settings().public_url
    result = []
    for block in re.split(r"\n\s*\n", text.strip()):
        fragments = [
            (part, bool(_URL.fullmatch(part)) and (part == portal or part.startswith(portal + "/")))
            for part in _URL.split(block)
            if part
        ]
        result.append(fragments)
    return result


def new_message_id(domain: str) -> str:
    return f"<{uuid.uuid4().hex}@{domain}>"


def build_message(
    *,
    sender: str,
    sender_name: str,
    to: str | list[str],
    rendered: Rendered,
    message_id: str,
    reply_to: str | None = None,
    in_reply_to: str | None = None,
    references: list[str] | None = None,
    cc: list[str] | None = None,
) -> EmailMessage:
    """Bcc recipients are not given here: they are envelope recipients only, never a header.
    Each header is (name, value, fallback); SES delivers to the envelope whatever To says, so a
    recipient header that cannot be written loses nothing but its display."""
    recipients = [to] if isinstance(to, str) else to
    headers: list[tuple[str, str | None, str | None]] = [
        ("From", formataddr((header_safe(sender_name), sender)), sender),
        ("To", ", ".join(header_safe(a) for a in recipients), "undisclosed-recipients:;"),
        ("Cc", ", ".join(header_safe(a) for a in cc or []), None),
        ("Subject", rendered.subject, _ascii(rendered.subject)),
        ("Date", format_datetime(clock.utcnow()), None),
        ("Message-ID", message_id, None),
        ("Reply-To", reply_to, None),
        ("In-Reply-To", in_reply_to, None),
        ("References", " ".join(header_safe(r) for r in references or []), None),
        # RFC 3834: tells well-behaved auto-responders not to answer, which breaks mail loops.
        ("Auto-Submitted", "auto-generated", None),
        ("X-Auto-Response-Suppress", "All", None),
    ]
    msg = EmailMessage()
    for name, value, fallback in headers:
        if value:
            _set_header(msg, name, value, fallback)
    msg.set_content(rendered.text, cte="quoted-printable")
    msg.add_alternative(rendered.html, subtype="html", cte="quoted-printable")
    return msg


def _set_header(msg: EmailMessage, name: str, value: str, fallback: str | None) -> None:
    """Set one header, cleaned and folded as sending will fold it. A value the email package
    still refuses (its address parser raises on some malformed input) is replaced by
    `fallback`, or left out, and logged: one bad value must not drop the mail."""
    for candidate in (header_safe(value), fallback):
        if candidate is None:
            break
        try:
            msg[name] = candidate
            msg.policy.fold_binary(name, msg[name])
            return
        except Exception as exc:  # whatever the email package raises, the mail must go out
            del msg[name]
            _log_refused_header(name, exc)


def _log_refused_header(name: str, exc: Exception) -> None:
    from chalicelib.observability import count, get_logger

    count("MailHeaderRefused")
    get_logger().warning(
        "mail header value refused; a safe value or none is used instead",
        extra={"header": name, "error": type(exc).__name__},
    )


def _ascii(value: str) -> str:
    return header_safe(value).encode("ascii", "replace").decode("ascii")

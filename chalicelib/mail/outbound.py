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

import base64
import re
import uuid
from dataclasses import dataclass
from email.header import Header
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
# Notifications about a ticket (services/notifications.py, through the outbox), which also name
# its topic in the recipient's language.
_NOTIFICATION_VARIABLES = _TICKET_VARIABLES | {"topic_name"}
NOTIFICATION_TEMPLATES: dict[str, frozenset[str]] = {
    "secure_notification": _NOTIFICATION_VARIABLES,
    "acknowledgement": _NOTIFICATION_VARIABLES,
    "support_alert": _NOTIFICATION_VARIABLES | {"requester_name"},
    "digest": _NOTIFICATION_VARIABLES | {"count"},
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
    "magic_link": _EVERY_MAIL | {"name", "link"},  # services/magic_links.py
    # Security notices (services/second_factor.py); `link`: the profile's Security section
    "second_factor_removed": _EVERY_MAIL | {"name", "link"},
    "recovery_code_used": _EVERY_MAIL | {"name", "link", "remaining"},
    "second_factor_reset": _EVERY_MAIL | {"name", "link"},  # by an admin
}
MAIL_TEMPLATES: dict[str, frozenset[str]] = {**NOTIFICATION_TEMPLATES, **OTHER_TEMPLATES}
# Mails about a ticket: each one's subject is the ticket's own, "[#<number>] <subject>", never
# reworded. Gmail threads by subject as well as References, and Outlook by Thread-Topic: one
# wording per kind of mail ("We received…", "New message…") split a ticket's mails apart.
THREADED_TEMPLATES = frozenset(name for name, allowed in MAIL_TEMPLATES.items()
                               if "ticket_number" in allowed)
# What a reworded body must still say, or the mail is of no use to the person it is for.
REQUIRED_IN_BODY: dict[str, frozenset[str]] = {
    "invite": frozenset({"link"}),
    "password_reset": frozenset({"link"}),
    "verify_email": frozenset({"link"}),
    "temporary_password": frozenset({"password"}),
    "magic_link": frozenset({"link"}),
}


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class Conversation:
    """Outlook's own threading headers for a ticket's mail: Thread-Topic names the conversation,
    Thread-Index places the mail in it."""

    topic: str
    index: str


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


# Windows FILETIME: 100-nanosecond intervals since 1601-01-01 UTC.
_FILETIME_EPOCH_OFFSET = 11_644_473_600


def _filetime(at: float) -> int:
    return int((at + _FILETIME_EPOCH_OFFSET) * 10_000_000)


def thread_index(ticket_id: str, started_at: float, now: float, first: bool) -> str:
    """Thread-Index as Outlook writes it ([MS-OXOMSG] 2.2.1.3, PidTagConversationIndex): a
    22-byte header (0x01, the 40 high bits of the thread's start as a FILETIME, and a GUID, here
    the ticket's) that every mail of the ticket shares, so Outlook keeps them in one
    conversation; each later mail adds one 5-byte response level with the time since the start."""
    try:
        guid = uuid.UUID(hex=ticket_id)
    except ValueError:
        guid = uuid.uuid5(uuid.NAMESPACE_URL, f"parley-ticket:{ticket_id}")
    start = _filetime(started_at) >> 24
    index = b"\x01" + start.to_bytes(5, "big") + guid.bytes
    if not first:
        elapsed = max(0, _filetime(now) - (start << 24))
        if (elapsed >> 32) & 0x00FE0000 == 0:  # under about 1.7 years: the finer unit
            level = (elapsed >> 18) & 0x7FFFFFFF
        else:
            level = (1 << 31) | ((elapsed >> 23) & 0x7FFFFFFF)
        index += level.to_bytes(4, "big") + b"\x00"
    return base64.b64encode(index).decode("ascii")


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
    conversation: Conversation | None = None,
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
        ("Thread-Topic", conversation.topic if conversation else None, None),
        ("Thread-Index", conversation.index if conversation else None, None),
        # RFC 3834: tells well-behaved auto-responders not to answer, which breaks mail loops.
        ("Auto-Submitted", "auto-generated", None),
        ("X-Auto-Response-Suppress", "All", None),
    ]
    msg = EmailMessage()
    for name, value, fallback in headers:
        if not value:
            continue
        if name in _TEXT_HEADERS and _needs_encoded_words(header_safe(value)):
            _set_encoded_text(msg, name, header_safe(value))
        else:
            _set_header(msg, name, value, fallback)
    msg.set_content(rendered.text, cte="quoted-printable")
    msg.add_alternative(rendered.html, subtype="html", cte="quoted-printable")
    return msg


# Free text, not addresses: written as RFC 2047 encoded words when it is not plain ASCII.
_TEXT_HEADERS = frozenset({"Subject", "Thread-Topic"})


def _needs_encoded_words(value: str) -> bool:
    """Plain ASCII folds cleanly at its spaces; anything else, or a word too long for a line,
    is left to the email package's folder only at its peril (see below). So is text that looks
    like an encoded word: the email package decodes "=?UTF-8?Q?=0A...?=" in a value it is given
    and writes the decoded line break out raw, a header (or a whole body) injected by whoever
    chose the ticket's subject. Encoded as a whole, it stays the literal text it was."""
    return (not value.isascii() or "=?" in value
            or any(len(word) > 60 for word in value.split()))


def _set_encoded_text(msg: EmailMessage, name: str, value: str) -> None:
    """The whole value as UTF-8 encoded words, folded between words. The email package's own
    folder mixes plain and encoded words and can fold right at a space: decoders drop the
    whitespace between two encoded words, so "Écran noir au démarrage" arrived as "Écran
    noirau démarrage", and a fold after a plain word left a doubled space. Inside one encoded
    word every space is kept; between two, nothing is lost or added."""
    folded = Header(value, "utf-8", header_name=name).encode(linesep="\n", maxlinelen=76)
    msg.set_raw(name, folded)


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

"""Render a mail template and build the MIME message SES sends.

Templates are plain text files, one per template and language: the first line is
`Subject: ...`, the rest is the body. The HTML part is the same text, escaped, in one shared
layout: what the customer reads is identical in both parts, and there is only one thing to
translate and to override.
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

if TYPE_CHECKING:
    from jinja2 import Environment

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
LANGUAGES = ("en", "fr", "pl")
_LINE_BREAKS = re.compile(r"[\r\n\x00]+")
_URL = re.compile(r"(https?://[^\s<>\"]+)")


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


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
    """No header value ever carries CR or LF from user data (header injection)."""
    return _LINE_BREAKS.sub(" ", value).strip()


def render(template: str, language: str, context: dict[str, Any]) -> Rendered:
    language = language if language in LANGUAGES else "en"
    env = _environment()
    source = env.get_template(f"{language}/{template}.txt").render(**context)
    first, _, body = source.partition("\n")
    if not first.startswith("Subject:"):
        raise ValueError(f"template {language}/{template} must start with 'Subject:'")
    subject = header_safe(first[len("Subject:") :])
    body = body.strip("\n") + "\n"
    html = env.get_template("layout.html").render(
        subject=subject, paragraphs=_paragraphs(body), portal_name=context.get("portal_name", "")
    )
    return Rendered(subject=subject, text=body, html=html)


def _paragraphs(text: str) -> list[list[tuple[str, bool]]]:
    """Split into paragraphs of (fragment, is_link) for the HTML layout to escape and link."""
    result = []
    for block in re.split(r"\n\s*\n", text.strip()):
        fragments = [(part, bool(_URL.fullmatch(part))) for part in _URL.split(block) if part]
        result.append(fragments)
    return result


def new_message_id(domain: str) -> str:
    return f"<{uuid.uuid4().hex}@{domain}>"


def build_message(
    *,
    sender: str,
    sender_name: str,
    to: str,
    rendered: Rendered,
    message_id: str,
    reply_to: str | None = None,
    in_reply_to: str | None = None,
    references: list[str] | None = None,
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = formataddr((header_safe(sender_name), sender))
    msg["To"] = header_safe(to)
    msg["Subject"] = rendered.subject
    msg["Date"] = format_datetime(clock.utcnow())
    msg["Message-ID"] = message_id
    if reply_to:
        msg["Reply-To"] = header_safe(reply_to)
    if in_reply_to:
        msg["In-Reply-To"] = header_safe(in_reply_to)
    if references:
        msg["References"] = " ".join(header_safe(r) for r in references)
    # RFC 3834: tells well-behaved auto-responders not to answer, which breaks mail loops.
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Auto-Response-Suppress"] = "All"
    msg.set_content(rendered.text, cte="quoted-printable")
    msg.add_alternative(rendered.html, subtype="html", cte="quoted-printable")
    return msg

"""The one sending path: every mail the portal sends (invites, resets, notifications) is
rendered here, built as MIME with our own headers, and handed to SES as raw email.

Whatever the mail, this is also where the rules every mail obeys are kept: nothing goes to an
address on the suppression list, a mail about a ticket joins that ticket's thread (Message-ID,
In-Reply-To, References) and carries a signed Reply-To, and SES throttling is retried here
before the caller hears of it.
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from typing import Any

from chalicelib import clock
from chalicelib.adapters import ses
from chalicelib.config import get_settings
from chalicelib.data import mail_threads
from chalicelib.data.suppressions import suppressed_among
from chalicelib.data.users import UserModel
from chalicelib.mail import outbound, tokens
from chalicelib.observability import count, get_logger
from chalicelib.services import mail_templates
from chalicelib.services.settings import PortalSettings, get_portal_settings

SEND_ATTEMPTS = 4
BACKOFF_SECONDS = 0.2
_sleep = time.sleep  # tests replace it


class MailThrottled(Exception):
    """SES kept throttling after every retry: the caller leaves the mail for a later attempt."""


def link(path: str) -> str:
    return f"{get_settings().public_url}{path}"


def normalize_address(address: str) -> str:
    return tokens.normalize(address)


def send_to_user(user: UserModel, template: str, context: dict[str, Any]) -> str | None:
    return send(
        to=user.email,
        language=user.language,
        template=template,
        context={"name": user.name, **context},
    )


def send(
    *,
    to: str,
    language: str,
    template: str,
    context: dict[str, Any],
    reply_to: str | None = None,
    in_reply_to: str | None = None,
    references: list[str] | None = None,
    ticket_id: str | None = None,
    extra_to: Sequence[str] = (),
    cc: Sequence[str] = (),
    bcc: Sequence[str] = (),
) -> str | None:
    """Render and send one mail; returns the Message-ID we gave it, or None when `to` is on the
    suppression list (then nothing is sent: extra recipients only ride along with the mail of
    the person it is for). Suppressed extra recipients are dropped silently.

    With `ticket_id` the mail joins the ticket's thread and its Reply-To carries a reply token
    signed for (ticket, `to`)."""
    settings = get_settings()
    portal = get_portal_settings()
    to = normalize_address(to)
    everyone = [to, *(normalize_address(a) for a in (*extra_to, *cc, *bcc))]
    suppressed = suppressed_among(everyone)
    if to in suppressed:
        count("MailSuppressed")
        get_logger().info("mail not sent: suppressed recipient", extra={"template": template})
        return None
    keep = _unique_except(suppressed | {to})
    extra_to, cc, bcc = keep(extra_to), keep(cc), keep(bcc)
    language = language if language in outbound.LANGUAGES else portal.default_language
    full_context = {"portal_name": portal.portal_name, "login_link": link("/login"), **context}
    override = _override(portal, template, language)
    # An override that fails gives way to the built-in text there: the mail always goes out.
    rendered = mail_templates.render_mail(template, language, full_context, override)
    message_id = outbound.new_message_id(settings.mail_domain)
    conversation: outbound.Conversation | None = None
    if ticket_id:
        now = clock.now()
        position = mail_threads.append_message_id(ticket_id, message_id, to, now)
        in_reply_to, references = position.in_reply_to, position.references
        reply_to = tokens.reply_address(ticket_id, to)
        conversation = outbound.Conversation(
            topic=rendered.subject,
            index=outbound.thread_index(ticket_id, position.started_at, now, position.first),
        )
    message = outbound.build_message(
        sender=settings.mail_from,
        sender_name=portal.portal_name,
        to=[to, *extra_to],
        cc=list(cc),
        rendered=rendered,
        message_id=message_id,
        reply_to=reply_to,
        in_reply_to=in_reply_to,
        references=references,
        conversation=conversation,
    )
    _send_raw(settings.mail_from, [to, *extra_to, *cc, *bcc], message.as_bytes())
    count("MailSent", template=template)
    return message_id


def _send_raw(sender: str, recipients: list[str], raw: bytes) -> None:
    """Exponential backoff with jitter on throttling, within the invocation; after that the
    caller decides (the notification handler leaves the record for redelivery)."""
    for attempt in range(SEND_ATTEMPTS):
        try:
            ses.send_raw(sender, recipients, raw)
            return
        except ses.Throttled:
            count("MailThrottled")
            if attempt == SEND_ATTEMPTS - 1:
                break
            _sleep(BACKOFF_SECONDS * 2**attempt * random.uniform(0.5, 1.5))  # noqa: S311
    raise MailThrottled("SES throttled every attempt")


def _override(portal: PortalSettings, template: str, language: str) -> outbound.Override | None:
    chosen = portal.notification_templates.get(template, {}).get(language)  # type: ignore[call-overload]
    if chosen is None:
        return None
    return outbound.Override(subject=chosen.subject, body=chosen.body)


def _unique_except(excluded: set[str]) -> Any:
    seen = set(excluded)

    def keep(addresses: Sequence[str]) -> list[str]:
        kept = []
        for address in (normalize_address(a) for a in addresses):
            if address and address not in seen:
                seen.add(address)
                kept.append(address)
        return kept

    return keep

"""The one sending path: every mail the portal sends (invites, resets, and later notifications)
is rendered here, built as MIME with our own headers, and handed to SES as raw email."""

from __future__ import annotations

from typing import Any

from chalicelib.adapters import ses
from chalicelib.config import get_settings
from chalicelib.data.users import UserModel
from chalicelib.mail import outbound
from chalicelib.observability import count
from chalicelib.services.settings import get_portal_settings


def link(path: str) -> str:
    return f"{get_settings().public_url}{path}"


def send_to_user(user: UserModel, template: str, context: dict[str, Any]) -> str:
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
) -> str:
    """Render and send one mail; returns the Message-ID we gave it."""
    settings = get_settings()
    portal = get_portal_settings()
    full_context = {"portal_name": portal.portal_name, "login_link": link("/login"), **context}
    rendered = outbound.render(template, language, full_context)
    message_id = outbound.new_message_id(settings.mail_domain)
    message = outbound.build_message(
        sender=settings.mail_from,
        sender_name=portal.portal_name,
        to=to,
        rendered=rendered,
        message_id=message_id,
        reply_to=reply_to,
        in_reply_to=in_reply_to,
        references=references,
    )
    ses.send_raw(settings.mail_from, [to], message.as_bytes())
    count(f"MailSent_{template}")
    return message_id

"""Value types that both a route's request model and a service's rules are made of.

Pydantic only, and nothing built at import (`defer_build`): a route declares its body with them
without loading the service that applies them (imported in the view: a cold start loads only
what the route it answers needs)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

MAX_ADDRESS = 254  # RFC 5321: a longer one names no mailbox
MAX_MESSAGE_LENGTH = 10_000  # characters in one message of a ticket (tickets/drafts.py)

# One address, nothing that could close or extend a header (no CR/LF, commas, brackets).
EmailAddress = Annotated[
    str,
    Field(max_length=MAX_ADDRESS, pattern=r"^[^@\s<>,;:\"()\[\]\\]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$"),
]
# Every mail the portal sends (mail/outbound.py MAIL_TEMPLATES names each one's variables).
MailTemplate = Literal[
    "secure_notification", "acknowledgement", "support_alert", "digest",
    "invite", "password_reset", "verify_email", "already_registered", "temporary_password",
    "inbound_blocked", "inbound_unknown_sender", "magic_link",
    "second_factor_removed", "recovery_code_used", "second_factor_reset",
]
Language = Literal["en", "fr", "pl"]


class TemplateOverride(BaseModel):
    """The admin's wording of one mail in one language (Jinja2, sandboxed); a part left empty
    keeps the built-in text."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    subject: str | None = Field(None, max_length=300, pattern=r"^[^\r\n]*$")
    body: str | None = Field(None, max_length=10_000)

"""What a change to a ticket writes: the kinds of message, the `Draft` a rule function hands to
the commit engine (commit.py), the checks a message's text passes and the status moves."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from chalicelib import clock
from chalicelib.data import users as user_store
from chalicelib.data.tickets import TicketModel
from chalicelib.errors import InvalidInput, NotFound
from chalicelib.services.fields import MAX_MESSAGE_LENGTH
from chalicelib.services.principal import Principal

MAX_BODY = MAX_MESSAGE_LENGTH  # declared in fields.py, where the routes' request models read it
TITLE_LENGTH = 80
SYSTEM = "system"  # the author role of what nobody wrote

# Message kinds
CUSTOMER_MESSAGE = "customer_message"
AGENT_REPLY = "agent_reply"
INTERNAL_NOTE = "internal_note"
RESOLVE_NOTE = "resolve_note"
SYSTEM_EVENT = "system_event"


@dataclass
class Draft:
    """What a rule function wants stored with the ticket change."""

    kind: str
    visibility: str
    body: str
    author: Principal | None
    author_name: str = ""
    details: dict[str, Any] | None = None
    channel: str = "portal"
    attachment_ids: tuple[str, ...] = ()  # checked files that go with the message


def check_body(body: str) -> str:
    if not isinstance(body, str) or not body.strip():
        raise InvalidInput("The message is empty.", code="empty_message")
    if len(body) > MAX_BODY:
        raise InvalidInput(
            f"The message is longer than {MAX_BODY} characters.", code="message_too_long"
        )
    return body.strip("\n")


def default_title(body: str) -> str:
    """The start of the first message, cut at a word boundary."""
    flat = re.sub(r"\s+", " ", body).strip()
    if len(flat) <= TITLE_LENGTH:
        return flat
    cut = flat[:TITLE_LENGTH].rsplit(" ", 1)[0] or flat[:TITLE_LENGTH]
    return cut + "…"


def set_status(ticket: TicketModel, status: str) -> None:
    now = clock.now()
    ticket.status = status
    if status == "resolved":
        ticket.resolved_at = now
    elif status == "closed":
        ticket.closed_at = now
    else:
        ticket.resolved_at = ticket.closed_at = None


def load_user(user_id: str) -> user_store.UserModel:
    """The account behind a principal or a requester (its name goes on the message)."""
    user = user_store.get_user(user_id)
    if user is None:
        raise NotFound("No such user.")
    return user

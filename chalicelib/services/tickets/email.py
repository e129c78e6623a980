"""What mail does to tickets. services/inbound decides what a received mail is; these write it,
through `commit` like every other change. `inbound_id` (SES's message id) rides in the
message's details, so a delivery retried after a crash (`resume`) can tell that it already
wrote."""

from __future__ import annotations

import re
from typing import Any

from chalicelib.data import messages as message_store
from chalicelib.data import users as user_store
from chalicelib.data.messages import INTERNAL, PUBLIC, MessageModel
from chalicelib.data.tickets import CLOSED_STATUSES, TicketModel
from chalicelib.errors import Conflict
from chalicelib.observability import count
from chalicelib.services.principal import CUSTOMER, Principal
from chalicelib.services.settings import get_portal_settings
from chalicelib.services.tickets import access
from chalicelib.services.tickets.commit import commit
from chalicelib.services.tickets.create import open_ticket
from chalicelib.services.tickets.drafts import (
    CUSTOMER_MESSAGE,
    INTERNAL_NOTE,
    MAX_BODY,
    SYSTEM_EVENT,
    Draft,
    default_title,
    set_status,
)

EMAIL_CHANNEL = "email"
_RESUME_LOOKBACK = 20  # messages a retried delivery looks back through for its own


def email_title(subject: str | None) -> str | None:
    """The agents' title of a ticket opened by mail: its subject, cut as titles are."""
    flat = re.sub(r"\s+", " ", subject or "").strip()
    return default_title(flat) if flat else None


def open_email_ticket(
    *,
    ticket_id: str,
    requester: user_store.UserModel,
    topic: str,
    subject: str,
    body: str,
    details: dict[str, Any],
) -> TicketModel | None:
    """A ticket from a mail. `ticket_id` is derived from the delivery, so a repeated delivery
    finds it taken and gets None instead of a second ticket."""
    settings = get_portal_settings()
    topic_id = topic if settings.topic(topic) else settings.topics[0].id
    try:
        ticket = open_ticket(
            settings,
            requester=requester,
            creator=principal_of(requester),
            topic=topic_id,
            subject=subject or "(no subject)",
            body=email_body(body),
            channel=EMAIL_CHANNEL,
            kind=CUSTOMER_MESSAGE,
            # The sender named it: the subject, not the mail's greeting ("Hi support, Since
            # Monday…"); a mail without one is named by its start, as a portal ticket is.
            title=email_title(subject),
            ticket_id=ticket_id,
            details=details,
        )
    except Conflict as exc:
        if exc.code == "ticket_changed":
            return None  # created by an earlier attempt of this delivery
        raise
    count("TicketCreated")
    return ticket


def email_message(
    ticket_id: str,
    author: user_store.UserModel,
    body: str,
    details: dict[str, Any],
    *,
    resume: bool,
) -> tuple[str, MessageModel | None]:
    """A mail that threads to a ticket, written as its sender would have posted it:
    ("reply", message) from a customer, reopening a resolved or closed ticket like a portal
    reply; ("note", message) from staff (a mail is never published to the customer by itself);
    ("blocked", event) when messaging is blocked: the mail is kept as an internal event;
    ("window_passed", None) when the ticket was closed too long ago to reopen;
    ("duplicate", message) when a retried delivery finds its message already there: what
    was written then (its visibility above all) is what the retry goes on with."""
    settings = get_portal_settings()
    text = email_body(body)
    principal = principal_of(author)
    inbound_id = str(details.get("inbound_id", ""))
    outcome: dict[str, str] = {}

    found: dict[str, MessageModel] = {}

    def rule(ticket: TicketModel) -> Draft | None:
        earlier = _inbound_message(ticket, inbound_id) if resume else None
        if earlier is not None:
            outcome["kind"] = "duplicate"
            found["message"] = earlier
            return None
        if author.role != CUSTOMER:
            outcome["kind"] = "note"
            return Draft(INTERNAL_NOTE, INTERNAL, text, principal, author.name,
                         details=details, channel=EMAIL_CHANNEL)
        if access.blocked_refusal(ticket):
            outcome["kind"] = "blocked"
            return Draft(SYSTEM_EVENT, INTERNAL,
                         f"Mail received while messaging is blocked:\n\n{text}",
                         None, author.name, details={**details, "event": "mail_while_blocked"},
                         channel=EMAIL_CHANNEL)
        refusal = access.reply_refusal(ticket, settings)
        if refusal:
            raise refusal.error()
        if ticket.status in CLOSED_STATUSES or ticket.status == "pending":
            set_status(ticket, "open")
        outcome["kind"] = "reply"
        return Draft(CUSTOMER_MESSAGE, PUBLIC, text, principal, author.name, details=details,
                     channel=EMAIL_CHANNEL)

    try:
        message = commit(lambda: access.existing_ticket(ticket_id), rule, settings,
                         touch=author.role == CUSTOMER)
    except Conflict as exc:
        if exc.code == "reopen_window_passed":
            return "window_passed", None
        raise
    if outcome.get("kind") == "reply":
        count("CustomerReplyByEmail")
    return outcome.get("kind", "duplicate"), message or found.get("message")


def record_email_event(
    ticket_id: str, text: str, details: dict[str, Any], *, resume: bool
) -> MessageModel | None:
    """An internal system event about a mail (an auto-reply, a bounce, dropped attachments):
    the team sees it in the thread; nobody is notified by mail."""
    inbound_id = str(details.get("inbound_id", ""))
    event = str(details.get("event", ""))

    def rule(ticket: TicketModel) -> Draft | None:
        if resume and _inbound_message(ticket, inbound_id, event) is not None:
            return None
        return Draft(SYSTEM_EVENT, INTERNAL, text, None, "", details=details,
                     channel=EMAIL_CHANNEL)

    return commit(lambda: access.existing_ticket(ticket_id), rule, get_portal_settings(),
                  touch=False)


def principal_of(user: user_store.UserModel) -> Principal:
    """The sender of a mail, acting as the account it belongs to (no session: mail has none)."""
    return Principal(
        user_id=user.user_id, role=user.role, org_id=user.org_id, org_view=bool(user.org_view),
        session_hash="", must_change_password=False, email=user.email,
    )


def email_body(text: str) -> str:
    """Mail has no length limit and may have no text: the message gets what fits, the full
    text stays in its details (and the raw mail in the inbound bucket)."""
    text = (text or "").strip("\n").strip()
    if not text:
        return "(The email had no text.)"
    if len(text) > MAX_BODY:
        return text[: MAX_BODY - 80].rstrip() + "\n\n[…] The full text is kept with this message."
    return text


def _inbound_message(
    ticket: TicketModel, inbound_id: str, event: str | None = None
) -> MessageModel | None:
    """The one of the ticket's latest messages that came from this delivery (and event)."""
    last = {PUBLIC: ticket.last_public_seq, INTERNAL: ticket.last_seq}  # each partition's key
    for visibility in (PUBLIC, INTERNAL):
        page = message_store.list_thread(
            ticket.ticket_id, visibility,
            after_seq=max(int(last[visibility] or 0) - _RESUME_LOOKBACK, 0),
            limit=_RESUME_LOOKBACK, cursor=None,
        )
        for message in page.items:
            details = message.details if isinstance(message.details, dict) else {}
            if details.get("inbound_id") == inbound_id and (
                event is None or details.get("event", "") == event
            ):
                return message
    return None

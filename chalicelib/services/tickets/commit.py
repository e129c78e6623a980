"""The one write path of tickets.

Every change to a ticket goes through `commit`: read the ticket, let a rule function check and
change it, then store the ticket, one message (the reply, the note, or a system event that
records the change) and the folder entries in one transaction conditioned on the ticket's
version. A concurrent writer makes the transaction fail; the rule runs again on the fresh
ticket, so nothing is lost and no rule is checked against a stale state.
"""

from __future__ import annotations

import random
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

from chalicelib import clock
from chalicelib.data import messages as message_store
from chalicelib.data.mailbox import INBOX, SENT, MailboxModel, new_entry
from chalicelib.data.messages import PUBLIC, MessageModel, thread_key
from chalicelib.data.tickets import TicketModel
from chalicelib.errors import Conflict
from chalicelib.services.principal import CUSTOMER
from chalicelib.services.settings import PortalSettings
from chalicelib.services.tickets.access import customer_audience
from chalicelib.services.tickets.drafts import AGENT_REPLY, SYSTEM, Draft

COMMIT_ATTEMPTS = 40
# The pause between two attempts; tests replace it (module attribute, read at each retry).
pause: Callable[[float], None] = time.sleep


def commit(
    load: Callable[[], TicketModel],
    rule: Callable[[TicketModel], Draft | None],
    settings: PortalSettings,
    *,
    touch: bool = True,
    store: Callable[[TicketModel, Draft, PortalSettings], MessageModel] | None = None,
) -> MessageModel | None:
    """None when the rule found nothing to change (a repeated click, a no-op edit). `store`
    replaces `store_draft` for a change that writes more in the same transaction (a merge:
    tickets/merge.py), and fails the same way (`ticket_changed`) to be tried again."""
    for attempt in range(COMMIT_ATTEMPTS):
        ticket = load()
        if ticket.merged_into:
            # A merged ticket is frozen (tickets/merge.py moves what it holds to its survivor):
            # a reply, an answer or a change goes to the survivor.
            raise Conflict("This conversation was merged into another one.",
                           code="ticket_merged", details={"ticket_id": ticket.merged_into})
        before = ticket.status
        draft = rule(ticket)
        if draft is None:
            return None
        if ticket.status != before:
            # Who hears of a status change (services/notifications.py) reads it off the message.
            draft.details = {**(draft.details or {}),
                             "status_change": {"from": before, "to": ticket.status}}
        if touch or draft.visibility == PUBLIC:
            ticket.last_activity_at = clock.now()
        if draft.visibility == PUBLIC:
            ticket.public_activity_at = clock.now()  # what customers see: never a note
        try:
            return (store or store_draft)(ticket, draft, settings)
        except Conflict as exc:
            if exc.code != "ticket_changed":
                raise
            pause(random.uniform(0.002, 0.02) * min(attempt + 1, 5))  # noqa: S311 - jitter
    raise Conflict("The ticket is busy; try again.", code="ticket_busy")


def store_draft(ticket: TicketModel, draft: Draft, settings: PortalSettings) -> MessageModel:
    """The ticket and its next message, in one transaction conditioned on the ticket's version
    (a new ticket: its first message)."""
    message = next_message(ticket, draft)
    message_store.store_message(ticket, message, _folder_entries(ticket, message, settings))
    return message


def next_message(ticket: TicketModel, draft: Draft) -> MessageModel:
    """The draft as the ticket's next message; counts it on the ticket (neither written)."""
    # Every message takes the next position; a public one also the next public number, its key
    # and what customers see (data/messages.py).
    position = int(ticket.last_seq or 0) + 1
    public_before = int(ticket.last_public_seq or 0)
    ticket.last_seq = position
    ticket.message_count = int(ticket.message_count or 0) + 1
    seq = position
    if draft.visibility == PUBLIC:
        seq = public_before + 1
        ticket.public_count = int(ticket.public_count or 0) + 1
        ticket.last_public_seq = seq
    now = clock.now()
    author = draft.author
    message = MessageModel(
        thread=thread_key(ticket.ticket_id, draft.visibility),
        seq=seq,
        position=position,
        public_before=public_before,
        message_id=uuid.uuid4().hex,
        ticket_id=ticket.ticket_id,
        visibility=draft.visibility,
        kind=draft.kind,
        author_id=author.user_id if author else None,
        author_role=author.role if author else SYSTEM,
        author_name=draft.author_name,
        body=draft.body,
        channel=draft.channel,
        created_at=now,
        details=draft.details,
        attachment_ids=list(draft.attachment_ids) or None,
    )
    return message


def _folder_entries(
    ticket: TicketModel, message: MessageModel, settings: PortalSettings
) -> list[MailboxModel]:
    """Public messages land in the customers' folders: the Inbox of the requester and of each
    follower with an account for the team's answers, the author's Sent for their own. Not for a
    ticket the portal hides: its preview would show what the list and the detail refuse to. An
    Inbox entry keeps the agent's own name: services/mailbox.py shows it as the author display
    says when the folder is read."""
    if message.visibility != PUBLIC:
        return []
    if settings.hides(ticket.topic, ticket.channel):
        return []
    common: dict[str, Any] = {
        "ticket_id": ticket.ticket_id,
        "ticket_number": int(ticket.number),
        "seq": int(message.seq),
        "title": ticket.subject,
        "preview": re.sub(r"\s+", " ", message.body)[:140],
        "at": float(message.created_at),
        "topic": ticket.topic,
        "channel": ticket.channel,
    }
    if message.author_role == CUSTOMER and message.author_id:
        return [new_entry(message.author_id, folder=SENT, read=True,
                          author_name=message.author_name, **common)]
    if message.kind == AGENT_REPLY:
        return [new_entry(reader, folder=INBOX, read=False,
                          author_name=message.author_name, **common)
                for reader in customer_audience(ticket, settings)]
    return []

"""The mail thread of a ticket: every Message-ID we sent about it, in order.

Two kinds of item in one table:
- `ticket#<ticket id>`: the head of the chain (the last Message-ID and its References), so each
  new mail answers the previous one and mail clients keep the ticket in one thread;
- `mid#<Message-ID>`: which ticket a Message-ID belongs to, so a reply that quotes it in
  In-Reply-To / References threads back to its ticket (the inbound side looks it up).

Both are written in one transaction conditioned on the head's version: two mails about the same
ticket sent at the same moment still form one chain, never a fork.
"""

from __future__ import annotations

from dataclasses import dataclass

from pynamodb.attributes import (
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
    VersionAttribute,
)
from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.data.base import REGION, condition_failed, connection, table_name
from chalicelib.errors import Conflict

MAX_REFERENCES = 20  # the root and the latest ones: enough for every client to thread
_ATTEMPTS = 20


class MailThreadModel(Model):
    class Meta:
        table_name = table_name("mail-threads")
        region = REGION
        billing_mode = "PAY_PER_REQUEST"

    key = UnicodeAttribute(hash_key=True)
    ticket_id = UnicodeAttribute()
    created_at = NumberAttribute()
    # On the head item
    last_message_id = UnicodeAttribute(null=True)
    references = ListAttribute(of=UnicodeAttribute, null=True)  # those of the last mail
    mail_count = NumberAttribute(default=0)
    # On a Message-ID item
    recipient = UnicodeAttribute(null=True)
    version = VersionAttribute()


def _head_key(ticket_id: str) -> str:
    return f"ticket#{ticket_id}"


def _message_key(message_id: str) -> str:
    return f"mid#{message_id}"


@dataclass(frozen=True)
class ThreadPosition:
    """Where a new mail sits in its ticket's chain."""

    in_reply_to: str | None
    references: list[str]
    started_at: float  # when the ticket's first mail was sent
    first: bool  # this is that first mail


def append_message_id(
    ticket_id: str, message_id: str, recipient: str, now: float
) -> ThreadPosition:
    """Add `message_id` to the ticket's chain; returns the mail's place in it."""
    for _ in range(_ATTEMPTS):
        try:
            head = MailThreadModel.get(_head_key(ticket_id), consistent_read=True)
        except DoesNotExist:
            head = MailThreadModel(_head_key(ticket_id), ticket_id=ticket_id, created_at=now)
        previous = head.last_message_id
        references = [str(r) for r in head.references or []] + ([previous] if previous else [])
        if len(references) > MAX_REFERENCES:
            references = references[:1] + references[-(MAX_REFERENCES - 1) :]
        head.last_message_id = message_id
        head.references = list(references)  # type: ignore[arg-type]  # stored as strings
        head.mail_count = int(head.mail_count or 0) + 1
        entry = MailThreadModel(
            _message_key(message_id), ticket_id=ticket_id, recipient=recipient, created_at=now
        )
        try:
            with TransactWrite(connection=connection()) as tx:
                tx.save(head)
                tx.save(entry, condition=MailThreadModel.key.does_not_exist())
        except TransactWriteError as exc:
            if condition_failed(exc):
                continue  # another mail about this ticket went first: chain after it
            raise
        return ThreadPosition(previous, references, float(head.created_at), previous is None)
    raise Conflict("The mail thread is busy.", code="mail_thread_busy")


def ticket_of_message_id(message_id: str) -> str | None:
    """The ticket a Message-ID we sent belongs to (for threading replies)."""
    try:
        return str(MailThreadModel.get(_message_key(message_id)).ticket_id)
    except DoesNotExist:
        return None


def sent_message(message_id: str) -> tuple[str, str] | None:
    """(ticket id, recipient) of a Message-ID we sent; None for any other, including those of
    mail we received (they have no recipient): what a delivery report must name to be believed."""
    try:
        entry = MailThreadModel.get(_message_key(message_id))
    except DoesNotExist:
        return None
    if not entry.recipient:
        return None
    return str(entry.ticket_id), str(entry.recipient)


def remember_message_id(message_id: str, ticket_id: str, now: float) -> None:
    """A Message-ID of a mail we *received* about a ticket, so the sender's next mail, which
    names it in References, threads there too. Only the `mid#` item: the chain of what we send
    is left alone. A Message-ID already known keeps its ticket (first writer wins)."""
    try:
        MailThreadModel(
            _message_key(message_id), ticket_id=ticket_id, created_at=now
        ).save(condition=MailThreadModel.key.does_not_exist())
    except PutError as exc:
        if not condition_failed(exc):
            raise

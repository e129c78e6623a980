"""Messages of a ticket.

Public and internal messages live in different partitions (`<ticket>#public`,
`<ticket>#internal`): a customer's read only ever names the public one, so no filter stands
between an internal note and a customer. Each message has a `position` in the whole
conversation (1, 2, 3… over both partitions); agents read both partitions and merge by it.

The public partition is keyed by its own count (1, 2, 3…, what customers see as `seq`), so the
numbers a customer sees have no gap where a note was written. The internal partition is keyed by
position, and each internal message records how many public ones came before it
(`public_before`): from the first note after a position, the console's polling knows where the
public partition continues, in one query per partition.
"""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import JSONAttribute, ListAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from chalicelib.data.attachments import attach_in
from chalicelib.data.base import (
    REGION,
    Page,
    decode_cursor,
    encode_cursor,
    query_page,
    table_name,
)
from chalicelib.data.mailbox import MailboxModel, add_entry_in
from chalicelib.data.tickets import TicketModel, ticket_transaction

PUBLIC = "public"
INTERNAL = "internal"


def thread_key(ticket_id: str, visibility: str) -> str:
    return f"{ticket_id}#{visibility}"


class MessageModel(Model):
    class Meta:
        table_name = table_name("messages")
        region = REGION
        billing_mode = "PAY_PER_REQUEST"
        stream_view_type = "NEW_IMAGE"  # notifications and live updates read new messages

    thread = UnicodeAttribute(hash_key=True)
    seq = NumberAttribute(range_key=True)  # public: the public count; internal: the position
    position = NumberAttribute(null=True)  # absent on messages written before it: `seq`
    public_before = NumberAttribute(null=True)  # internal: public messages written before it
    message_id = UnicodeAttribute()
    ticket_id = UnicodeAttribute()
    visibility = UnicodeAttribute()  # public | internal
    # customer_message | agent_reply | internal_note | resolve_note | system_event
    kind = UnicodeAttribute()
    author_id = UnicodeAttribute(null=True)
    author_role = UnicodeAttribute()  # customer | agent | admin | system
    author_name = UnicodeAttribute(default="")
    body = UnicodeAttribute()
    channel = UnicodeAttribute(default="portal")
    created_at = NumberAttribute()
    details = JSONAttribute(null=True)
    attachment_ids = ListAttribute(of=UnicodeAttribute, null=True)  # data/attachments.py


def position_of(message: MessageModel) -> int:
    return int(message.position if message.position is not None else message.seq)


def list_thread(
    ticket_id: str, visibility: str, *, after_seq: int, limit: int, cursor: str | None
) -> Page[MessageModel]:
    """Oldest first, after a sequence number (0 for the whole thread). Consistent: a poll that
    follows a write sees it (and the console's polling counts on it, see the module's text)."""
    return query_page(
        MessageModel,
        MessageModel,
        thread_key(ticket_id, visibility),
        scope=f"thread:{ticket_id}:{visibility}:{after_seq}",
        limit=limit,
        cursor=cursor,
        newest_first=False,
        range_key_condition=MessageModel.seq > after_seq,
        consistent=True,
    )


def latest_in_thread(
    ticket_id: str, visibility: str, *, before_seq: int | None, limit: int
) -> list[MessageModel]:
    """Newest first: the last `limit` messages, or the last ones before a sequence number."""
    return query_page(
        MessageModel,
        MessageModel,
        thread_key(ticket_id, visibility),
        scope=f"latest:{ticket_id}:{visibility}",
        limit=limit,
        cursor=None,
        newest_first=True,
        range_key_condition=None if before_seq is None else MessageModel.seq < before_seq,
        consistent=True,
    ).items


def encode_earlier(ticket_id: str, reader: str, bounds: dict[str, int]) -> str | None:
    """A cursor to the messages before `bounds` (the oldest sequence number shown per
    partition), signed and bound to this ticket and this reader's side."""
    return encode_cursor(dict(bounds), f"earlier:{ticket_id}:{reader}")


def decode_earlier(ticket_id: str, reader: str, cursor: str) -> dict[str, int]:
    bounds: dict[str, Any] = decode_cursor(cursor, f"earlier:{ticket_id}:{reader}") or {}
    return {name: int(value) for name, value in bounds.items()}


def store_message(
    ticket: TicketModel, message: MessageModel, entries: list[MailboxModel]
) -> None:
    """The ticket change, the message, the folder entries and the files it carries: all or
    nothing. The ticket's version is the condition, so two writers never both commit on the
    same state (nor attach one file to two messages)."""
    ticket.refresh_keys()
    with ticket_transaction() as tx:
        tx.save(ticket)
        tx.save(message, condition=MessageModel.seq.does_not_exist())
        for entry in entries:
            add_entry_in(tx, entry)
        for attachment_id in message.attachment_ids or []:
            attach_in(tx, ticket.ticket_id, str(attachment_id), message_id=message.message_id,
                      seq=int(message.seq), visibility=message.visibility)

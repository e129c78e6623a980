"""Messages of a ticket.

Public and internal messages live in different partitions (`<ticket>#public`,
`<ticket>#internal`) of the same sequence: a customer's read only ever names the public one, so
no filter stands between an internal note and a customer. Agents read both and merge by `seq`.
"""

from __future__ import annotations

from pynamodb.attributes import JSONAttribute, ListAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.data.attachments import attach_in
from chalicelib.data.base import REGION, Page, connection, query_page, table_name, translate
from chalicelib.data.mailbox import MailboxModel, add_entry_in
from chalicelib.data.tickets import TicketModel
from chalicelib.errors import Conflict

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
    seq = NumberAttribute(range_key=True)
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


def list_thread(
    ticket_id: str, visibility: str, *, after_seq: int, limit: int, cursor: str | None
) -> Page[MessageModel]:
    """Oldest first, after a sequence number (0 for the whole thread)."""
    return query_page(
        MessageModel,
        MessageModel,
        thread_key(ticket_id, visibility),
        scope=f"thread:{ticket_id}:{visibility}:{after_seq}",
        limit=limit,
        cursor=cursor,
        newest_first=False,
        range_key_condition=MessageModel.seq > after_seq,
    )


def store_message(
    ticket: TicketModel, message: MessageModel, entries: list[MailboxModel]
) -> None:
    """The ticket change, the message, the folder entries and the files it carries: all or
    nothing. The ticket's version is the condition, so two writers never both commit on the
    same state (nor attach one file to two messages)."""
    ticket.refresh_keys()
    with (
        translate(Conflict("The ticket changed meanwhile.", code="ticket_changed")),
        TransactWrite(connection=connection()) as tx,
    ):
            tx.save(ticket)
            tx.save(message, condition=MessageModel.seq.does_not_exist())
            for entry in entries:
                add_entry_in(tx, entry)
            for attachment_id in message.attachment_ids or []:
                attach_in(tx, ticket.ticket_id, attachment_id, message_id=message.message_id,
                          seq=int(message.seq), visibility=message.visibility)

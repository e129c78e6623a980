"""Attachments (documents) of a ticket.

Keyed by ticket, so every read names the ticket the caller was already allowed to see: an
attachment id from another ticket simply misses. The number of files a ticket holds (pending or
verified) is an atomic counter in the counters table, reserved in the same transaction that
records a pending upload and released in the one that discards it, so two uploads at once never
overshoot the limit.

Pending uploads carry `pending` / `pending_since`, the keys of a sparse index: the hourly cleanup
finds the stale ones with one key-condition query, and a verified file leaves the index.
"""

from __future__ import annotations

from collections.abc import Sequence

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.data.base import REGION, connection, query_page, table_name, translate
from chalicelib.data.counters import CounterModel
from chalicelib.errors import Conflict

PENDING = "pending"
READY = "ready"
# The one partition of the pending index: uploads waiting for their confirm are few and short-lived.
EVERY_PENDING = "pending"


class PendingIndex(GlobalSecondaryIndex["AttachmentModel"]):
    """Sparse: only pending uploads have the `pending` attribute."""

    class Meta:
        index_name = "pending-index"
        projection = AllProjection()

    pending = UnicodeAttribute(hash_key=True)
    pending_since = NumberAttribute(range_key=True)


class AttachmentModel(Model):
    class Meta:
        table_name = table_name("attachments")
        region = REGION
        billing_mode = "PAY_PER_REQUEST"

    ticket_id = UnicodeAttribute(hash_key=True)
    attachment_id = UnicodeAttribute(range_key=True)
    status = UnicodeAttribute()  # pending | ready
    visibility = UnicodeAttribute()  # public | internal (as messages)
    filename = UnicodeAttribute()  # cleaned, for display; never part of a storage key
    content_type = UnicodeAttribute()
    size = NumberAttribute()  # declared while pending, verified once ready
    # Where the presigned POST may write (none for files the server stored itself), and where
    # the verified bytes live: a key per verified content that only the server ever writes, so
    # a second use of the upload form cannot change a file once it has been checked.
    upload_key = UnicodeAttribute(null=True)
    storage_key = UnicodeAttribute(null=True)
    sha256 = UnicodeAttribute(null=True)
    uploaded_by = UnicodeAttribute(null=True)  # a user id; none for the system (inbound mail)
    uploader_role = UnicodeAttribute()
    uploader_name = UnicodeAttribute(default="")
    created_at = NumberAttribute()
    confirmed_at = NumberAttribute(null=True)
    message_id = UnicodeAttribute(null=True)  # the message it was attached to, once
    message_seq = NumberAttribute(null=True)
    pending = UnicodeAttribute(null=True)
    pending_since = NumberAttribute(null=True)

    pending_index = PendingIndex()


def _slots(ticket_id: str) -> CounterModel:
    return CounterModel(name=f"attachments:{ticket_id}")


def create_pending(attachment: AttachmentModel, limit: int) -> None:
    """Record a pending upload and take one of the ticket's `limit` file slots, or neither."""
    attachment.status = PENDING
    attachment.pending = EVERY_PENDING
    attachment.pending_since = attachment.created_at
    _create(attachment, limit)


def create_ready(attachment: AttachmentModel, limit: int) -> None:
    """A file the server stored and verified itself (inbound mail): no pending step."""
    attachment.status = READY
    _create(attachment, limit)


def _create(attachment: AttachmentModel, limit: int) -> None:
    slots = _slots(attachment.ticket_id)
    full = Conflict(
        f"A ticket holds at most {limit} files.", code="too_many_files", details={"limit": limit}
    )
    with translate(full), TransactWrite(connection=connection()) as tx:
        tx.update(
            slots,
            actions=[CounterModel.value.set((CounterModel.value | 0) + 1)],
            condition=CounterModel.value.does_not_exist() | (CounterModel.value < limit),
        )
        tx.save(attachment, condition=AttachmentModel.attachment_id.does_not_exist())


def get_attachment(ticket_id: str, attachment_id: str) -> AttachmentModel | None:
    try:
        return AttachmentModel.get(ticket_id, attachment_id, consistent_read=True)
    except DoesNotExist:
        return None


def get_attachments(ticket_id: str, attachment_ids: Sequence[str]) -> dict[str, AttachmentModel]:
    keys = [(ticket_id, attachment_id) for attachment_id in attachment_ids]
    found = AttachmentModel.batch_get(keys, consistent_read=True) if keys else []
    return {a.attachment_id: a for a in found}


def list_attachments(ticket_id: str, *, public_only: bool, limit: int) -> list[AttachmentModel]:
    """The verified files of one ticket (its partition holds at most `limit` items)."""
    condition = AttachmentModel.status == READY
    if public_only:
        condition = condition & (AttachmentModel.visibility == "public")
    page = query_page(
        AttachmentModel,
        AttachmentModel,
        ticket_id,
        scope=f"attachments:{ticket_id}",
        limit=limit,
        cursor=None,
        filter_condition=condition,
    )
    return page.items


def mark_ready(
    attachment: AttachmentModel, *, storage_key: str, size: int, sha256: str, confirmed_at: float
) -> None:
    """Pending -> ready, once: a concurrent confirm or cleanup makes this a Conflict."""
    with translate(Conflict("The upload changed meanwhile.", code="attachment_changed")):
        attachment.update(
            actions=[
                AttachmentModel.status.set(READY),
                AttachmentModel.storage_key.set(storage_key),
                AttachmentModel.size.set(size),
                AttachmentModel.sha256.set(sha256),
                AttachmentModel.confirmed_at.set(confirmed_at),
                AttachmentModel.pending.remove(),
                AttachmentModel.pending_since.remove(),
            ],
            condition=AttachmentModel.status == PENDING,
        )


def discard_pending(attachment: AttachmentModel) -> None:
    """Forget a pending upload and give its slot back; a Conflict if it was confirmed meanwhile."""
    changed = Conflict("The upload changed meanwhile.", code="attachment_changed")
    with translate(changed), TransactWrite(connection=connection()) as tx:
        tx.delete(attachment, condition=AttachmentModel.status == PENDING)
        tx.update(
            _slots(attachment.ticket_id), actions=[CounterModel.value.set(CounterModel.value - 1)]
        )


def stale_pending(before: float, limit: int) -> list[AttachmentModel]:
    """Pending uploads older than `before`, oldest first: a key condition on the sparse index."""
    return list(
        AttachmentModel.pending_index.query(
            EVERY_PENDING, AttachmentModel.pending_since < before, limit=limit
        )
    )


def attach_in(
    tx: TransactWrite, ticket_id: str, attachment_id: str, *, message_id: str, seq: int,
    visibility: str,
) -> None:
    """Part of the transaction that stores a message: the file joins it, once, and takes its
    visibility. A file the customer could already see never goes on an internal message."""
    condition = (AttachmentModel.status == READY) & AttachmentModel.message_id.does_not_exist()
    if visibility != "public":
        condition = condition & (AttachmentModel.visibility == visibility)
    tx.update(
        AttachmentModel(ticket_id=ticket_id, attachment_id=attachment_id),
        actions=[
            AttachmentModel.message_id.set(message_id),
            AttachmentModel.message_seq.set(seq),
            AttachmentModel.visibility.set(visibility),
        ],
        condition=condition,
    )

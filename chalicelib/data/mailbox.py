"""The customer's folders: Inbox (messages from the team), Sent (mine), Trash.

One entry per (user, message), keyed by the user: a folder is a query on the user's own
partition. Unread counts per folder live on counter items in the user's partition, changed in
the same transaction as the entry they count, so they cannot drift.

Entries carry their ticket's topic and channel, and the counters are kept per (topic, channel):
when the admin hides a topic or a channel, its entries drop out of the folders (a filter on the
user's own partition) and out of the counts (the sum skips its counters) at once, with nothing
to rewrite. Entries written before they carried a topic count on the plain `#counts` item.
"""

from __future__ import annotations

from collections.abc import Collection

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.expressions.update import Action
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.data.base import (
    REGION,
    Page,
    condition_failed,
    connection,
    not_hidden,
    query_page,
    table_name,
    translate,
)
from chalicelib.data.reads import mark_unread_in
from chalicelib.errors import Conflict

INBOX, SENT, TRASH = "inbox", "sent", "trash"
FOLDERS = (INBOX, SENT, TRASH)
COUNTS_KEY = "#counts"


class FolderIndex(GlobalSecondaryIndex["MailboxModel"]):
    class Meta:
        index_name = "folder-index"
        projection = AllProjection()

    folder_key = UnicodeAttribute(hash_key=True)  # "<user>#<folder>"
    created_at = NumberAttribute(range_key=True)


class TrashIndex(GlobalSecondaryIndex["MailboxModel"]):
    """Sparse: only trashed entries, by when they were trashed, for the purge job."""

    class Meta:
        index_name = "trash-index"
        projection = KeysOnlyProjection()

    trash_key = UnicodeAttribute(hash_key=True)
    trashed_at = NumberAttribute(range_key=True)


class MailboxModel(Model):
    class Meta:
        table_name = table_name("mailbox")
        region = REGION
        billing_mode = "PAY_PER_REQUEST"

    user_id = UnicodeAttribute(hash_key=True)
    # "<ticket>#<seq:010d>"; counters: COUNTS_KEY, or "#counts#<channel>#<topic>"
    entry_key = UnicodeAttribute(range_key=True)
    folder = UnicodeAttribute(null=True)
    origin_folder = UnicodeAttribute(null=True)
    folder_key = UnicodeAttribute(null=True)
    ticket_id = UnicodeAttribute(null=True)
    ticket_number = NumberAttribute(null=True)
    seq = NumberAttribute(null=True)
    title = UnicodeAttribute(null=True)
    author_name = UnicodeAttribute(null=True)
    preview = UnicodeAttribute(null=True)
    read = BooleanAttribute(default=False)
    created_at = NumberAttribute(null=True)
    trash_key = UnicodeAttribute(null=True)
    trashed_at = NumberAttribute(null=True)
    # The ticket's, on entries and on their counter item (the admin's visibility rules).
    topic = UnicodeAttribute(null=True)
    channel = UnicodeAttribute(null=True)
    # On the counter items only.
    unread_inbox = NumberAttribute(null=True)
    unread_sent = NumberAttribute(null=True)
    unread_trash = NumberAttribute(null=True)

    folder_index = FolderIndex()
    trash_index = TrashIndex()


TRASH_PARTITION = "trash"


def entry_key(ticket_id: str, seq: int) -> str:
    return f"{ticket_id}#{seq:010d}"


def is_counter(key: str) -> bool:
    return key.startswith(COUNTS_KEY)


def counter_key(topic: str | None, channel: str | None) -> str:
    if topic is None or channel is None:
        return COUNTS_KEY
    return f"{COUNTS_KEY}#{channel}#{topic}"


def unread_attribute(folder: str) -> NumberAttribute:
    return {INBOX: MailboxModel.unread_inbox, SENT: MailboxModel.unread_sent,
            TRASH: MailboxModel.unread_trash}[folder]


def new_entry(
    user_id: str, *, folder: str, ticket_id: str, ticket_number: int, seq: int, title: str,
    author_name: str, preview: str, read: bool, at: float, topic: str, channel: str,
) -> MailboxModel:
    return MailboxModel(
        user_id=user_id,
        entry_key=entry_key(ticket_id, seq),
        folder=folder,
        origin_folder=folder,
        folder_key=f"{user_id}#{folder}",
        ticket_id=ticket_id,
        ticket_number=ticket_number,
        seq=seq,
        title=title,
        author_name=author_name,
        preview=preview,
        read=read,
        created_at=at,
        topic=topic,
        channel=channel,
    )


def _counter(entry: MailboxModel) -> MailboxModel:
    """The counter item that counts this entry."""
    return MailboxModel(user_id=entry.user_id, entry_key=counter_key(entry.topic, entry.channel))


def _count(entry: MailboxModel, changes: list[tuple[str, int]]) -> list[Action]:
    """Update actions on the entry's counter: unread deltas per folder, and the scope it
    counts (so the counts can skip hidden topics and channels without parsing keys)."""
    actions: list[Action] = []
    for folder, delta in changes:
        attr = unread_attribute(folder)
        actions.append(attr.set((attr | 0) + delta))
    if entry.topic is not None and entry.channel is not None:
        actions += [MailboxModel.topic.set(entry.topic), MailboxModel.channel.set(entry.channel)]
    return actions


def add_entry_in(tx: TransactWrite, entry: MailboxModel) -> None:
    """Part of the transaction that stores the message. An unread Inbox entry (an answer from
    the team, to the requester or anyone else who gets one) also marks its ticket unread for
    its owner in the ticket list (data/reads.py), so the two cannot disagree."""
    tx.save(entry, condition=MailboxModel.entry_key.does_not_exist())
    if not entry.read:
        tx.update(_counter(entry), actions=_count(entry, [(entry.folder or INBOX, 1)]))
    if not entry.read and entry.folder == INBOX:
        mark_unread_in(tx, entry.user_id, str(entry.ticket_id), int(entry.seq or 0),
                       float(entry.created_at or 0))


def get_entry(user_id: str, key: str) -> MailboxModel | None:
    try:
        return MailboxModel.get(user_id, key, consistent_read=True)
    except DoesNotExist:
        return None


def change_entry(
    entry: MailboxModel, *, folder: str | None = None, read: bool | None = None, at: float
) -> None:
    """Move and/or mark one entry, with the unread counters, in one transaction that fails if
    the entry changed meanwhile (a double click cannot count twice)."""
    old_folder, old_read = entry.folder or INBOX, bool(entry.read)
    new_folder = folder or old_folder
    new_read = old_read if read is None else read
    if (new_folder, new_read) == (old_folder, old_read):
        return
    actions: list[Action] = [
        MailboxModel.folder.set(new_folder),
        MailboxModel.folder_key.set(f"{entry.user_id}#{new_folder}"),
        MailboxModel.read.set(new_read),
    ]
    if new_folder == TRASH:
        actions += [MailboxModel.trash_key.set(TRASH_PARTITION), MailboxModel.trashed_at.set(at)]
    elif old_folder == TRASH:
        actions += [MailboxModel.trash_key.remove(), MailboxModel.trashed_at.remove()]
    changes = [(old_folder, -1)] if not old_read else []
    changes += [(new_folder, 1)] if not new_read else []
    with (
        translate(Conflict("This message changed meanwhile; reload and try again.")),
        TransactWrite(connection=connection()) as tx,
    ):
        tx.update(
            entry,
            actions=actions,
            condition=(MailboxModel.folder == old_folder) & (MailboxModel.read == old_read),
        )
        if changes:
            tx.update(_counter(entry), actions=_count(entry, changes))


def unread_counts(
    user_id: str, *, hidden_topics: Collection[str] = (), hidden_channels: Collection[str] = ()
) -> dict[str, int]:
    """The user's counters, one per (topic, channel) they have entries of: a few small items
    read by one consistent query of the user's own partition."""
    totals = {INBOX: 0, SENT: 0, TRASH: 0}
    for counter in MailboxModel.query(
        user_id, MailboxModel.entry_key.startswith(COUNTS_KEY), consistent_read=True
    ):
        if counter.topic in hidden_topics or counter.channel in hidden_channels:
            continue
        totals[INBOX] += int(counter.unread_inbox or 0)
        totals[SENT] += int(counter.unread_sent or 0)
        totals[TRASH] += int(counter.unread_trash or 0)
    return totals


def list_folder(
    user_id: str, folder: str, limit: int, cursor: str | None, *,
    hidden_topics: Collection[str] = (), hidden_channels: Collection[str] = (),
) -> Page[MailboxModel]:
    return query_page(
        MailboxModel.folder_index,
        MailboxModel,
        f"{user_id}#{folder}",
        scope=f"folder:{user_id}:{folder}",
        limit=limit,
        cursor=cursor,
        filter_condition=not_hidden(MailboxModel, hidden_topics, hidden_channels),
    )


def unread_entries_of_ticket(user_id: str, ticket_id: str, up_to: int) -> list[MailboxModel]:
    """Unread entries of one ticket's messages numbered up to `up_to`, in the user's own
    partition (bounded by the ticket's length)."""
    return [
        e for e in MailboxModel.query(
            user_id, MailboxModel.entry_key.between(entry_key(ticket_id, 0),
                                                    entry_key(ticket_id, up_to)),
            filter_condition=MailboxModel.read == False,  # noqa: E712 - a DynamoDB condition
        )
    ]


def trashed_before(cutoff: float, limit: int) -> list[MailboxModel]:
    return list(
        MailboxModel.trash_index.query(
            TRASH_PARTITION, MailboxModel.trashed_at < cutoff, limit=limit
        )
    )


def purge_entry(user_id: str, key: str) -> bool:
    """Delete a trashed entry for good, only if it is still in the trash."""
    entry = get_entry(user_id, key)
    if entry is None or entry.folder != TRASH:
        return False
    try:
        with TransactWrite(connection=connection()) as tx:
            tx.delete(entry, condition=MailboxModel.folder == TRASH)
            if not entry.read:
                tx.update(_counter(entry), actions=_count(entry, [(TRASH, -1)]))
    except TransactWriteError as exc:
        if condition_failed(exc):
            return False  # restored meanwhile: keep it
        raise
    return True

"""The customer's folders: Inbox (messages from the team), Sent (mine), Trash.

One entry per (user, message), keyed by the user: a folder is a query on the user's own
partition. Unread counts per folder live on one counter item per user, changed in the same
transaction as the entry they count, so they cannot drift.
"""

from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.data.base import (
    REGION,
    Page,
    condition_failed,
    connection,
    query_page,
    table_name,
    translate,
)
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
    entry_key = UnicodeAttribute(range_key=True)  # "<ticket>#<seq:010d>", or COUNTS_KEY
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
    # On the counter item only.
    unread_inbox = NumberAttribute(null=True)
    unread_sent = NumberAttribute(null=True)
    unread_trash = NumberAttribute(null=True)

    folder_index = FolderIndex()
    trash_index = TrashIndex()


TRASH_PARTITION = "trash"


def entry_key(ticket_id: str, seq: int) -> str:
    return f"{ticket_id}#{seq:010d}"


def unread_attribute(folder: str) -> NumberAttribute:
    return {INBOX: MailboxModel.unread_inbox, SENT: MailboxModel.unread_sent,
            TRASH: MailboxModel.unread_trash}[folder]


def new_entry(
    user_id: str, *, folder: str, ticket_id: str, ticket_number: int, seq: int, title: str,
    author_name: str, preview: str, read: bool, at: float,
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
    )


def add_entry_in(tx: TransactWrite, entry: MailboxModel) -> None:
    """Part of the transaction that stores the message."""
    tx.save(entry, condition=MailboxModel.entry_key.does_not_exist())
    if not entry.read:
        counter = MailboxModel(user_id=entry.user_id, entry_key=COUNTS_KEY)
        attr = unread_attribute(entry.folder or INBOX)
        tx.update(counter, actions=[attr.set((attr | 0) + 1)])


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
    actions = [
        MailboxModel.folder.set(new_folder),
        MailboxModel.folder_key.set(f"{entry.user_id}#{new_folder}"),
        MailboxModel.read.set(new_read),
    ]
    if new_folder == TRASH:
        actions += [MailboxModel.trash_key.set(TRASH_PARTITION), MailboxModel.trashed_at.set(at)]
    elif old_folder == TRASH:
        actions += [MailboxModel.trash_key.remove(), MailboxModel.trashed_at.remove()]
    counter = MailboxModel(user_id=entry.user_id, entry_key=COUNTS_KEY)
    counter_actions = []
    if not old_read:
        attr = unread_attribute(old_folder)
        counter_actions.append(attr.set((attr | 0) - 1))
    if not new_read:
        attr = unread_attribute(new_folder)
        counter_actions.append(attr.set((attr | 0) + 1))
    with (
        translate(Conflict("This message changed meanwhile; reload and try again.")),
        TransactWrite(connection=connection()) as tx,
    ):
            tx.update(
                entry,
                actions=actions,
                condition=(MailboxModel.folder == old_folder) & (MailboxModel.read == old_read),
            )
            if counter_actions:
                tx.update(counter, actions=counter_actions)


def unread_counts(user_id: str) -> dict[str, int]:
    counter = get_entry(user_id, COUNTS_KEY)
    return {
        INBOX: int(counter.unread_inbox or 0) if counter else 0,
        SENT: int(counter.unread_sent or 0) if counter else 0,
        TRASH: int(counter.unread_trash or 0) if counter else 0,
    }


def list_folder(user_id: str, folder: str, limit: int, cursor: str | None) -> Page[MailboxModel]:
    return query_page(
        MailboxModel.folder_index,
        MailboxModel,
        f"{user_id}#{folder}",
        scope=f"folder:{user_id}:{folder}",
        limit=limit,
        cursor=cursor,
    )


def unread_entries_of_ticket(user_id: str, ticket_id: str) -> list[MailboxModel]:
    """Entries of one ticket in the user's own partition (bounded by the ticket's length)."""
    return [
        e for e in MailboxModel.query(
            user_id, MailboxModel.entry_key.startswith(f"{ticket_id}#"),
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
    counter = MailboxModel(user_id=user_id, entry_key=COUNTS_KEY)
    try:
        with TransactWrite(connection=connection()) as tx:
            tx.delete(entry, condition=MailboxModel.folder == TRASH)
            if not entry.read:
                attr = unread_attribute(TRASH)
                tx.update(counter, actions=[attr.set((attr | 0) - 1)])
    except TransactWriteError as exc:
        if condition_failed(exc):
            return False  # restored meanwhile: keep it
        raise
    return True

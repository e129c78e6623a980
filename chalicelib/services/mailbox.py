"""The customer's folders: Inbox, Sent, Trash, with read state and unread counts.

The admin's visibility rules apply here as everywhere a customer looks: an entry of a ticket
of a hidden topic or channel is neither listed, nor counted, nor found by its id. So does the
author display: an Inbox entry (the team's answer) names its agent as the thread does now.
The customer's own messages (Sent, and in the Trash) are read by nature: they are never marked
unread. The trash is emptied after the admin's `trash_retention_days`, which its page says.
"""

from __future__ import annotations

import contextlib

from chalicelib import clock
from chalicelib.data import mailbox as store
from chalicelib.errors import Conflict, InvalidInput, NotFound
from chalicelib.services.principal import Principal
from chalicelib.services.settings import PortalSettings, get_portal_settings
from chalicelib.services.tickets.views import agent_shown_as
from chalicelib.shapes.mailbox import (
    FolderCounts,
    FolderEntry,
    FolderEntryChange,
    FolderPage,
    FolderUnread,
)

ACTIONS = ("read", "unread", "trash", "restore")


def folder_counts(principal: Principal) -> FolderCounts:
    return {"unread": _counts(principal.user_id, get_portal_settings())}


def list_folder(
    principal: Principal, folder: str, limit: int, cursor: str | None
) -> FolderPage:
    if folder not in store.FOLDERS:
        raise NotFound(f"No folder named {folder!r}.", code="unknown_folder")
    settings = get_portal_settings()
    page = store.list_folder(
        principal.user_id, folder, limit, cursor,
        hidden_topics=settings.hidden_topics, hidden_channels=settings.hidden_channels,
    )
    return {
        "items": [_public(e, settings) for e in page.items],
        "next_cursor": page.cursor,
        "unread": _counts(principal.user_id, settings),
        "purge_after_days": settings.trash_retention_days if folder == store.TRASH else None,
    }


def change(principal: Principal, entry_id: str, action: str) -> FolderEntryChange:
    if action not in ACTIONS:
        raise InvalidInput(f"action must be one of {', '.join(ACTIONS)}.", code="unknown_action")
    # The entry is looked up in the caller's own partition: another user's id simply misses.
    settings = get_portal_settings()
    entry = store.get_entry(principal.user_id, _key(entry_id))
    if entry is None or store.is_counter(entry.entry_key) or settings.hides(
        entry.topic, entry.channel
    ):
        raise NotFound("No such message in your folders.", code="entry_not_found")
    now = clock.now()
    if action == "read":
        store.change_entry(entry, read=True, at=now)
    elif action == "unread":
        if _origin(entry) == store.SENT:
            raise InvalidInput("Your own messages are always read.", code="own_message")
        store.change_entry(entry, read=False, at=now)
    elif action == "trash":
        store.change_entry(entry, folder=store.TRASH, at=now)
    elif entry.folder != store.TRASH:
        raise Conflict("This message is not in the trash.", code="not_in_trash")
    else:
        store.change_entry(entry, folder=_origin(entry), at=now)
    updated = store.get_entry(principal.user_id, entry.entry_key)
    assert updated is not None
    return {"entry": _public(updated, settings), "unread": _counts(principal.user_id, settings)}


def mark_ticket_read(user_id: str, ticket_id: str, up_to: int) -> None:
    """Reading a ticket reads its messages in the folders too, up to the last one the reader
    was shown: one that arrived meanwhile stays unread."""
    now = clock.now()
    for entry in store.unread_entries_of_ticket(user_id, ticket_id, up_to):
        with contextlib.suppress(Conflict):  # changed meanwhile (another tab): that change stands
            store.change_entry(entry, read=True, at=now)


def purge_trash() -> int:
    """Scheduled: entries in the trash longer than the retention setting go for good."""
    cutoff = clock.now() - get_portal_settings().trash_retention_days * 86400
    purged = 0
    for _ in range(50):  # bounded per run; the next run continues
        batch = store.trashed_before(cutoff, limit=100)
        for entry in batch:
            purged += store.purge_entry(entry.user_id, entry.entry_key)
        if len(batch) < 100:
            break
    return purged


def _counts(user_id: str, settings: PortalSettings) -> FolderUnread:
    counts = store.unread_counts(
        user_id, hidden_topics=settings.hidden_topics, hidden_channels=settings.hidden_channels
    )
    return {"inbox": counts[store.INBOX], "sent": counts[store.SENT], "trash": counts[store.TRASH]}


def _key(entry_id: str) -> str:
    ticket_id, _, seq = entry_id.partition(".")
    if not ticket_id.isalnum() or not seq.isdigit():
        raise NotFound("No such message in your folders.", code="entry_not_found")
    return store.entry_key(ticket_id, int(seq))


def _origin(entry: store.MailboxModel) -> str:
    """The folder an entry was written in: Inbox (the team's answers) or Sent (mine)."""
    return str(entry.origin_folder or store.INBOX)


def _public(entry: store.MailboxModel, settings: PortalSettings) -> FolderEntry:
    return {
        "id": f"{entry.ticket_id}.{int(entry.seq or 0)}",
        "folder": entry.folder,
        "origin": _origin(entry),
        "ticket_id": entry.ticket_id,
        "ticket_number": int(entry.ticket_number or 0),
        "title": entry.title,
        "author": _author(entry, settings),
        "preview": entry.preview,
        "read": bool(entry.read),
        "created_at": clock.iso(entry.created_at or 0),
        "trashed_at": clock.iso(entry.trashed_at) if entry.trashed_at else None,
    }


def _author(entry: store.MailboxModel, settings: PortalSettings) -> str:
    """Inbox entries are the team's answers (tickets/commit.py), stored with the agent's own
    name and shown as the author display says now; a trashed one is still its Inbox's. Entries
    written before the name was kept hold what the display said then, and still give way to a
    display that hides it."""
    name = str(entry.author_name or "")
    if (entry.origin_folder or entry.folder) == store.INBOX:
        return agent_shown_as(name, settings)
    return name

"""What the customer's folders answer: entries and unread counts (services/mailbox.py)."""

from __future__ import annotations

from typing_extensions import TypedDict


class FolderUnread(TypedDict):
    inbox: int
    sent: int
    trash: int


class FolderEntry(TypedDict):
    id: str  # "<ticket id>.<seq>"
    folder: str  # inbox, sent or trash
    origin: str  # inbox or sent: where it came from, and where restoring puts it back
    ticket_id: str
    ticket_number: int
    title: str
    author: str  # the team's answers as the portal's author display says ("" when it hides)
    preview: str
    read: bool
    created_at: str  # ISO 8601, UTC
    trashed_at: str | None


class FolderCounts(TypedDict):
    unread: FolderUnread


class FolderPage(TypedDict):
    items: list[FolderEntry]  # newest first
    next_cursor: str | None
    unread: FolderUnread
    # The trash: how many days an entry stays there before it is deleted for good (the admin's
    # trash_retention_days); None for the other folders.
    purge_after_days: int | None


class FolderEntryChange(TypedDict):
    entry: FolderEntry
    unread: FolderUnread

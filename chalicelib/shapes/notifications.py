"""What the notification feed and live-update routes answer."""

from __future__ import annotations

from typing_extensions import TypedDict


class Notification(TypedDict):
    id: str
    kind: str  # reply, status, customer_message or assigned
    ticket_id: str
    ticket_number: int
    title: str
    # who did it: a customer's `reply` item names the agent as the portal's author display
    # says (None when it hides them); staff see names as they are
    actor: str | None
    status: str | None  # the status a `status` item tells of
    link: str  # the page of the ticket, for this reader
    created_at: str  # ISO 8601, UTC
    read: bool


class UnreadCount(TypedDict):
    unread: int
    unread_capped: bool  # there are at least as many as `unread` says, maybe more


class NotificationFeed(UnreadCount):
    items: list[Notification]
    next_cursor: str | None


class MarkedRead(UnreadCount):
    marked: int


class LiveAccess(TypedDict):
    """Where to open the WebSocket and the ticket to open it with (none where nothing is
    pushed: the page polls)."""

    enabled: bool
    url: str | None
    ticket: str | None
    expires_in: int  # seconds the ticket is good for

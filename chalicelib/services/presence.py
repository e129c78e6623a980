"""Who else has a conversation open in the console, and who is typing an answer: the collision
warning of other help desks ("Kim is viewing", "Kim is typing…").

The page sends a heartbeat (`beat`) every few seconds while it is shown, and at once when the
agent starts or stops typing; each answers the other agents present. Presence is a hint, never
a lock: what stops two answers from colliding is the stale-answer check of
`tickets/console.py:answer`. Staff only: customers never learn who reads their ticket.
"""

from __future__ import annotations

from chalicelib import clock
from chalicelib.data import presence as store
from chalicelib.data import users as user_store
from chalicelib.services.principal import Principal
from chalicelib.services.tickets import access
from chalicelib.shapes.presence import PresenceList, Viewer

HEARTBEAT_SECONDS = 5  # how often a shown page asks: what others do shows within this
# An agent is present this long after their last write, so a page closed without a goodbye
# (a crash, a lost network) leaves the list within it.
PRESENT_SECONDS = 25
# A heartbeat rewrites its item only once it is this old (or the typing changed): most
# heartbeats are one Query, and the item is written every ten seconds or so.
REWRITE_AFTER = 10
TYPING_SECONDS = 10  # "typing" fades unless the page says it again (a tab closed mid-sentence)
TYPING_REWRITE_AFTER = 3


def beat(principal: Principal, ticket_id: str, typing: bool) -> PresenceList:
    """The caller is on the conversation (typing or not); the others who are."""
    ticket = access.staff_ticket(principal, ticket_id)
    now = clock.now()
    items = store.present_on(ticket.ticket_id)
    mine = next((item for item in items if item.user_id == principal.user_id), None)
    if _needs_write(mine, typing, now):
        name = mine.name if mine is not None else _name_of(principal.user_id)
        store.put_presence(
            ticket.ticket_id, principal.user_id, name=name, now=now,
            until=now + PRESENT_SECONDS, typing_until=now + TYPING_SECONDS if typing else 0,
        )
    others: list[Viewer] = [
        {"id": item.user_id, "name": item.name, "typing": float(item.typing_until) > now}
        for item in items
        if item.user_id != principal.user_id and _present(item, now)
    ]
    return {
        "items": sorted(others, key=lambda viewer: (viewer["name"].casefold(), viewer["id"])),
        "heartbeat_seconds": HEARTBEAT_SECONDS,
        "typing_seconds": TYPING_SECONDS,
    }


def leave(principal: Principal, ticket_id: str) -> None:
    """The caller closed the conversation: the others stop seeing them at their next beat."""
    ticket = access.staff_ticket(principal, ticket_id)
    store.remove_presence(ticket.ticket_id, principal.user_id)


def _present(item: store.PresenceModel, now: float) -> bool:
    # TTL deletes late (and moto never): an item past its time is as good as gone.
    return item.expires_at is not None and item.expires_at.timestamp() > now


def _needs_write(mine: store.PresenceModel | None, typing: bool, now: float) -> bool:
    if mine is None or not _present(mine, now):
        return True
    was_typing = float(mine.typing_until) > now
    if typing != was_typing:
        return True
    if typing and float(mine.typing_until) - now < TYPING_SECONDS - TYPING_REWRITE_AFTER:
        return True
    return now - float(mine.seen_at) >= REWRITE_AFTER


def _name_of(user_id: str) -> str:
    user = user_store.get_user(user_id)
    return user.name if user is not None else ""

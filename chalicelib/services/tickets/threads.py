"""A thread read a page at a time, by each side: customers page through the public partition,
agents through both partitions merged by position (data/messages.py says how they are keyed).
A few Query calls at most whatever the length of the thread (data/base.py:query_page)."""

from __future__ import annotations

from chalicelib.data import messages as message_store
from chalicelib.data.messages import INTERNAL, PUBLIC, MessageModel, position_of
from chalicelib.data.tickets import TicketModel
from chalicelib.services.principal import CUSTOMER

# Messages per page of a thread: the detail's newest page, each earlier page, each poll.
THREAD_PAGE = 100
STAFF_READER = "staff"  # whose earlier-page cursors: the console's (the portal's: CUSTOMER)


def public_page(ticket_id: str, before: int | None) -> tuple[list[MessageModel], str | None]:
    """The newest page of the public thread before `before` (oldest first), and the cursor to
    the page before it."""
    # One more than a page tells whether anything is left before it.
    newest = message_store.latest_in_thread(
        ticket_id, PUBLIC, before_seq=before, limit=THREAD_PAGE + 1
    )
    shown = newest[:THREAD_PAGE]
    earlier = None
    if len(newest) > THREAD_PAGE:
        earlier = message_store.encode_earlier(ticket_id, CUSTOMER, {PUBLIC: int(shown[-1].seq)})
    return shown[::-1], earlier


def staff_page(
    ticket_id: str, bounds: dict[str, int]
) -> tuple[list[MessageModel], str | None]:
    """The newest page of both partitions before `bounds` (per partition, the oldest sequence
    number already shown), merged by position: two queries whatever the thread's length."""
    read = [
        message_store.latest_in_thread(
            ticket_id, visibility, before_seq=bounds.get(visibility), limit=THREAD_PAGE + 1
        )
        for visibility in (PUBLIC, INTERNAL)
    ]
    # Nothing older than a full partition's oldest may be shown before what it did not read.
    horizon = max(
        (position_of(items[THREAD_PAGE - 1]) for items in read if len(items) > THREAD_PAGE),
        default=0,
    )
    shown = sorted(
        (m for items in read for m in items[:THREAD_PAGE] if position_of(m) >= horizon),
        key=position_of, reverse=True,
    )[:THREAD_PAGE]
    earlier = None
    if len(shown) < sum(len(items) for items in read):
        next_bounds = dict(bounds)
        for message in shown:
            next_bounds[message.visibility] = min(
                int(message.seq), next_bounds.get(message.visibility, int(message.seq))
            )
        earlier = message_store.encode_earlier(ticket_id, STAFF_READER, next_bounds)
    return shown[::-1], earlier


def staff_after(ticket: TicketModel, after: int) -> list[MessageModel]:
    """What was written after position `after`, oldest first, a page at most: one query per
    partition."""
    internal = message_store.list_thread(
        ticket.ticket_id, INTERNAL, after_seq=after, limit=THREAD_PAGE + 1, cursor=None
    ).items
    if internal:
        # Every position between `after` and the first note after it is a public message.
        first = internal[0]
        public_upto = int(first.public_before or 0) - (position_of(first) - after - 1)
    else:
        # Nothing internal since: every message after `after` is public.
        public_upto = int(ticket.last_public_seq or 0) - (int(ticket.last_seq or 0) - after)
    public = message_store.list_thread(
        ticket.ticket_id, PUBLIC, after_seq=max(public_upto, 0), limit=THREAD_PAGE + 1,
        cursor=None,
    ).items
    read = (public, internal)
    # A partition with more than a page may hold messages before the other's later ones.
    horizon = min(
        (position_of(items[THREAD_PAGE - 1]) for items in read if len(items) > THREAD_PAGE),
        default=None,
    )
    return sorted(
        (m for items in read for m in items[:THREAD_PAGE]
         if position_of(m) > after and (horizon is None or position_of(m) <= horizon)),
        key=position_of,
    )[:THREAD_PAGE]

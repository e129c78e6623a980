"""The customer's side of tickets: the lists, the detail and its thread, replying, resolving
and rating. Every read and write starts with the portal's access check (access.py)."""

from __future__ import annotations

from collections.abc import Sequence

from chalicelib.data import messages as message_store
from chalicelib.data import reads as read_store
from chalicelib.data import tickets as store
from chalicelib.data.messages import INTERNAL, PUBLIC
from chalicelib.data.tickets import CLOSED_STATUSES, TicketFilter, TicketModel
from chalicelib.errors import Conflict, Forbidden
from chalicelib.observability import count
from chalicelib.services import mailbox
from chalicelib.services.attachments.reading import attachable
from chalicelib.services.principal import CUSTOMER, Principal
from chalicelib.services.settings import get_portal_settings
from chalicelib.services.tickets import access, views
from chalicelib.services.tickets.commit import commit
from chalicelib.services.tickets.drafts import (
    CUSTOMER_MESSAGE,
    SYSTEM_EVENT,
    Draft,
    check_body,
    load_user,
    set_status,
)
from chalicelib.services.tickets.search import search_words, ticket_number
from chalicelib.services.tickets.threads import THREAD_PAGE, public_page
from chalicelib.shapes.tickets import (
    CustomerEarlierMessages,
    CustomerMessage,
    CustomerNewMessages,
    CustomerTicketPage,
    CustomerTicketView,
    TicketRating,
)


def list_customer_tickets(
    principal: Principal,
    *,
    scope: str,
    status: str,
    q: str,
    topic: str | None,
    sort: str,
    limit: int,
    cursor: str | None,
) -> CustomerTicketPage:
    settings = get_portal_settings()
    if scope == "org":
        if not (settings.org_view_enabled and principal.org_view and principal.org_id):
            raise Forbidden("Your account does not have the organization view.", code="no_org_view")
        partition, key = "org", principal.org_id or ""
    else:
        partition, key = "requester", principal.user_id
    number = ticket_number(q)
    if number is not None:
        found = store.find_by_number(number)
        items = [found] if found and access.customer_may_see(principal, found, settings) else []
        items = [t for t in items if t.requester_id == principal.user_id or scope == "org"]
        return views.customer_list(principal, items, None, settings)
    narrow = TicketFilter(
        state=status if status in ("open", "closed") else None,
        topic=topic,
        words=search_words(q),
        customer_text=True,
        hidden_topics=settings.hidden_topics,
        hidden_channels=settings.hidden_channels,
    )
    page = store.query_tickets(partition, key, sort, limit=limit, cursor=cursor, narrow=narrow)
    return views.customer_list(principal, page.items, page.cursor, settings)


def customer_view(principal: Principal, ticket_id: str) -> CustomerTicketView:
    """Ticket detail for the customer: the newest page of the public thread (oldest first) and
    a cursor to the page before it; reading it marks it read."""
    settings = get_portal_settings()
    ticket = access.customer_ticket(principal, ticket_id)
    thread, earlier = public_page(ticket.ticket_id, None)
    read_store.mark_read(principal.user_id, ticket.ticket_id, int(ticket.last_public_seq))
    mailbox.mark_ticket_read(principal.user_id, ticket.ticket_id)
    refusal = access.reply_refusal(ticket, settings)
    return {
        "ticket": views.customer_summary(ticket, settings, unread=False),
        "messages": [views.customer_message(m, principal, settings) for m in thread],
        "earlier_cursor": earlier,
        "message_count": int(ticket.public_count),
        "can_reply": refusal is None,
        "reply_refusal": refusal.shown() if refusal else None,
        "can_rate": ticket.status in CLOSED_STATUSES,
    }


def customer_new_messages(
    principal: Principal, ticket_id: str, after: int
) -> CustomerNewMessages:
    """What is new since `after` (the polling fallback of live updates)."""
    settings = get_portal_settings()
    ticket = access.customer_ticket(principal, ticket_id)
    page = message_store.list_thread(
        ticket.ticket_id, PUBLIC, after_seq=after, limit=THREAD_PAGE, cursor=None
    )
    return {
        "messages": [views.customer_message(m, principal, settings) for m in page.items],
        "ticket": views.customer_summary(ticket, settings, unread=False),
        "last_seq": max([after] + [int(m.seq) for m in page.items]),
    }


def customer_earlier_messages(
    principal: Principal, ticket_id: str, cursor: str
) -> CustomerEarlierMessages:
    """The page of the public thread before an `earlier_cursor` (oldest first), and the cursor
    to the one before it."""
    settings = get_portal_settings()
    ticket = access.customer_ticket(principal, ticket_id)
    bounds = message_store.decode_earlier(ticket.ticket_id, CUSTOMER, cursor)
    thread, earlier = public_page(ticket.ticket_id, bounds.get(PUBLIC))
    return {
        "messages": [views.customer_message(m, principal, settings) for m in thread],
        "earlier_cursor": earlier,
    }


def customer_reply(
    principal: Principal, ticket_id: str, body: str, attachment_ids: Sequence[str] = ()
) -> CustomerMessage:
    body = check_body(body)
    author = load_user(principal.user_id)
    settings = get_portal_settings()

    def rule(ticket: TicketModel) -> Draft:
        refusal = access.reply_refusal(ticket, settings)
        if refusal:
            raise refusal.error()
        if ticket.status in CLOSED_STATUSES or ticket.status == "pending":
            set_status(ticket, "open")  # the customer answered: the team's turn again
        attached = attachable(principal, ticket.ticket_id, attachment_ids, PUBLIC)
        return Draft(CUSTOMER_MESSAGE, PUBLIC, body, principal, author.name,
                     attachment_ids=attached)

    message = commit(lambda: access.customer_ticket(principal, ticket_id), rule, settings)
    assert message is not None  # the rule always drafts a message or raises
    read_store.mark_read(principal.user_id, ticket_id, int(message.seq))
    count("CustomerReply")
    return views.customer_message(message, principal, settings)


def customer_resolve(principal: Principal, ticket_id: str) -> CustomerTicketView:
    """The customer's "OK, resolved"."""
    settings = get_portal_settings()
    author = load_user(principal.user_id)

    def rule(ticket: TicketModel) -> Draft | None:
        if ticket.status in CLOSED_STATUSES:
            return None  # already done: pressing twice is not an error
        set_status(ticket, "resolved")
        return Draft(SYSTEM_EVENT, INTERNAL, "Resolved by the customer.", principal, author.name,
                     details={"event": "resolved_by_customer"})

    commit(
        lambda: access.customer_ticket(principal, ticket_id, requester_only=True), rule, settings
    )
    return customer_view(principal, ticket_id)


def rate(principal: Principal, ticket_id: str, score: int, comment: str) -> TicketRating:
    settings = get_portal_settings()
    author = load_user(principal.user_id)

    def rule(ticket: TicketModel) -> Draft:
        if ticket.status not in CLOSED_STATUSES:
            raise Conflict("A ticket can be rated once it is resolved.", code="not_resolved")
        ticket.rating, ticket.rating_comment = score, comment.strip() or None
        return Draft(SYSTEM_EVENT, INTERNAL, f"Rated {score}/5.", principal, author.name,
                     details={"event": "rated", "score": score})

    commit(
        lambda: access.customer_ticket(principal, ticket_id, requester_only=True), rule, settings,
        touch=False,
    )
    return {"rating": score, "comment": comment.strip() or None}

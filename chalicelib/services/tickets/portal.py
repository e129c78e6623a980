"""The customer's side of tickets: the lists, the detail and its thread, replying, resolving
and rating. Every read and write starts with the portal's access check (access.py)."""

from __future__ import annotations

from collections.abc import Sequence

from chalicelib import clock
from chalicelib.data import messages as message_store
from chalicelib.data import notifications as feed_store
from chalicelib.data import reads as read_store
from chalicelib.data import tickets as store
from chalicelib.data.messages import INTERNAL, PUBLIC
from chalicelib.data.tickets import CLOSED_STATUSES, TicketFilter, TicketModel
from chalicelib.errors import Conflict, Forbidden, InvalidInput
from chalicelib.observability import count
from chalicelib.services import followers, mailbox, search
from chalicelib.services.attachments.reading import attachable
from chalicelib.services.identity import language_of, reading_language
from chalicelib.services.principal import CUSTOMER, Principal
from chalicelib.services.settings import PortalSettings, get_portal_settings
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
from chalicelib.shapes.mailbox import FolderCounts
from chalicelib.shapes.tickets import (
    CustomerEarlierMessages,
    CustomerMessage,
    CustomerNewMessages,
    CustomerTicketPage,
    CustomerTicketView,
    TicketRating,
)

# The ticket list's status filter beyond open / closed / all: the tickets with an answer to the
# caller they have not read.
UNREAD = "unread"


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
    newest_first: bool = True,
) -> CustomerTicketPage:
    if status == UNREAD:
        return _unread_tickets(principal, scope=scope, q=q, topic=topic, sort=sort, limit=limit,
                               cursor=cursor, newest_first=newest_first)
    if scope == "following":
        return followers.followed_tickets(principal, status=status, q=q, topic=topic,
                                          limit=limit, cursor=cursor)
    settings = get_portal_settings()
    if scope == "org":
        partition, key = "org", _org_of(principal, settings)
    else:
        partition, key = "requester", principal.user_id
    number = ticket_number(q)
    if number is not None:
        found = store.find_by_number(number)
        items = [found] if found and access.customer_may_see(principal, found, settings) else []
        items = [t for t in items if not t.merged_into]  # its survivor stands for it
        items = [t for t in items if t.requester_id == principal.user_id or scope == "org"]
        return views.customer_list(principal, items, None, settings)
    if q.strip():  # words: the search index (services/search.py), narrowed as the lists are
        hits = search.customer_search(
            principal, q, partition=partition, owner=key, topic=topic, settings=settings,
            state=status if status in ("open", "closed") else None, limit=limit, cursor=cursor,
            newest_first=newest_first)
        return views.customer_list(principal, hits.tickets, hits.cursor, settings)
    narrow = _narrow(status, q, topic, settings)
    page = store.query_tickets(partition, key, sort, limit=limit, cursor=cursor, narrow=narrow,
                               newest_first=newest_first)
    return views.customer_list(principal, page.items, page.cursor, settings)


def _org_of(principal: Principal, settings: PortalSettings) -> str:
    """The caller's organization, whose list only the organization view may read."""
    if not (settings.org_view_enabled and principal.org_view and principal.org_id):
        raise Forbidden("Your account does not have the organization view.", code="no_org_view")
    return principal.org_id or ""


def _narrow(status: str, q: str, topic: str | None, settings: PortalSettings) -> TicketFilter:
    return TicketFilter(
        state=status if status in ("open", "closed") else None,
        topic=topic,
        words=search_words(q),
        customer_text=True,
        hidden_topics=settings.hidden_topics,
        hidden_channels=settings.hidden_channels,
        unmerged=True,  # a merged ticket's survivor stands for it (tickets/merge.py)
    )


def _unread_tickets(
    principal: Principal, *, scope: str, q: str, topic: str | None, sort: str, limit: int,
    cursor: str | None, newest_first: bool,
) -> CustomerTicketPage:
    """"Unread": the tickets holding an answer to the caller they have not read (the marker of
    data/reads.py), by that answer's time: one Query of the caller's own partition of the
    unread index and one batch of tickets, narrowed as the other lists are (a page may come
    back short, with a cursor to go on). Answers go to the requester and the followers, so the
    list is the caller's own in every scope: in the organization's it holds the colleagues'
    tickets the caller follows too, never one answered to a colleague alone."""
    settings = get_portal_settings()
    if sort != "activity":
        raise InvalidInput(
            "Unread tickets are listed by their latest answer only: sort by activity.",
            details=[{"field": "sort", "code": "invalid_choice",
                      "message": "Sort is not one of the choices."}],
        )
    org = _org_of(principal, settings) if scope == "org" else None
    narrow = _narrow("all", q, topic, settings)
    page = read_store.unread_page(principal.user_id, limit=limit, cursor=cursor,
                                  newest_first=newest_first)
    tickets = store.get_tickets(page.ticket_ids)

    def in_scope(ticket: TicketModel) -> bool:
        if org is not None:
            return ticket.org_id == org
        mine = ticket.requester_id == principal.user_id
        return not mine if scope == "following" else mine

    items = [
        ticket for ticket_id in page.ticket_ids
        if (ticket := tickets.get(ticket_id)) is not None
        and access.customer_may_see(principal, ticket, settings)
        and in_scope(ticket) and narrow.admits(ticket)
    ]
    return views.customer_list(principal, items, page.cursor, settings)


def customer_view(
    principal: Principal, ticket_id: str, *, language: str | None = None
) -> CustomerTicketView:
    """Ticket detail for the customer: the newest page of the public thread (oldest first) and
    a cursor to the page before it; reading it marks it read. `language`: the caller's, when
    the caller's account was read already."""
    settings = get_portal_settings()
    seen_at = clock.now()
    ticket = access.customer_ticket(principal, ticket_id)
    thread, earlier = public_page(ticket.ticket_id, None)
    _read_everywhere(principal, ticket, int(ticket.last_public_seq), until=seen_at)
    refusal = access.reply_refusal(ticket, settings)
    decides = access.decides(principal, ticket)
    closed = ticket.status in CLOSED_STATUSES
    return {
        "ticket": views.customer_summary(
            ticket, settings, reader=principal, unread=False,
            language=language or reading_language(principal.user_id)),
        "messages": [views.customer_message(m, principal, settings) for m in thread],
        "earlier_cursor": earlier,
        "message_count": int(ticket.public_count),
        "can_reply": refusal is None,
        "reply_refusal": refusal.shown() if refusal else None,
        "can_resolve": decides and not closed,
        "can_rate": decides and closed,
    }


def customer_read(principal: Principal, ticket_id: str, seq: int) -> FolderCounts:
    """A page that has the ticket open showed what arrived while it was (a live update): the
    public messages up to `seq` are read, everywhere; the folders' counts after it."""
    ticket = access.customer_ticket(principal, ticket_id)
    shown = min(seq, int(ticket.last_public_seq))
    last = message_store.list_thread(ticket.ticket_id, PUBLIC, after_seq=shown - 1, limit=1,
                                     cursor=None).items
    if last:
        _read_everywhere(principal, ticket, shown, until=float(last[0].created_at))
    return mailbox.folder_counts(principal)


def _read_everywhere(principal: Principal, ticket: TicketModel, shown: int, *,
                     until: float) -> None:
    """Reading a ticket reads it wherever the customer is told of it, up to what they were
    shown (public messages up to `shown`, events up to `until`): the list's unread marker, the
    Inbox entries and the feed items, so the three never disagree. An answer that arrives
    meanwhile stays unread in all three."""
    read_store.clear_unread(principal.user_id, ticket.ticket_id, shown)
    mailbox.mark_ticket_read(principal.user_id, ticket.ticket_id, shown)
    feed_store.mark_ticket_read(principal.user_id, ticket.ticket_id, until=until)


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
        "ticket": views.customer_summary(
            ticket, settings, reader=principal, unread=False,
            language=reading_language(principal.user_id)),
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
    # Her own message marks nothing unread; what she read, the page that showed it said
    # (customer_view, customer_read): replying is not reading, as a reply by mail is not.
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
    return customer_view(principal, ticket_id, language=language_of(author))


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

"""The agent's side of tickets: the console's lists, the whole thread with internal notes, the
answer actions, assigning, the conversation's title and status, closing, blocking messaging,
and the teammate picker."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from chalicelib.data import messages as message_store
from chalicelib.data import reads as read_store
from chalicelib.data import tickets as store
from chalicelib.data import users as user_store
from chalicelib.data.messages import INTERNAL, PUBLIC, position_of
from chalicelib.data.tickets import CLOSED_STATUSES, TicketFilter, TicketModel
from chalicelib.errors import Conflict, Forbidden, InvalidInput
from chalicelib.observability import count
from chalicelib.services import audit, search, suppressions
from chalicelib.services.attachments.reading import attachable
from chalicelib.services.principal import CUSTOMER, Principal
from chalicelib.services.settings import get_portal_settings
from chalicelib.services.tickets import access, tags, views
from chalicelib.services.tickets.collisions import Seen, refuse_if_changed
from chalicelib.services.tickets.commit import commit
from chalicelib.services.tickets.drafts import (
    AGENT_REPLY,
    INTERNAL_NOTE,
    RESOLVE_NOTE,
    SYSTEM_EVENT,
    Draft,
    check_body,
    load_user,
    set_status,
)
from chalicelib.services.tickets.search import ticket_number
from chalicelib.services.tickets.threads import STAFF_READER, staff_after, staff_page
from chalicelib.shapes.tickets import (
    ConsoleEarlierMessages,
    ConsoleMessage,
    ConsoleNewMessages,
    ConsoleTicketPage,
    ConsoleTicketView,
    Teammate,
)

# The agent's answer actions: (message kind, visibility, status afterwards or None to keep).
ANSWERS: dict[str, tuple[str, str, str | None]] = {
    "send": (AGENT_REPLY, PUBLIC, "resolved"),
    "send_leave_open": (AGENT_REPLY, PUBLIC, "open"),
    "resolve_silently": (RESOLVE_NOTE, INTERNAL, "resolved"),
    "note": (INTERNAL_NOTE, INTERNAL, None),
}

# What an agent may set by hand on an open conversation: waiting on the customer, or not.
AGENT_STATUSES = ("open", "pending")

UNSET: Any = object()  # `assign`: the caller did not say whom it saw assigned


# ---------------------------------------------------------------------------------------------
# Reading


def list_console_tickets(
    principal: Principal,
    *,
    status: str,
    assignee: str | None,
    team: str | None,
    q: str,
    limit: int,
    cursor: str | None,
    tag: str | None = None,
) -> ConsoleTicketPage:
    state = store.CLOSED_CLASS if status == "closed" else store.OPEN_CLASS
    wanted = [tags.normalise(tag)] if tag else []
    number = ticket_number(q)
    if number is not None:
        found = store.find_by_number(number)
        if found is not None and not set(wanted) <= set(found.tags or []):
            found = None
        return views.console_list(principal, [found] if found else [], None)
    assignee_id = (
        {"me": principal.user_id, "none": store.UNASSIGNED}.get(assignee, assignee)
        if assignee else None
    )
    # Words or a tag: the search index (services/search.py; a tag is a staff term), narrowed as
    # the lists are.
    if q.strip() or wanted:
        hits = search.staff_search(q, state=state, assignee_id=assignee_id, team=team,
                                   limit=limit, cursor=cursor, tags=wanted)
        return views.console_list(principal, hits.tickets, hits.cursor)
    if assignee_id:
        page = store.query_tickets(
            "assignee", f"{assignee_id}#{state}", "activity", limit=limit, cursor=cursor,
            narrow=TicketFilter(team_id=team),
        )
    elif team:
        page = store.query_tickets(
            "team", f"{team}#{state}", "activity", limit=limit, cursor=cursor
        )
    else:
        page = store.query_tickets("state", state, "activity", limit=limit, cursor=cursor)
    return views.console_list(principal, page.items, page.cursor)


def console_view(principal: Principal, ticket_id: str) -> ConsoleTicketView:
    """The newest page of the whole thread, internal notes included, in the order written, and
    a cursor to the page before it."""
    ticket = access.staff_ticket(principal, ticket_id)
    thread, earlier = staff_page(ticket.ticket_id, {})
    read_store.mark_read(principal.user_id, ticket.ticket_id, int(ticket.last_seq))
    people = user_store.get_users(
        [ticket.requester_id] + ([ticket.assignee_id] if ticket.assignee_id else [])
    )
    summary = views.console_summary(ticket, people, unread=False)
    # Mail to a bounced or complaining address is refused: agents must see why it goes unread.
    suppression = suppressions.suppression_detail(summary["requester"]["email"])
    summary["requester"]["email_suppressed"] = suppression is not None
    summary["requester"]["suppression"] = suppression
    return {
        "ticket": summary,
        "messages": [views.console_message(m) for m in thread],
        "earlier_cursor": earlier,
        "message_count": int(ticket.message_count),
        "public_count": int(ticket.public_count),
        "troubleshooter": ticket.troubleshooter,
    }


def console_new_messages(
    principal: Principal, ticket_id: str, after: int
) -> ConsoleNewMessages:
    """What was written after position `after` (the polling fallback of live updates), oldest
    first: one query per partition (data/messages.py says how the public one is found)."""
    ticket = access.staff_ticket(principal, ticket_id)
    found = staff_after(ticket, after)
    return {
        "messages": [views.console_message(m) for m in found],
        "last_seq": max([after] + [position_of(m) for m in found]),
    }


def console_earlier_messages(
    principal: Principal, ticket_id: str, cursor: str
) -> ConsoleEarlierMessages:
    """The page of the whole thread before an `earlier_cursor` (oldest first), and the cursor
    to the one before it."""
    ticket = access.staff_ticket(principal, ticket_id)
    bounds = message_store.decode_earlier(ticket.ticket_id, STAFF_READER, cursor)
    thread, earlier = staff_page(ticket.ticket_id, bounds)
    return {"messages": [views.console_message(m) for m in thread], "earlier_cursor": earlier}


def search_agents(q: str, limit: int) -> list[Teammate]:
    """The teammate picker: active staff whose name or address holds every word typed, in any
    part ("agent2", "Martin Kim", "acme-support")."""
    words = list(dict.fromkeys(q.casefold().split()))[:4]
    return [
        {"id": u.user_id, "name": u.name, "email": u.email, "team_ids": sorted(u.team_ids or [])}
        for u in user_store.find_staff(words, limit)
        if u.status == "active"
    ]


# ---------------------------------------------------------------------------------------------
# Answering and changing a conversation


def answer(
    principal: Principal, ticket_id: str, action: str, body: str,
    attachment_ids: Sequence[str] = (), seen: Seen | None = None,
) -> ConsoleMessage:
    """Send / Send and leave open / Resolve silently / Internal note. `seen`: what the agent's
    page showed; someone else's message or another assignee since is 409 (collisions.py)."""
    if action not in ANSWERS:
        raise InvalidInput(f"action must be one of {', '.join(ANSWERS)}.", code="unknown_action")
    kind, visibility, new_status = ANSWERS[action]
    body = check_body(body)
    author = load_user(principal.user_id)
    settings = get_portal_settings()

    def rule(ticket: TicketModel) -> Draft:
        # Checked on the ticket the transaction is conditioned on: of two answers sent at once
        # on the same expectation, the second one's retry finds the first one's message.
        refuse_if_changed(principal, ticket, seen or Seen())
        details: dict[str, Any] = {"action": action}
        if ticket.assignee_id is None and action != "note":
            # Replying takes the conversation; the answer says so, as the history's line.
            ticket.assignee_id = principal.user_id
            details["assigned"] = {"assignee_id": principal.user_id, "assignee_name": author.name}
        if new_status:
            set_status(ticket, new_status)
        elif ticket.status == "new" and visibility == PUBLIC:
            set_status(ticket, "open")
        # A file on an internal note is internal; one sent with a public answer becomes public.
        attached = attachable(principal, ticket.ticket_id, attachment_ids, visibility)
        return Draft(kind, visibility, body, principal, author.name, details=details,
                     attachment_ids=attached)

    # A note moves the console's activity time, never the customer's (only public messages do).
    message = commit(lambda: access.staff_ticket(principal, ticket_id), rule, settings)
    assert message is not None  # the rule always drafts a message or raises
    read_store.mark_read(principal.user_id, ticket_id, position_of(message))
    count("AgentAnswer", action=action)
    return views.console_message(message)


def assign(
    principal: Principal, ticket_id: str, assignee_id: str | None, expected: Any = UNSET
) -> ConsoleTicketView:
    assign_ticket(principal, ticket_id, assignee_id, expected)
    return console_view(principal, ticket_id)


def assign_ticket(
    principal: Principal, ticket_id: str, assignee_id: str | None, expected: Any = UNSET
) -> None:
    """Assign to any agent, or to nobody. `expected` is who the caller saw assigned: when two
    agents assign at the same moment, the second finds the ticket changed and gets 409. (The
    bulk actions, tickets/bulk.py, apply it to each ticket without reading its view.)"""
    settings = get_portal_settings()
    target_name = ""
    if assignee_id is not None:
        # An empty id is no key DynamoDB accepts: refuse it as no agent rather than fail.
        target = user_store.get_user(assignee_id) if assignee_id else None
        if target is None or target.role == CUSTOMER or target.status != "active":
            raise InvalidInput("The assignee must be an active agent.", code="unknown_agent")
        target_name = target.name
    author = load_user(principal.user_id)
    first_seen: dict[str, Any] = {}

    def rule(ticket: TicketModel) -> Draft | None:
        seen = first_seen.setdefault("assignee", ticket.assignee_id)
        wanted = seen if expected is UNSET else expected
        if ticket.assignee_id != wanted:
            raise Conflict(
                "Someone else changed the assignee meanwhile.", code="assignee_changed",
                details={"assignee_id": ticket.assignee_id},
            )
        if ticket.assignee_id == assignee_id:
            return None
        ticket.assignee_id = assignee_id
        text = f"Assigned to {target_name}." if assignee_id else "Unassigned."
        return Draft(SYSTEM_EVENT, INTERNAL, text, principal, author.name,
                     details={"event": "assigned", "assignee_id": assignee_id,
                              "assignee_name": target_name or None})

    commit(lambda: access.staff_ticket(principal, ticket_id), rule, settings, touch=False)


def update_conversation(
    principal: Principal, ticket_id: str, *, title: str | None = None, status: str | None = None
) -> ConsoleTicketView:
    """The console's edits of a conversation: its title, and whether it waits on the customer.
    Both are checked before either is written; the status first, as only it can be refused by
    the ticket's state."""
    if title is not None:
        title = re.sub(r"\s+", " ", title).strip()
        if not title:
            raise InvalidInput("The title is empty.", code="empty_title")
    if status is not None and status not in AGENT_STATUSES:
        raise InvalidInput(
            f"status must be one of {', '.join(AGENT_STATUSES)}.", code="unknown_status"
        )
    author = load_user(principal.user_id)
    if status is not None:
        _restatus(principal, author, ticket_id, status)
    if title is not None:
        _retitle(principal, author, ticket_id, title)
    return console_view(principal, ticket_id)


def _restatus(
    principal: Principal, author: user_store.UserModel, ticket_id: str, status: str
) -> None:
    """Pending: the team waits on the customer (customers see Open unless every status is
    shown; their next message makes it open again). Open: no longer waiting."""

    def rule(ticket: TicketModel) -> Draft | None:
        if ticket.status in CLOSED_STATUSES:
            raise Conflict(
                "This conversation is resolved or closed; answer it to reopen it.",
                code="ticket_not_open",
            )
        if ticket.status == status:
            return None
        set_status(ticket, status)
        text = "Waiting on the customer." if status == "pending" else "No longer waiting."
        return Draft(SYSTEM_EVENT, INTERNAL, text, principal, author.name,
                     details={"event": "status", "status": status})

    commit(lambda: access.staff_ticket(principal, ticket_id), rule, get_portal_settings(),
           touch=False)


def _retitle(
    principal: Principal, author: user_store.UserModel, ticket_id: str, title: str
) -> None:
    def rule(ticket: TicketModel) -> Draft | None:
        if ticket.title == title:
            return None
        old, ticket.title = ticket.title, title[:200]
        return Draft(SYSTEM_EVENT, INTERNAL, f"Title changed from “{old}”.", principal,
                     author.name, details={"event": "title", "old": old})

    commit(lambda: access.staff_ticket(principal, ticket_id), rule, get_portal_settings(),
           touch=False)


def close(principal: Principal, ticket_id: str, reason: str | None = None) -> ConsoleTicketView:
    close_ticket(principal, ticket_id, reason)
    return console_view(principal, ticket_id)


def close_ticket(principal: Principal, ticket_id: str, reason: str | None = None) -> None:
    """Close, as the assignee (also each ticket of a bulk close, tickets/bulk.py). An admin may
    close a conversation someone else holds (or nobody), abandoned, only saying why: the reason
    goes on the history line and the admin's override into the audit trail. Other agents stay
    refused: a conversation is closed by whoever answers for it."""
    reason = " ".join((reason or "").split())
    author = load_user(principal.user_id)
    overridden: dict[str, Any] = {}

    def rule(ticket: TicketModel) -> Draft | None:
        overridden.clear()  # a retry after a conflict decides again on the fresh ticket
        if ticket.assignee_id != principal.user_id:
            if not principal.is_admin:
                raise Forbidden("Only the assignee can close this conversation.",
                                code="not_assignee")
            if not reason:
                raise InvalidInput("Say why you close a conversation someone else holds.",
                                   code="close_reason_required")
        if ticket.status == "closed":
            return None
        details: dict[str, Any] = {"event": "closed"}
        if reason:
            details["reason"] = reason
        if ticket.assignee_id != principal.user_id:
            details["assignee_id"] = ticket.assignee_id
            overridden.update(number=int(ticket.number), assignee_id=ticket.assignee_id)
        set_status(ticket, "closed")
        return Draft(SYSTEM_EVENT, INTERNAL, f"Closed: {reason}" if reason else "Closed.",
                     principal, author.name, details=details)

    commit(lambda: access.staff_ticket(principal, ticket_id), rule, get_portal_settings())
    if overridden:
        held = overridden["assignee_id"]
        holder = user_store.get_user(held) if held else None
        audit.record("ticket.close", actor=principal, target=f"ticket:{ticket_id}", details={
            "number": overridden["number"], "reason": reason,
            "assignee": holder.name if holder is not None else None,
        })


def set_blocked(
    principal: Principal, ticket_id: str, blocked: bool, reason: str
) -> ConsoleTicketView:
    """Block or unblock the customer's messaging (access.blocked_refusal says what it stops)."""
    reason = reason.strip()
    if blocked and not reason:
        raise InvalidInput(
            "Say why messaging is blocked; the customer sees it.", code="empty_reason"
        )
    author = load_user(principal.user_id)

    def rule(ticket: TicketModel) -> Draft | None:
        unchanged_reason = not blocked or ticket.blocked_reason == reason
        if bool(ticket.messaging_blocked) == blocked and unchanged_reason:
            return None
        ticket.messaging_blocked = blocked
        ticket.blocked_reason = reason if blocked else None
        text = f"Messaging blocked: {reason}" if blocked else "Messaging unblocked."
        return Draft(SYSTEM_EVENT, INTERNAL, text, principal, author.name,
                     details={"event": "blocked", "reason": reason} if blocked
                     else {"event": "unblocked"})

    commit(lambda: access.staff_ticket(principal, ticket_id), rule, get_portal_settings(),
           touch=False)
    return console_view(principal, ticket_id)

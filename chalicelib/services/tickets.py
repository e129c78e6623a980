"""Conversations: creating tickets, the customer's and the agent's views, and every answer.

Every change to a ticket goes through `_commit`: read the ticket, let a rule function check and
change it, then store the ticket, one message (the reply, the note, or a system event that
records the change) and the folder entries in one transaction conditioned on the ticket's
version. A concurrent writer makes the transaction fail; the rule runs again on the fresh
ticket, so nothing is lost and no rule is checked against a stale state.
"""

from __future__ import annotations

import random
import re
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from chalicelib import clock
from chalicelib.data import messages as message_store
from chalicelib.data import reads as read_store
from chalicelib.data import tickets as store
from chalicelib.data import users as user_store
from chalicelib.data.counters import next_value
from chalicelib.data.mailbox import INBOX, SENT, MailboxModel, new_entry
from chalicelib.data.messages import INTERNAL, PUBLIC, MessageModel, position_of, thread_key
from chalicelib.data.tickets import CLOSED_STATUSES, OPEN_STATUSES, TicketModel
from chalicelib.errors import Conflict, Forbidden, InvalidInput, NotFound
from chalicelib.observability import count
from chalicelib.services import attachments, mailbox, suppressions, troubleshooters
from chalicelib.services.principal import CUSTOMER, Principal
from chalicelib.services.settings import PortalSettings, get_portal_settings

MAX_BODY = 10_000
TITLE_LENGTH = 80
SEARCH_WORDS = 8
FIRST_NUMBER = 1001
COMMIT_ATTEMPTS = 40
SYSTEM = "system"
# Messages per page of a thread: the detail's newest page, each earlier page, each poll. A few
# Query calls at most whatever the length of the thread (data/base.py:query_page).
THREAD_PAGE = 100
STAFF_READER = "staff"  # whose earlier-page cursors: the console's (the portal's: CUSTOMER)

# Message kinds
CUSTOMER_MESSAGE = "customer_message"
AGENT_REPLY = "agent_reply"
INTERNAL_NOTE = "internal_note"
RESOLVE_NOTE = "resolve_note"
SYSTEM_EVENT = "system_event"

# The agent's answer actions: (message kind, visibility, status afterwards or None to keep).
ANSWERS: dict[str, tuple[str, str, str | None]] = {
    "send": (AGENT_REPLY, PUBLIC, "resolved"),
    "send_leave_open": (AGENT_REPLY, PUBLIC, "open"),
    "resolve_silently": (RESOLVE_NOTE, INTERNAL, "resolved"),
    "note": (INTERNAL_NOTE, INTERNAL, None),
}

# What an agent may set by hand on an open conversation: waiting on the customer, or not.
AGENT_STATUSES = ("open", "pending")


@dataclass
class Draft:
    """What a rule function wants stored with the ticket change."""

    kind: str
    visibility: str
    body: str
    author: Principal | None
    author_name: str = ""
    details: dict[str, Any] | None = None
    channel: str = "portal"
    attachment_ids: tuple[str, ...] = ()  # checked files that go with the message


def check_body(body: str) -> str:
    if not isinstance(body, str) or not body.strip():
        raise InvalidInput("The message is empty.", code="empty_message")
    if len(body) > MAX_BODY:
        raise InvalidInput(
            f"The message is longer than {MAX_BODY} characters.", code="message_too_long"
        )
    return body.strip("\n")


def default_title(body: str) -> str:
    """The start of the first message, cut at a word boundary."""
    flat = re.sub(r"\s+", " ", body).strip()
    if len(flat) <= TITLE_LENGTH:
        return flat
    cut = flat[:TITLE_LENGTH].rsplit(" ", 1)[0] or flat[:TITLE_LENGTH]
    return cut + "…"


# ---------------------------------------------------------------------------------------------
# Creating tickets


def create_ticket(
    principal: Principal,
    *,
    topic: str,
    subject: str,
    body: str | None,
    troubleshooter: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A customer opens a ticket from the portal's form, or from a troubleshooter."""
    settings = get_portal_settings()
    if principal.role != CUSTOMER or not principal.org_id:
        raise Forbidden("Only customers of an organization open tickets here.")
    channel = "troubleshooter" if troubleshooter else "portal"
    if troubleshooter:
        troubleshooter = troubleshooters.checked(settings, troubleshooter, topic)
    if settings.hides(topic, channel):
        # A ticket the customer could not see once opened: refuse it like an unknown topic.
        raise _unknown_topic(settings)
    title = None
    if troubleshooter and not (body or "").strip():
        # Nothing typed: the summary is the first message, and the form's name (rather than
        # "Troubleshooter: ..." cut at 80 characters) the console's title.
        body = _summary_text(troubleshooter)
        title = default_title(troubleshooter.get("name", "")) or None
    ticket = _open_ticket(
        settings,
        requester=_user(principal.user_id),
        creator=principal,
        topic=topic,
        subject=subject or (troubleshooter or {}).get("name", ""),
        body=check_body(body or ""),
        channel=channel,
        kind=CUSTOMER_MESSAGE,
        troubleshooter=troubleshooter,
        title=title,
    )
    count("TicketCreated")
    return customer_view(principal, ticket.ticket_id)


def create_on_behalf(
    principal: Principal, *, requester_id: str, topic: str, subject: str, body: str
) -> dict[str, Any]:
    """An agent opens a ticket for a customer (phone call, walk-in): assigned to the agent."""
    settings = get_portal_settings()
    requester = user_store.get_user(requester_id)
    if requester is None or requester.role != CUSTOMER or not requester.org_id:
        raise InvalidInput("The requester must be an existing customer.", code="unknown_requester")
    ticket = _open_ticket(
        settings,
        requester=requester,
        creator=principal,
        topic=topic,
        subject=subject,
        body=check_body(body),
        channel="agent",
        kind=AGENT_REPLY,
        assignee_id=principal.user_id,
    )
    count("TicketCreated")
    return console_view(principal, ticket.ticket_id)


def _open_ticket(
    settings: PortalSettings,
    *,
    requester: user_store.UserModel,
    creator: Principal,
    topic: str,
    subject: str,
    body: str,
    channel: str,
    kind: str,
    troubleshooter: dict[str, Any] | None = None,
    title: str | None = None,
    assignee_id: str | None = None,
    ticket_id: str | None = None,
    details: dict[str, Any] | None = None,
) -> TicketModel:
    topic_config = settings.topic(topic)
    if topic_config is None:
        raise _unknown_topic(settings)
    subject = re.sub(r"\s+", " ", subject or "").strip()
    if not subject:
        raise InvalidInput("The subject is empty.", code="empty_subject")
    now = clock.now()
    ticket = TicketModel(
        ticket_id=ticket_id or uuid.uuid4().hex,
        number=next_value("ticket_number", FIRST_NUMBER - 1),
        title=title or default_title(body),
        subject=subject[:200],
        topic=topic_config.id,
        channel=channel,
        status="open" if assignee_id else "new",
        requester_id=requester.user_id,
        org_id=requester.org_id or "",
        assignee_id=assignee_id,
        team_id=topic_config.team_id,
        troubleshooter=troubleshooter,
        created_at=now,
        last_activity_at=now,
        public_activity_at=now,
        created_by=creator.user_id,
    )
    draft = Draft(
        kind=kind,
        visibility=PUBLIC,
        body=body,
        author=creator,
        author_name=_user(creator.user_id).name,
        details=details,
        channel=channel if channel != "troubleshooter" else "portal",
    )
    _store(ticket, draft, settings)
    read = ticket.last_public_seq if creator.role == CUSTOMER else ticket.last_seq
    read_store.mark_read(creator.user_id, ticket.ticket_id, int(read))
    return ticket


def _unknown_topic(settings: PortalSettings) -> InvalidInput:
    # Hidden topics are left out: this answer also reaches customers.
    return InvalidInput(
        "Choose one of the configured topics.",
        code="unknown_topic",
        details={"topics": [t.id for t in settings.customer_topics()]},
    )


def _summary_text(troubleshooter: dict[str, Any]) -> str:
    """One line a question: an answer's own line breaks are folded, so that no answer can add a
    line that reads as another question answered."""
    def line(text: Any) -> str:
        return re.sub(r"\s+", " ", str(text)).strip()

    def answered(question: str, answer: str) -> str:
        # "Which device? Laptop", not "Which device?: Laptop"
        end = ("?", ":", "!", ".")
        return f"{question} {answer}" if question.endswith(end) else f"{question}: {answer}"

    lines = [f"Troubleshooter: {line(troubleshooter.get('name', ''))}"]
    for qa in troubleshooter.get("answers", []):
        lines.append(f"- {answered(line(qa['question']), line(qa['answer']))}")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# The customer's side


def customer_ticket(
    principal: Principal, ticket_id: str, *, requester_only: bool = False
) -> TicketModel:
    """The one access check of the portal: mine, or my organization's when both the portal and
    my account allow it, and not hidden by the admin's rules. Anything else is the same 404 as a
    ticket that does not exist. Closing and rating are the requester's own decisions."""
    settings = get_portal_settings()
    ticket = store.get_ticket(ticket_id) if principal.role == CUSTOMER else None
    if ticket is None or not customer_may_see(principal, ticket, settings):
        raise NotFound("No such ticket.", code="ticket_not_found")
    if requester_only and ticket.requester_id != principal.user_id:
        raise Forbidden("Only the person who opened this ticket can do this.", code="not_requester")
    return ticket


def customer_may_see(principal: Principal, ticket: TicketModel, settings: PortalSettings) -> bool:
    if ticket.topic in settings.hidden_topics or ticket.channel in settings.hidden_channels:
        return False
    if ticket.requester_id == principal.user_id:
        return True
    return (
        settings.org_view_enabled
        and principal.org_view
        and bool(principal.org_id)
        and ticket.org_id == principal.org_id
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
) -> dict[str, Any]:
    settings = get_portal_settings()
    if scope == "org":
        if not (settings.org_view_enabled and principal.org_view and principal.org_id):
            raise Forbidden("Your account does not have the organization view.", code="no_org_view")
        partition, key = "org", principal.org_id or ""
    else:
        partition, key = "requester", principal.user_id
    number = _ticket_number(q)
    if number is not None:
        found = store.find_by_number(number)
        items = [found] if found and customer_may_see(principal, found, settings) else []
        items = [t for t in items if t.requester_id == principal.user_id or scope == "org"]
        return _customer_list(principal, items, None, settings)
    condition = _filters(status=status, q=q, topic=topic, for_customer=True)
    if settings.hidden_topics:
        condition = _and(condition, ~TicketModel.topic.is_in(*settings.hidden_topics))
    if settings.hidden_channels:
        condition = _and(condition, ~TicketModel.channel.is_in(*settings.hidden_channels))
    page = store.query_tickets(
        partition, key, sort, limit=limit, cursor=cursor, filter_condition=condition
    )
    return _customer_list(principal, page.items, page.cursor, settings)


def customer_view(principal: Principal, ticket_id: str) -> dict[str, Any]:
    """Ticket detail for the customer: the newest page of the public thread (oldest first) and
    a cursor to the page before it; reading it marks it read."""
    settings = get_portal_settings()
    ticket = customer_ticket(principal, ticket_id)
    thread, earlier = _public_page(ticket.ticket_id, None)
    read_store.mark_read(principal.user_id, ticket.ticket_id, int(ticket.last_public_seq))
    mailbox.mark_ticket_read(principal.user_id, ticket.ticket_id)
    return {
        "ticket": _customer_summary(ticket, settings, unread=False),
        "messages": [_customer_message(m, principal, settings) for m in thread],
        "earlier_cursor": earlier,
        "message_count": int(ticket.public_count),
        "can_reply": _customer_reply_refusal(ticket, settings) is None,
        "reply_refusal": _customer_reply_refusal(ticket, settings),
        "can_rate": ticket.status in CLOSED_STATUSES,
    }


def customer_new_messages(principal: Principal, ticket_id: str, after: int) -> dict[str, Any]:
    """What is new since `after` (the polling fallback of live updates)."""
    settings = get_portal_settings()
    ticket = customer_ticket(principal, ticket_id)
    page = message_store.list_thread(
        ticket.ticket_id, PUBLIC, after_seq=after, limit=THREAD_PAGE, cursor=None
    )
    return {
        "messages": [_customer_message(m, principal, settings) for m in page.items],
        "ticket": _customer_summary(ticket, settings, unread=False),
        "last_seq": max([after] + [int(m.seq) for m in page.items]),
    }


def customer_earlier_messages(principal: Principal, ticket_id: str, cursor: str) -> dict[str, Any]:
    """The page of the public thread before an `earlier_cursor` (oldest first), and the cursor
    to the one before it."""
    settings = get_portal_settings()
    ticket = customer_ticket(principal, ticket_id)
    bounds = message_store.decode_earlier(ticket.ticket_id, CUSTOMER, cursor)
    thread, earlier = _public_page(ticket.ticket_id, bounds.get(PUBLIC))
    return {
        "messages": [_customer_message(m, principal, settings) for m in thread],
        "earlier_cursor": earlier,
    }


def _public_page(ticket_id: str, before: int | None) -> tuple[list[MessageModel], str | None]:
    # One more than a page tells whether anything is left before it.
    newest = message_store.latest_in_thread(
        ticket_id, PUBLIC, before_seq=before, limit=THREAD_PAGE + 1
    )
    shown = newest[:THREAD_PAGE]
    earlier = None
    if len(newest) > THREAD_PAGE:
        earlier = message_store.encode_earlier(ticket_id, CUSTOMER, {PUBLIC: int(shown[-1].seq)})
    return shown[::-1], earlier


def customer_reply(
    principal: Principal, ticket_id: str, body: str, attachment_ids: Sequence[str] = ()
) -> dict[str, Any]:
    body = check_body(body)
    author = _user(principal.user_id)
    settings = get_portal_settings()

    def rule(ticket: TicketModel) -> Draft:
        refusal = _customer_reply_refusal(ticket, settings)
        if refusal:
            raise Conflict(refusal["message"], code=refusal["code"])
        if ticket.status in CLOSED_STATUSES or ticket.status == "pending":
            _set_status(ticket, "open")  # the customer answered: the team's turn again
        attached = attachments.attachable(principal, ticket.ticket_id, attachment_ids, PUBLIC)
        return Draft(CUSTOMER_MESSAGE, PUBLIC, body, principal, author.name,
                     attachment_ids=attached)

    message = _commit(lambda: customer_ticket(principal, ticket_id), rule, settings)
    assert message is not None  # the rule always drafts a message or raises
    read_store.mark_read(principal.user_id, ticket_id, int(message.seq))
    count("CustomerReply")
    return _customer_message(message, principal, settings)


def customer_resolve(principal: Principal, ticket_id: str) -> dict[str, Any]:
    """The customer's "OK, resolved"."""
    settings = get_portal_settings()
    author = _user(principal.user_id)

    def rule(ticket: TicketModel) -> Draft | None:
        if ticket.status in CLOSED_STATUSES:
            return None  # already done: pressing twice is not an error
        _set_status(ticket, "resolved")
        return Draft(SYSTEM_EVENT, INTERNAL, "Resolved by the customer.", principal, author.name,
                     details={"event": "resolved_by_customer"})

    _commit(lambda: customer_ticket(principal, ticket_id, requester_only=True), rule, settings)
    return customer_view(principal, ticket_id)


def rate(principal: Principal, ticket_id: str, score: int, comment: str) -> dict[str, Any]:
    settings = get_portal_settings()
    author = _user(principal.user_id)

    def rule(ticket: TicketModel) -> Draft:
        if ticket.status not in CLOSED_STATUSES:
            raise Conflict("A ticket can be rated once it is resolved.", code="not_resolved")
        ticket.rating, ticket.rating_comment = score, comment.strip() or None
        return Draft(SYSTEM_EVENT, INTERNAL, f"Rated {score}/5.", principal, author.name,
                     details={"event": "rated", "score": score})

    _commit(
        lambda: customer_ticket(principal, ticket_id, requester_only=True), rule, settings,
        touch=False,
    )
    return {"rating": score, "comment": comment.strip() or None}


def _customer_reply_refusal(ticket: TicketModel, settings: PortalSettings) -> dict[str, str] | None:
    if ticket.messaging_blocked:
        reason = ticket.blocked_reason or "Messaging on this ticket is blocked."
        return {"code": "messaging_blocked", "message": reason}
    if ticket.status in CLOSED_STATUSES:
        ended = ticket.closed_at or ticket.resolved_at or ticket.last_activity_at
        if clock.now() - float(ended) > settings.reopen_window_days * 86400:
            return {
                "code": "reopen_window_passed",
                "message": "This ticket was closed too long ago to reopen. "
                "Please open a new ticket.",
            }
    return None


# ---------------------------------------------------------------------------------------------
# The agent's side


def staff_ticket(principal: Principal, ticket_id: str) -> TicketModel:
    if not principal.is_staff:
        raise NotFound("No such ticket.", code="ticket_not_found")
    ticket = store.get_ticket(ticket_id)
    if ticket is None:
        raise NotFound("No such ticket.", code="ticket_not_found")
    return ticket


def list_console_tickets(
    principal: Principal,
    *,
    status: str,
    assignee: str | None,
    team: str | None,
    q: str,
    limit: int,
    cursor: str | None,
) -> dict[str, Any]:
    state = store.CLOSED_CLASS if status == "closed" else store.OPEN_CLASS
    number = _ticket_number(q)
    if number is not None:
        found = store.find_by_number(number)
        return _console_list(principal, [found] if found else [], None)
    condition = _filters(status="all", q=q, topic=None, for_customer=False)
    if assignee:
        assignee_id = {"me": principal.user_id, "none": store.UNASSIGNED}.get(assignee, assignee)
        if team:
            condition = _and(condition, TicketModel.team_id == team)
        page = store.query_tickets(
            "assignee", f"{assignee_id}#{state}", "activity", limit=limit, cursor=cursor,
            filter_condition=condition,
        )
    elif team:
        page = store.query_tickets(
            "team", f"{team}#{state}", "activity", limit=limit, cursor=cursor,
            filter_condition=condition,
        )
    else:
        page = store.query_tickets(
            "state", state, "activity", limit=limit, cursor=cursor, filter_condition=condition
        )
    return _console_list(principal, page.items, page.cursor)


def console_view(principal: Principal, ticket_id: str) -> dict[str, Any]:
    """The newest page of the whole thread, internal notes included, in the order written, and
    a cursor to the page before it."""
    ticket = staff_ticket(principal, ticket_id)
    thread, earlier = _staff_page(ticket.ticket_id, {})
    read_store.mark_read(principal.user_id, ticket.ticket_id, int(ticket.last_seq))
    people = user_store.get_users(
        [ticket.requester_id] + ([ticket.assignee_id] if ticket.assignee_id else [])
    )
    summary = _console_summary(ticket, people, unread=False)
    # Mail to a bounced or complaining address is refused: agents must see why it goes unread.
    suppression = suppressions.suppression_detail(summary["requester"]["email"])
    summary["requester"]["email_suppressed"] = suppression is not None
    summary["requester"]["suppression"] = suppression
    return {
        "ticket": summary,
        "messages": [_console_message(m) for m in thread],
        "earlier_cursor": earlier,
        "message_count": int(ticket.message_count),
        "public_count": int(ticket.public_count),
        "troubleshooter": ticket.troubleshooter,
    }


def console_new_messages(principal: Principal, ticket_id: str, after: int) -> dict[str, Any]:
    """What was written after position `after` (the polling fallback of live updates), oldest
    first: one query per partition (data/messages.py says how the public one is found)."""
    ticket = staff_ticket(principal, ticket_id)
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
    found = sorted(
        (m for items in read for m in items[:THREAD_PAGE]
         if position_of(m) > after and (horizon is None or position_of(m) <= horizon)),
        key=position_of,
    )[:THREAD_PAGE]
    return {
        "messages": [_console_message(m) for m in found],
        "last_seq": max([after] + [position_of(m) for m in found]),
    }


def console_earlier_messages(principal: Principal, ticket_id: str, cursor: str) -> dict[str, Any]:
    """The page of the whole thread before an `earlier_cursor` (oldest first), and the cursor
    to the one before it."""
    ticket = staff_ticket(principal, ticket_id)
    bounds = message_store.decode_earlier(ticket.ticket_id, STAFF_READER, cursor)
    thread, earlier = _staff_page(ticket.ticket_id, bounds)
    return {"messages": [_console_message(m) for m in thread], "earlier_cursor": earlier}


def _staff_page(
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


def answer(
    principal: Principal, ticket_id: str, action: str, body: str,
    attachment_ids: Sequence[str] = (),
) -> dict[str, Any]:
    """Send / Send and leave open / Resolve silently / Internal note."""
    if action not in ANSWERS:
        raise InvalidInput(f"action must be one of {', '.join(ANSWERS)}.", code="unknown_action")
    kind, visibility, new_status = ANSWERS[action]
    body = check_body(body)
    author = _user(principal.user_id)
    settings = get_portal_settings()

    def rule(ticket: TicketModel) -> Draft:
        if ticket.assignee_id is None and action != "note":
            ticket.assignee_id = principal.user_id  # replying takes the conversation
        if new_status:
            _set_status(ticket, new_status)
        elif ticket.status == "new" and visibility == PUBLIC:
            _set_status(ticket, "open")
        # A file on an internal note is internal; one sent with a public answer becomes public.
        attached = attachments.attachable(principal, ticket.ticket_id, attachment_ids, visibility)
        return Draft(kind, visibility, body, principal, author.name, details={"action": action},
                     attachment_ids=attached)

    # A note moves the console's activity time, never the customer's (only public messages do).
    message = _commit(lambda: staff_ticket(principal, ticket_id), rule, settings)
    assert message is not None  # the rule always drafts a message or raises
    read_store.mark_read(principal.user_id, ticket_id, position_of(message))
    count(f"AgentAnswer_{action}")
    return _console_message(message)


UNSET: Any = object()


def assign(
    principal: Principal, ticket_id: str, assignee_id: str | None, expected: Any = UNSET
) -> dict[str, Any]:
    """Assign to any agent, or to nobody. `expected` is who the caller saw assigned: when two
    agents assign at the same moment, the second finds the ticket changed and gets 409."""
    settings = get_portal_settings()
    target_name = ""
    if assignee_id is not None:
        # An empty id is no key DynamoDB accepts: refuse it as no agent rather than fail.
        target = user_store.get_user(assignee_id) if assignee_id else None
        if target is None or target.role == CUSTOMER or target.status != "active":
            raise InvalidInput("The assignee must be an active agent.", code="unknown_agent")
        target_name = target.name
    author = _user(principal.user_id)
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

    _commit(lambda: staff_ticket(principal, ticket_id), rule, settings, touch=False)
    return console_view(principal, ticket_id)


def update_conversation(
    principal: Principal, ticket_id: str, *, title: str | None = None, status: str | None = None
) -> dict[str, Any]:
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
    author = _user(principal.user_id)
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
        _set_status(ticket, status)
        text = "Waiting on the customer." if status == "pending" else "No longer waiting."
        return Draft(SYSTEM_EVENT, INTERNAL, text, principal, author.name,
                     details={"event": "status", "status": status})

    _commit(lambda: staff_ticket(principal, ticket_id), rule, get_portal_settings(), touch=False)


def _retitle(
    principal: Principal, author: user_store.UserModel, ticket_id: str, title: str
) -> None:
    def rule(ticket: TicketModel) -> Draft | None:
        if ticket.title == title:
            return None
        old, ticket.title = ticket.title, title[:200]
        return Draft(SYSTEM_EVENT, INTERNAL, f"Title changed from “{old}”.", principal,
                     author.name, details={"event": "title", "old": old})

    _commit(lambda: staff_ticket(principal, ticket_id), rule, get_portal_settings(), touch=False)


def close(principal: Principal, ticket_id: str) -> dict[str, Any]:
    author = _user(principal.user_id)

    def rule(ticket: TicketModel) -> Draft | None:
        if ticket.assignee_id != principal.user_id:
            raise Forbidden("Only the assignee can close this conversation.", code="not_assignee")
        if ticket.status == "closed":
            return None
        _set_status(ticket, "closed")
        return Draft(SYSTEM_EVENT, INTERNAL, "Closed.", principal, author.name,
                     details={"event": "closed"})

    _commit(lambda: staff_ticket(principal, ticket_id), rule, get_portal_settings())
    return console_view(principal, ticket_id)


def set_blocked(
    principal: Principal, ticket_id: str, blocked: bool, reason: str
) -> dict[str, Any]:
    reason = reason.strip()
    if blocked and not reason:
        raise InvalidInput(
            "Say why messaging is blocked; the customer sees it.", code="empty_reason"
        )
    author = _user(principal.user_id)

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

    _commit(lambda: staff_ticket(principal, ticket_id), rule, get_portal_settings(), touch=False)
    return console_view(principal, ticket_id)


def search_agents(prefix: str, limit: int) -> list[dict[str, Any]]:
    """The teammate picker."""
    page = user_store.list_staff(prefix.strip(), limit, None)
    return [
        {"id": u.user_id, "name": u.name, "email": u.email, "team_ids": sorted(u.team_ids or [])}
        for u in page.items
        if u.status == "active"
    ]


# ---------------------------------------------------------------------------------------------
# Mail: services/inbound.py decides what a received mail is; these write it, through `_commit`
# like every other change. `inbound_id` (SES's message id) rides in the message's details, so a
# delivery retried after a crash (`resume`) can tell that it already wrote.

EMAIL_CHANNEL = "email"
_RESUME_LOOKBACK = 20  # messages a retried delivery looks back through for its own


def open_email_ticket(
    *,
    ticket_id: str,
    requester: user_store.UserModel,
    topic: str,
    subject: str,
    body: str,
    details: dict[str, Any],
) -> TicketModel | None:
    """A ticket from a mail. `ticket_id` is derived from the delivery, so a repeated delivery
    finds it taken and gets None instead of a second ticket."""
    settings = get_portal_settings()
    topic_id = topic if settings.topic(topic) else settings.topics[0].id
    try:
        ticket = _open_ticket(
            settings,
            requester=requester,
            creator=principal_of(requester),
            topic=topic_id,
            subject=subject or "(no subject)",
            body=email_body(body),
            channel=EMAIL_CHANNEL,
            kind=CUSTOMER_MESSAGE,
            ticket_id=ticket_id,
            details=details,
        )
    except Conflict as exc:
        if exc.code == "ticket_changed":
            return None  # created by an earlier attempt of this delivery
        raise
    count("TicketCreated")
    return ticket


def email_message(
    ticket_id: str,
    author: user_store.UserModel,
    body: str,
    details: dict[str, Any],
    *,
    resume: bool,
) -> tuple[str, MessageModel | None]:
    """A mail that threads to a ticket, written as its sender would have posted it:
    ("reply", message) from a customer, reopening a resolved or closed ticket like a portal
    reply; ("note", message) from staff (a mail is never published to the customer by itself);
    ("blocked", event) when messaging is blocked: the mail is kept as an internal event;
    ("window_passed", None) when the ticket was closed too long ago to reopen;
    ("duplicate", message) when a retried delivery finds its message already there: what
    was written then (its visibility above all) is what the retry goes on with."""
    settings = get_portal_settings()
    text = email_body(body)
    principal = principal_of(author)
    inbound_id = str(details.get("inbound_id", ""))
    outcome: dict[str, str] = {}

    found: dict[str, MessageModel] = {}

    def rule(ticket: TicketModel) -> Draft | None:
        earlier = _inbound_message(ticket, inbound_id) if resume else None
        if earlier is not None:
            outcome["kind"] = "duplicate"
            found["message"] = earlier
            return None
        if author.role != CUSTOMER:
            outcome["kind"] = "note"
            return Draft(INTERNAL_NOTE, INTERNAL, text, principal, author.name,
                         details=details, channel=EMAIL_CHANNEL)
        refusal = _customer_reply_refusal(ticket, settings)
        if refusal and refusal["code"] == "messaging_blocked":
            outcome["kind"] = "blocked"
            return Draft(SYSTEM_EVENT, INTERNAL,
                         f"Mail received while messaging is blocked:\n\n{text}",
                         None, author.name, details={**details, "event": "mail_while_blocked"},
                         channel=EMAIL_CHANNEL)
        if refusal:
            raise Conflict(refusal["message"], code=refusal["code"])
        if ticket.status in CLOSED_STATUSES or ticket.status == "pending":
            _set_status(ticket, "open")
        outcome["kind"] = "reply"
        return Draft(CUSTOMER_MESSAGE, PUBLIC, text, principal, author.name, details=details,
                     channel=EMAIL_CHANNEL)

    try:
        message = _commit(lambda: _existing_ticket(ticket_id), rule, settings,
                          touch=author.role == CUSTOMER)
    except Conflict as exc:
        if exc.code == "reopen_window_passed":
            return "window_passed", None
        raise
    if outcome.get("kind") == "reply":
        count("CustomerReplyByEmail")
    return outcome.get("kind", "duplicate"), message or found.get("message")


def record_email_event(
    ticket_id: str, text: str, details: dict[str, Any], *, resume: bool
) -> MessageModel | None:
    """An internal system event about a mail (an auto-reply, a bounce, dropped attachments):
    the team sees it in the thread; nobody is notified by mail."""
    inbound_id = str(details.get("inbound_id", ""))
    event = str(details.get("event", ""))

    def rule(ticket: TicketModel) -> Draft | None:
        if resume and _inbound_message(ticket, inbound_id, event) is not None:
            return None
        return Draft(SYSTEM_EVENT, INTERNAL, text, None, "", details=details,
                     channel=EMAIL_CHANNEL)

    return _commit(lambda: _existing_ticket(ticket_id), rule, get_portal_settings(), touch=False)


def principal_of(user: user_store.UserModel) -> Principal:
    """The sender of a mail, acting as the account it belongs to (no session: mail has none)."""
    return Principal(
        user_id=user.user_id, role=user.role, org_id=user.org_id, org_view=bool(user.org_view),
        session_hash="", must_change_password=False, email=user.email,
    )


def email_body(text: str) -> str:
    """Mail has no length limit and may have no text: the message gets what fits, the full
    text stays in its details (and the raw mail in the inbound bucket)."""
    text = (text or "").strip("\n").strip()
    if not text:
        return "(The email had no text.)"
    if len(text) > MAX_BODY:
        return text[: MAX_BODY - 80].rstrip() + "\n\n[…] The full text is kept with this message."
    return text


def _existing_ticket(ticket_id: str) -> TicketModel:
    ticket = store.get_ticket(ticket_id)
    if ticket is None:
        raise NotFound("No such ticket.", code="ticket_not_found")
    return ticket


def _inbound_message(
    ticket: TicketModel, inbound_id: str, event: str | None = None
) -> MessageModel | None:
    """The one of the ticket's latest messages that came from this delivery (and event)."""
    last = {PUBLIC: ticket.last_public_seq, INTERNAL: ticket.last_seq}  # each partition's key
    for visibility in (PUBLIC, INTERNAL):
        page = message_store.list_thread(
            ticket.ticket_id, visibility,
            after_seq=max(int(last[visibility] or 0) - _RESUME_LOOKBACK, 0),
            limit=_RESUME_LOOKBACK, cursor=None,
        )
        for message in page.items:
            details = message.details if isinstance(message.details, dict) else {}
            if details.get("inbound_id") == inbound_id and (
                event is None or details.get("event", "") == event
            ):
                return message
    return None


# ---------------------------------------------------------------------------------------------
# Scheduled: auto-close


def auto_close_resolved() -> int:
    """Close tickets resolved more than `auto_close_days` ago with no activity since."""
    settings = get_portal_settings()
    cutoff = clock.now() - settings.auto_close_days * 86400
    closed = 0
    cursor = None
    while True:
        page = store.query_tickets(
            "state", store.CLOSED_CLASS, "activity", limit=100, cursor=cursor, newest_first=False,
            filter_condition=(TicketModel.status == "resolved")
            & (TicketModel.last_activity_at < cutoff),
        )
        for ticket in page.items:
            closed += _auto_close(ticket.ticket_id, cutoff, settings)
        if not page.cursor or (page.items and page.items[-1].last_activity_at >= cutoff):
            return closed
        cursor = page.cursor


def _auto_close(ticket_id: str, cutoff: float, settings: PortalSettings) -> int:
    def load() -> TicketModel:
        ticket = store.get_ticket(ticket_id)
        if ticket is None:
            raise NotFound("gone")
        return ticket

    def rule(ticket: TicketModel) -> Draft | None:
        if ticket.status != "resolved" or ticket.last_activity_at >= cutoff:
            return None  # someone answered meanwhile
        _set_status(ticket, "closed")
        return Draft(SYSTEM_EVENT, INTERNAL, "Closed automatically.", None, "",
                     details={"event": "auto_closed"})

    return 1 if _commit(load, rule, settings, touch=False) else 0


# ---------------------------------------------------------------------------------------------
# The one write path


def _commit(
    load: Callable[[], TicketModel],
    rule: Callable[[TicketModel], Draft | None],
    settings: PortalSettings,
    *,
    touch: bool = True,
) -> MessageModel | None:
    """None when the rule found nothing to change (a repeated click, a no-op edit)."""
    for attempt in range(COMMIT_ATTEMPTS):
        ticket = load()
        before = ticket.status
        draft = rule(ticket)
        if draft is None:
            return None
        if ticket.status != before:
            # Who hears of a status change (services/notifications.py) reads it off the message.
            draft.details = {**(draft.details or {}),
                             "status_change": {"from": before, "to": ticket.status}}
        if touch or draft.visibility == PUBLIC:
            ticket.last_activity_at = clock.now()
        if draft.visibility == PUBLIC:
            ticket.public_activity_at = clock.now()  # what customers see: never a note
        try:
            return _store(ticket, draft, settings)
        except Conflict as exc:
            if exc.code != "ticket_changed":
                raise
            time.sleep(random.uniform(0.002, 0.02) * min(attempt + 1, 5))  # noqa: S311 - jitter
    raise Conflict("The ticket is busy; try again.", code="ticket_busy")


def _store(ticket: TicketModel, draft: Draft, settings: PortalSettings) -> MessageModel:
    # Every message takes the next position; a public one also the next public number, its key
    # and what customers see (data/messages.py).
    position = int(ticket.last_seq or 0) + 1
    public_before = int(ticket.last_public_seq or 0)
    ticket.last_seq = position
    ticket.message_count = int(ticket.message_count or 0) + 1
    seq = position
    if draft.visibility == PUBLIC:
        seq = public_before + 1
        ticket.public_count = int(ticket.public_count or 0) + 1
        ticket.last_public_seq = seq
    now = clock.now()
    author = draft.author
    message = MessageModel(
        thread=thread_key(ticket.ticket_id, draft.visibility),
        seq=seq,
        position=position,
        public_before=public_before,
        message_id=uuid.uuid4().hex,
        ticket_id=ticket.ticket_id,
        visibility=draft.visibility,
        kind=draft.kind,
        author_id=author.user_id if author else None,
        author_role=author.role if author else SYSTEM,
        author_name=draft.author_name,
        body=draft.body,
        channel=draft.channel,
        created_at=now,
        details=draft.details,
        attachment_ids=list(draft.attachment_ids) or None,
    )
    message_store.store_message(ticket, message, _folder_entries(ticket, message, settings))
    return message


def _folder_entries(
    ticket: TicketModel, message: MessageModel, settings: PortalSettings
) -> list[MailboxModel]:
    """Public messages land in the customer's folders: the requester's Inbox for the team's
    answers, the author's Sent for their own. Not for a ticket the portal hides: its preview
    would show what the list and the detail refuse to."""
    if message.visibility != PUBLIC:
        return []
    if ticket.topic in settings.hidden_topics or ticket.channel in settings.hidden_channels:
        return []
    common: dict[str, Any] = {
        "ticket_id": ticket.ticket_id,
        "ticket_number": int(ticket.number),
        "seq": int(message.seq),
        "title": ticket.subject,
        "preview": re.sub(r"\s+", " ", message.body)[:140],
        "at": float(message.created_at),
        "topic": ticket.topic,
        "channel": ticket.channel,
    }
    if message.author_role == CUSTOMER and message.author_id:
        return [new_entry(message.author_id, folder=SENT, read=True,
                          author_name=message.author_name, **common)]
    if message.kind == AGENT_REPLY:
        return [new_entry(ticket.requester_id, folder=INBOX, read=False,
                          author_name=_display_author(message, settings), **common)]
    return []


def _set_status(ticket: TicketModel, status: str) -> None:
    now = clock.now()
    ticket.status = status
    if status == "resolved":
        ticket.resolved_at = now
    elif status == "closed":
        ticket.closed_at = now
    else:
        ticket.resolved_at = ticket.closed_at = None


# ---------------------------------------------------------------------------------------------
# Shapes of the answers


def _ticket_number(q: str) -> int | None:
    match = re.fullmatch(r"\s*#?(\d{1,9})\s*", q or "")
    return int(match.group(1)) if match else None


def _and(left: Any, right: Any) -> Any:
    return right if left is None else left & right


def _filters(*, status: str, q: str, topic: str | None, for_customer: bool) -> Any:
    condition = None
    searched = TicketModel.customer_search_text if for_customer else TicketModel.search_text
    if status in ("open", "closed"):
        condition = TicketModel.state_class == status
    if topic:
        condition = _and(condition, TicketModel.topic == topic)
    # Every word must appear, in any order ("fire printer" finds "Printer on fire"); a bounded
    # number of words keeps the filter expression small.
    for word in list(dict.fromkeys((q or "").casefold().split()))[:SEARCH_WORDS]:
        condition = _and(condition, searched.contains(word))
    return condition


def _status_for_customer(ticket: TicketModel, settings: PortalSettings) -> str:
    if settings.status_display == "full":
        return str(ticket.status)
    return "open" if ticket.status in OPEN_STATUSES else "closed"


def _customer_summary(
    ticket: TicketModel, settings: PortalSettings, *, unread: bool,
    requester: user_store.UserModel | None = None,
) -> dict[str, Any]:
    topic = settings.topic(ticket.topic)
    summary = {
        "id": ticket.ticket_id,
        "number": int(ticket.number),
        "subject": ticket.subject,
        "topic": ticket.topic,
        "topic_name": topic.name if topic else ticket.topic,
        "channel": ticket.channel,
        "status": _status_for_customer(ticket, settings),
        "created_at": clock.iso(ticket.created_at),
        "last_activity_at": clock.iso(ticket.public_activity_at),
        "message_count": int(ticket.public_count),
        "unread": unread,
        "messaging_blocked": bool(ticket.messaging_blocked),
        "blocked_reason": ticket.blocked_reason if ticket.messaging_blocked else None,
        "rating": int(ticket.rating) if ticket.rating is not None else None,
        "rating_comment": ticket.rating_comment,
        "troubleshooter": ticket.troubleshooter,
    }
    if requester is not None:
        summary["requester"] = {"id": requester.user_id, "name": requester.name}
    return summary


def _customer_list(
    principal: Principal, items: list[TicketModel], cursor: str | None, settings: PortalSettings
) -> dict[str, Any]:
    positions = read_store.read_positions(principal.user_id, [t.ticket_id for t in items])
    people = user_store.get_users({t.requester_id for t in items})
    return {
        "items": [
            _customer_summary(
                t, settings,
                unread=int(t.last_public_seq or 0) > positions.get(t.ticket_id, 0),
                requester=people.get(t.requester_id),
            )
            for t in items
        ],
        "next_cursor": cursor,
    }


def _display_author(message: MessageModel, settings: PortalSettings) -> str:
    if message.author_role == CUSTOMER:
        return str(message.author_name)
    return {
        "none": "",
        "team": settings.team_display_name,
        "agent_name": str(message.author_name),
        "custom": settings.author_custom_text,
    }[settings.author_display]


def _customer_message(
    message: MessageModel, principal: Principal, settings: PortalSettings
) -> dict[str, Any]:
    # Built field by field from a public message only: nothing internal can ride along.
    if message.visibility != PUBLIC:
        raise AssertionError("internal message on a customer path")
    return {
        "id": message.message_id,
        "seq": int(message.seq),
        "kind": "mine" if message.author_id == principal.user_id else (
            "customer" if message.author_role == CUSTOMER else "team"
        ),
        "author": _display_author(message, settings),
        "body": message.body,
        "attachment_ids": list(message.attachment_ids or []),
        "created_at": clock.iso(message.created_at),
    }


def _console_summary(
    ticket: TicketModel, people: dict[str, user_store.UserModel], *, unread: bool
) -> dict[str, Any]:
    requester = people.get(ticket.requester_id)
    assignee = people.get(ticket.assignee_id or "")
    return {
        "id": ticket.ticket_id,
        "number": int(ticket.number),
        "title": ticket.title,
        "subject": ticket.subject,
        "topic": ticket.topic,
        "channel": ticket.channel,
        "status": ticket.status,
        "state": ticket.state_class,
        "team_id": ticket.team_id,
        "requester": {"id": ticket.requester_id, "name": requester.name if requester else "",
                      "email": requester.email if requester else "", "org_id": ticket.org_id},
        "assignee": {"id": ticket.assignee_id, "name": assignee.name if assignee else ""}
        if ticket.assignee_id else None,
        "created_at": clock.iso(ticket.created_at),
        "last_activity_at": clock.iso(ticket.last_activity_at),
        "message_count": int(ticket.message_count),
        "public_count": int(ticket.public_count),
        "unread": unread,
        "messaging_blocked": bool(ticket.messaging_blocked),
        "blocked_reason": ticket.blocked_reason,
        "rating": int(ticket.rating) if ticket.rating is not None else None,
        "rating_comment": ticket.rating_comment,
        "version": int(ticket.version or 0),
    }


def _console_list(
    principal: Principal, items: list[TicketModel], cursor: str | None
) -> dict[str, Any]:
    positions = read_store.read_positions(principal.user_id, [t.ticket_id for t in items])
    people = user_store.get_users(
        {t.requester_id for t in items} | {t.assignee_id for t in items if t.assignee_id}
    )
    return {
        "items": [
            _console_summary(
                t, people, unread=int(t.last_seq or 0) > positions.get(t.ticket_id, 0)
            )
            for t in items
        ],
        "next_cursor": cursor,
    }


def _console_message(message: MessageModel) -> dict[str, Any]:
    return {
        "id": message.message_id,
        "seq": position_of(message),  # among all messages (the portal numbers public ones)
        "kind": message.kind,
        "visibility": message.visibility,
        "internal": message.visibility == INTERNAL,
        "author": {"id": message.author_id, "name": message.author_name,
                   "role": message.author_role},
        "body": message.body,
        "channel": message.channel,
        "details": message.details,
        "attachment_ids": list(message.attachment_ids or []),
        "created_at": clock.iso(message.created_at),
    }


def _user(user_id: str) -> user_store.UserModel:
    user = user_store.get_user(user_id)
    if user is None:
        raise NotFound("No such user.")
    return user

"""Tickets and messages turned into answers: the customer's shapes, built field by field from
what customers may see, and the console's."""

from __future__ import annotations

from chalicelib import clock
from chalicelib.data import reads as read_store
from chalicelib.data import tickets as ticket_store
from chalicelib.data import users as user_store
from chalicelib.data.messages import INTERNAL, PUBLIC, MessageModel, position_of
from chalicelib.data.tickets import OPEN_STATUSES, TicketModel
from chalicelib.services.identity import language_of
from chalicelib.services.principal import CUSTOMER, Principal
from chalicelib.services.settings import PortalSettings
from chalicelib.services.tickets import access
from chalicelib.shapes.tickets import (
    ConsoleMessage,
    ConsoleTicket,
    ConsoleTicketPage,
    CustomerMessage,
    CustomerTicket,
    CustomerTicketPage,
    TicketLink,
)

# ---------------------------------------------------------------------------------------------
# The customer's


def merged_link(ticket: TicketModel) -> TicketLink | None:
    """A merged ticket's survivor (tickets/merge.py keeps its number with the progress)."""
    if not ticket.merged_into:
        return None
    progress = ticket.merge if isinstance(ticket.merge, dict) else {}
    return {"id": str(ticket.merged_into), "number": int(progress.get("number") or 0)}


def customer_merged_link(
    principal: Principal, ticket: TicketModel, settings: PortalSettings
) -> TicketLink | None:
    """The survivor, for a customer who may open it (one more read, of merged tickets only):
    a follower of the merged ticket alone is not told another ticket's id and number."""
    link = merged_link(ticket)
    if link is None:
        return None
    survivor = ticket_store.get_ticket(link["id"])
    if survivor is None or not access.customer_may_see(principal, survivor, settings):
        return None
    return link


def status_for_customer(ticket: TicketModel, settings: PortalSettings) -> str:
    if settings.status_display == "full":
        return str(ticket.status)
    return "open" if ticket.status in OPEN_STATUSES else "closed"


def agent_shown_as(agent_name: str, settings: PortalSettings) -> str:
    """The one rule of how customers see an agent, wherever they look: a message in the thread
    and its live push, an Inbox entry, a feed item, a document. Applied when the answer is built,
    never when the record is written, so every place follows the author display as the admin
    set it now; records keep the agent's own name, which only staff answers show."""
    return {
        "none": "",
        "team": settings.team_display_name,
        "agent_name": agent_name,
        "custom": settings.author_custom_text,
    }[settings.author_display]


def display_author(message: MessageModel, settings: PortalSettings) -> str:
    """A message's author as customers see it: a customer by name, anyone else by the rule."""
    if message.author_role == CUSTOMER:
        return str(message.author_name)
    return agent_shown_as(str(message.author_name), settings)


def customer_summary(
    ticket: TicketModel, settings: PortalSettings, *, reader: Principal, unread: bool,
    language: str, requester: user_store.UserModel | None = None,
) -> CustomerTicket:
    """A ticket as `reader`, reading `language`, sees it listed or opened."""
    summary: CustomerTicket = {
        "id": ticket.ticket_id,
        "number": int(ticket.number),
        "subject": ticket.subject,
        "topic": ticket.topic,
        "topic_name": settings.topic_name(ticket.topic, language),
        "channel": ticket.channel,
        "status": status_for_customer(ticket, settings),
        "created_at": clock.iso(ticket.created_at),
        "last_activity_at": clock.iso(ticket.public_activity_at),
        "message_count": int(ticket.public_count),
        "unread": unread,
        "messaging_blocked": bool(ticket.messaging_blocked),
        "blocked_reason": ticket.blocked_reason if ticket.messaging_blocked else None,
        "rating": int(ticket.rating) if ticket.rating is not None else None,
        "rating_comment": ticket.rating_comment,
        "troubleshooter": ticket.troubleshooter,
        "merged_into": customer_merged_link(reader, ticket, settings),
    }
    if requester is not None:
        summary["requester"] = {"id": requester.user_id, "name": requester.name}
    return summary


def customer_list(
    principal: Principal, items: list[TicketModel], cursor: str | None, settings: PortalSettings
) -> CustomerTicketPage:
    # Unread: an answer to this reader they have not read (data/reads.py's marker, the one the
    # Unread list queries), not merely a message past where they read: a colleague's ticket in
    # the organization's list was answered to the colleague.
    unread = read_store.unread_ticket_ids(principal.user_id, [t.ticket_id for t in items])
    # The reader is read with the requesters (usually among them): their language names topics.
    people = user_store.get_users({t.requester_id for t in items} | {principal.user_id})
    language = language_of(people.get(principal.user_id))
    return {
        "items": [
            customer_summary(
                t, settings,
                reader=principal,
                unread=t.ticket_id in unread,
                language=language,
                requester=people.get(t.requester_id),
            )
            for t in items
        ],
        "next_cursor": cursor,
    }


def customer_message(
    message: MessageModel, principal: Principal, settings: PortalSettings
) -> CustomerMessage:
    # Built field by field from a public message only: nothing internal can ride along.
    if message.visibility != PUBLIC:
        raise AssertionError("internal message on a customer path")
    return {
        "id": message.message_id,
        "seq": int(message.seq),
        "kind": "mine" if message.author_id == principal.user_id else (
            "customer" if message.author_role == CUSTOMER else "team"
        ),
        "author": display_author(message, settings),
        "body": message.body,
        "attachment_ids": [str(a) for a in message.attachment_ids or []],
        "created_at": clock.iso(message.created_at),
    }


# ---------------------------------------------------------------------------------------------
# The console's


def console_summary(
    ticket: TicketModel, people: dict[str, user_store.UserModel], *, unread: bool
) -> ConsoleTicket:
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
        "tags": [str(tag) for tag in ticket.tags or []],
        "merged_into": merged_link(ticket),
    }


def console_list(
    principal: Principal, items: list[TicketModel], cursor: str | None
) -> ConsoleTicketPage:
    positions = read_store.read_positions(principal.user_id, [t.ticket_id for t in items])
    people = user_store.get_users(
        {t.requester_id for t in items} | {t.assignee_id for t in items if t.assignee_id}
    )
    return {
        "items": [
            console_summary(
                t, people, unread=int(t.last_seq or 0) > positions.get(t.ticket_id, 0)
            )
            for t in items
        ],
        "next_cursor": cursor,
    }


def console_message(message: MessageModel) -> ConsoleMessage:
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
        "attachment_ids": [str(a) for a in message.attachment_ids or []],
        "created_at": clock.iso(message.created_at),
    }

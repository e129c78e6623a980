"""Who may see a ticket, and whether a customer may write on it: one function per rule, used by
every path (portal, console, documents, mail, live updates), so no path can drift from another.

A ticket the caller may not see is the same 404 as one that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib import clock
from chalicelib.data import followers as follower_store
from chalicelib.data import tickets as store
from chalicelib.data import users as user_store
from chalicelib.data.tickets import CLOSED_STATUSES, TicketModel
from chalicelib.errors import Conflict, Forbidden, NotFound
from chalicelib.services.principal import CUSTOMER, Principal
from chalicelib.services.settings import PortalSettings, get_portal_settings
from chalicelib.shapes.tickets import ReplyRefusal

BLOCKED_TEXT = "Messaging on this ticket is blocked."
# Followers a ticket may have: each with an account gets an Inbox entry in the transaction of
# every answer, which holds at most 100 items (services/followers.py keeps to it).
MAX_FOLLOWERS = 20


# ---------------------------------------------------------------------------------------------
# Seeing a ticket


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
    if requester_only and not decides(principal, ticket):
        raise Forbidden("Only the person who opened this ticket can do this.", code="not_requester")
    return ticket


def decides(principal: Principal, ticket: TicketModel) -> bool:
    """Resolving and rating are the requester's own decisions: a colleague with the
    organization view reads and replies, and is not offered them."""
    return ticket.requester_id == principal.user_id


def customer_may_see(principal: Principal, ticket: TicketModel, settings: PortalSettings) -> bool:
    """The requester, their organization with the organization view, and the ticket's followers
    (services/followers.py): what the portal, mail and live updates let a customer see."""
    if settings.hides(ticket.topic, ticket.channel):
        return False
    if ticket.requester_id == principal.user_id:
        return True
    if (
        settings.org_view_enabled
        and principal.org_view
        and bool(principal.org_id)
        and ticket.org_id == principal.org_id
    ):
        return True
    return follower_admitted(principal.org_id, ticket, settings) and follower_store.follows(
        ticket.ticket_id, principal.user_id, principal.email)


def follower_admitted(org_id: str | None, ticket: TicketModel, settings: PortalSettings) -> bool:
    """Whether someone of `org_id` (None: an address without an account) may follow the ticket
    now: a colleague of its organization, or anyone while the admin allows outside followers.
    Checked on every read and every notice, not only when they were added: a follower moved to
    another organization, or let in while the setting was on, loses the ticket with the rule."""
    return settings.followers_outside_org or (bool(org_id) and org_id == ticket.org_id)


def customer_audience(ticket: TicketModel, settings: PortalSettings) -> list[str]:
    """Whose portal the team's public answers reach: the requester and every follower with an
    active account who may still follow it (their Inbox entries, tickets/commit.py), each once.
    A ticket being created (never saved, so no version yet) has nobody to follow it: no query."""
    if ticket.version is None:
        return [ticket.requester_id]
    followers = follower_store.list_followers(ticket.ticket_id, MAX_FOLLOWERS)
    users = user_store.get_users(f.user_id for f in followers if f.user_id)
    admitted = [u.user_id for u in users.values() if u.status == "active"
                and u.role == CUSTOMER and follower_admitted(u.org_id, ticket, settings)]
    return list(dict.fromkeys([ticket.requester_id, *admitted]))


def staff_ticket(principal: Principal, ticket_id: str) -> TicketModel:
    if not principal.is_staff:
        raise NotFound("No such ticket.", code="ticket_not_found")
    return existing_ticket(ticket_id)


def readable_ticket(principal: Principal, ticket_id: str) -> TicketModel:
    """The ticket through the caller's own side's check: the console's for staff, the portal's
    for customers."""
    if principal.is_staff:
        return staff_ticket(principal, ticket_id)
    return customer_ticket(principal, ticket_id)


def existing_ticket(ticket_id: str) -> TicketModel:
    """Any ticket, for callers with no session to check (mail, schedules)."""
    ticket = store.get_ticket(ticket_id)
    if ticket is None:
        raise NotFound("No such ticket.", code="ticket_not_found")
    return ticket


# ---------------------------------------------------------------------------------------------
# May a customer write


@dataclass(frozen=True)
class Refusal:
    """Why a customer may not write on a ticket: raised as a 409, or shown beside the thread."""

    code: str
    message: str

    def error(self) -> Conflict:
        return Conflict(self.message, code=self.code)

    def shown(self) -> ReplyRefusal:
        return {"code": self.code, "message": self.message}


def blocked_refusal(ticket: TicketModel) -> Refusal | None:
    """The team blocked messaging: the customer may neither reply (portal or mail) nor upload,
    and is told the team's reason."""
    if not ticket.messaging_blocked:
        return None
    return Refusal(code="messaging_blocked", message=ticket.blocked_reason or BLOCKED_TEXT)


def reopen_refusal(ticket: TicketModel, settings: PortalSettings) -> Refusal | None:
    """A reply reopens a resolved or closed ticket, within the reopen window only."""
    if ticket.status not in CLOSED_STATUSES:
        return None
    ended = ticket.closed_at or ticket.resolved_at or ticket.last_activity_at
    if clock.now() - float(ended) <= settings.reopen_window_days * 86400:
        return None
    return Refusal(
        code="reopen_window_passed",
        message="This ticket was closed too long ago to reopen. Please open a new ticket.",
    )


def reply_refusal(ticket: TicketModel, settings: PortalSettings) -> Refusal | None:
    """Whether the customer may add a message: not while blocked, not past the reopen window."""
    return blocked_refusal(ticket) or reopen_refusal(ticket, settings)

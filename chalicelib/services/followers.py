"""Followers of a ticket (HubSpot's and Zendesk's CCs): colleagues the requester or an agent adds,
who get the secure notifications of the team's answers and, with an account, read and answer the
ticket in their portal (`tickets/access.py:customer_may_see`) and by mail.

The rules:

- the requester adds and removes followers on the portal, and a follower may remove themselves;
  staff add and remove anyone the rules allow, from the console;
- a follower is a customer of the ticket's organization with an account; only where the admin
  allows outside followers (`PortalSettings.followers_outside_org`, off by default) also a
  customer of another organization, or an address without an account, which gets the mail only;
- staff, disabled accounts and the portal's own addresses never follow a ticket (the same rule
  as for customers made from mail, `inbound/senders.py:reserved`), and the requester hears of
  everything already;
- adding someone who follows already changes nothing and is not an error;
- a ticket has at most `access.MAX_FOLLOWERS`;
- every change is audited (`follower.add`, `follower.remove`).

Internal notes reach a follower by no path: they read the ticket through the portal's own
check, and mail and feed are planned for the team's public answers only
(services/notifications.py).
"""

from __future__ import annotations

from chalicelib import clock
from chalicelib.data import followers as store
from chalicelib.data import tickets as ticket_store
from chalicelib.data import users as user_store
from chalicelib.data.followers import FollowerModel
from chalicelib.data.tickets import TicketFilter, TicketModel
from chalicelib.data.users import UserModel
from chalicelib.errors import Conflict, Forbidden, InvalidInput, NotFound
from chalicelib.mail import tokens
from chalicelib.services import audit
from chalicelib.services.principal import CUSTOMER, Principal
from chalicelib.services.settings import PortalSettings, get_portal_settings
from chalicelib.services.tickets import access, views
from chalicelib.services.tickets.search import search_words, ticket_number
from chalicelib.shapes.followers import Follower, FollowerList
from chalicelib.shapes.tickets import CustomerTicketPage

OUTSIDE = "Only colleagues of the ticket's organization with a portal account can follow it."


# ---------------------------------------------------------------------------------------------
# One ticket's followers


def list_followers(principal: Principal, ticket_id: str) -> FollowerList:
    """Whoever may read the ticket sees who follows it (the portal's check or the console's)."""
    return _answer(principal, access.readable_ticket(principal, ticket_id))


def add_follower(principal: Principal, ticket_id: str, email: str) -> FollowerList:
    ticket = _changeable(principal, ticket_id)
    settings = get_portal_settings()
    address = tokens.normalize(email)
    user = _who(address, ticket, settings)
    follower_id = user.user_id if user is not None else store.address_key(address)
    if user is not None:
        link_account(ticket.ticket_id, user)  # added by address before the account existed
    if store.get_follower(ticket.ticket_id, follower_id) is None:
        follower = FollowerModel(
            ticket_id=ticket.ticket_id, follower_id=follower_id,
            user_id=user.user_id if user is not None else None,
            email=str(user.email) if user is not None else address,
            added_by=principal.user_id, added_at=clock.now(),
        )
        try:
            store.add_follower(follower, access.MAX_FOLLOWERS)
        except Conflict:
            # Full, unless the same person was added meanwhile (two clicks): then all is well.
            if store.get_follower(ticket.ticket_id, follower_id) is None:
                raise
        else:
            audit.record("follower.add", actor=principal, target=f"ticket:{ticket.ticket_id}",
                         details={"email": follower.email,
                                  "name": user.name if user is not None else None})
    return _answer(principal, ticket)


def remove_follower(principal: Principal, ticket_id: str, follower_id: str) -> FollowerList:
    """The requester or staff remove anyone; a follower removes themselves."""
    ticket = access.readable_ticket(principal, ticket_id)
    if not _may_remove(principal, ticket, follower_id):
        raise Forbidden("Only the person who opened this ticket can do this.", code="not_requester")
    follower = store.get_follower(ticket.ticket_id, follower_id)
    if follower is None:
        raise NotFound("No such follower.", code="follower_not_found")
    store.remove_follower(follower)
    audit.record("follower.remove", actor=principal, target=f"ticket:{ticket.ticket_id}",
                 details={"email": follower.email})
    return _answer(principal, ticket)


def _changeable(principal: Principal, ticket_id: str) -> TicketModel:
    if principal.is_staff:
        return access.staff_ticket(principal, ticket_id)
    return access.customer_ticket(principal, ticket_id, requester_only=True)


def _may_remove(principal: Principal, ticket: TicketModel, follower_id: str) -> bool:
    return (principal.is_staff or ticket.requester_id == principal.user_id
            or follower_id == principal.user_id)


def _who(address: str, ticket: TicketModel, settings: PortalSettings) -> UserModel | None:
    """The account that follows for this address, or None for the address itself; refused when
    the rules do not let it follow. Checked in an order that tells a customer nothing about an
    address outside their organization beyond "not allowed"."""
    from chalicelib.services.inbound.senders import reserved

    if reserved(address, settings):
        raise InvalidInput("This address cannot follow a ticket.", code="follower_not_allowed")
    user = user_store.find_user_by_email(address)
    if user is not None and user.user_id == ticket.requester_id:
        raise InvalidInput("The person who opened the ticket hears of it already.",
                           code="follower_is_requester")
    ours = user is not None and user.role == CUSTOMER and user.org_id == ticket.org_id
    if not ours and not settings.followers_outside_org:
        raise InvalidInput(OUTSIDE, code="follower_outside_org")
    if user is not None and (user.role != CUSTOMER or user.status == "disabled"):
        raise InvalidInput("This address cannot follow a ticket.", code="follower_not_allowed")
    return user


def _answer(principal: Principal, ticket: TicketModel) -> FollowerList:
    followers = store.list_followers(ticket.ticket_id, access.MAX_FOLLOWERS)
    people = user_store.get_users(f.user_id for f in followers if f.user_id)
    return {
        "items": [_shape(f, people.get(str(f.user_id or "")), principal, ticket)
                  for f in followers],
        "can_add": principal.is_staff or ticket.requester_id == principal.user_id,
        "limit": access.MAX_FOLLOWERS,
    }


def _shape(
    follower: FollowerModel, user: UserModel | None, principal: Principal, ticket: TicketModel
) -> Follower:
    return {
        "id": follower.follower_id,
        "name": str(user.name) if user is not None else "",
        "email": str(user.email) if user is not None else follower.email,
        "has_account": follower.user_id is not None,
        "added_at": clock.iso(float(follower.added_at)),
        "can_remove": _may_remove(principal, ticket, follower.follower_id),
    }


# ---------------------------------------------------------------------------------------------
# What a customer follows (the portal's list, "Following")


def followed_tickets(
    principal: Principal, *, status: str, q: str, topic: str | None, limit: int,
    cursor: str | None,
) -> CustomerTicketPage:
    """The tickets the customer follows, the latest they were added to first: one page of the
    follower index, its tickets read in one batch and narrowed by the list's filters (a page
    may come back short, with a cursor to go on)."""
    settings = get_portal_settings()
    number = ticket_number(q)
    if number is not None:
        found = ticket_store.find_by_number(number)
        followed = (found is not None and not settings.hides(found.topic, found.channel)
                    and not found.merged_into
                    and access.follower_admitted(principal.org_id, found, settings)
                    and store.follows(found.ticket_id, principal.user_id))
        return views.customer_list(principal, [found] if found and followed else [], None,
                                   settings)
    narrow = TicketFilter(
        state=status if status in ("open", "closed") else None, topic=topic,
        words=search_words(q), customer_text=True, hidden_topics=settings.hidden_topics,
        hidden_channels=settings.hidden_channels, unmerged=True,
    )
    page = store.followed_by(principal.user_id, limit=limit, cursor=cursor)
    tickets = ticket_store.get_tickets([f.ticket_id for f in page.items])
    # The follower record alone is not enough: the rules must still admit them (a follower
    # moved to another organization, or let in while outside followers were allowed).
    items = [ticket for f in page.items
             if (ticket := tickets.get(f.ticket_id)) is not None and narrow.admits(ticket)
             and access.follower_admitted(principal.org_id, ticket, settings)]
    return views.customer_list(principal, items, page.cursor, settings)


# ---------------------------------------------------------------------------------------------
# Mail


def follows_by_address(ticket_id: str, address: str) -> bool:
    """Whether an address without an account follows the ticket (its mail then lands there)."""
    return store.get_follower(ticket_id, store.address_key(tokens.normalize(address))) is not None


def link_account(ticket_id: str, user: UserModel) -> None:
    """The account that just wrote on the ticket by mail, once added by its address: from now
    on it follows as the account, and so reads the ticket in its portal."""
    address_follower = store.get_follower(ticket_id, store.address_key(str(user.email)))
    if address_follower is None:
        return
    if store.get_follower(ticket_id, user.user_id) is not None:
        store.remove_follower(address_follower)  # following twice: the account stays
        return
    store.link_account(address_follower, user.user_id)

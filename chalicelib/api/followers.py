"""Followers of a ticket, on the portal (the requester adds colleagues; a follower may leave) and
in the console (agents add or remove anyone the rules allow). services/followers.py holds the
rules; both sides answer the ticket's follower list as the caller may see and change it.

Services are imported in the view: a cold start loads only what the route it answers needs."""

from __future__ import annotations

from chalice.app import Blueprint
from pydantic import Field

from chalicelib.api.requests import Strict
from chalicelib.api.routing import CUSTOMERS, STAFF, route
from chalicelib.services.fields import EmailAddress
from chalicelib.services.principal import Principal
from chalicelib.shapes.followers import FollowerList

blueprint = Blueprint(__name__)
PORTAL = "/api/portal/tickets/{ticket_id}/followers"
CONSOLE = "/api/console/tickets/{ticket_id}/followers"


class FollowerBody(Strict):
    email: EmailAddress = Field(
        description="A colleague's address, or any address where the admin allows outside "
        "followers; adding someone who follows already changes nothing."
    )


@route(blueprint, PORTAL, access=CUSTOMERS, tag="portal",
       summary="Who follows the ticket: they hear of the team's answers and, with an account, "
       "read it in their portal.")
def portal_followers(caller: Principal, ticket_id: str) -> FollowerList:
    from chalicelib.services import followers

    return followers.list_followers(caller, ticket_id)


@route(blueprint, PORTAL, method="POST", access=CUSTOMERS, body=FollowerBody, tag="portal",
       summary="Add a follower by address (the requester only); answers the followers.")
def portal_add_follower(caller: Principal, ticket_id: str, body: FollowerBody) -> FollowerList:
    from chalicelib.services import followers

    return followers.add_follower(caller, ticket_id, body.email)


@route(blueprint, PORTAL + "/{follower_id}", method="DELETE", access=CUSTOMERS, tag="portal",
       summary="Remove a follower (the requester), or stop following (the follower).")
def portal_remove_follower(caller: Principal, ticket_id: str, follower_id: str) -> FollowerList:
    from chalicelib.services import followers

    return followers.remove_follower(caller, ticket_id, follower_id)


@route(blueprint, CONSOLE, access=STAFF, tag="console",
       summary="Who follows the conversation besides the requester.")
def console_followers(caller: Principal, ticket_id: str) -> FollowerList:
    from chalicelib.services import followers

    return followers.list_followers(caller, ticket_id)


@route(blueprint, CONSOLE, method="POST", access=STAFF, body=FollowerBody, tag="console",
       summary="Add a follower by address; answers the followers.")
def console_add_follower(caller: Principal, ticket_id: str, body: FollowerBody) -> FollowerList:
    from chalicelib.services import followers

    return followers.add_follower(caller, ticket_id, body.email)


@route(blueprint, CONSOLE + "/{follower_id}", method="DELETE", access=STAFF, tag="console",
       summary="Remove a follower.")
def console_remove_follower(caller: Principal, ticket_id: str, follower_id: str) -> FollowerList:
    from chalicelib.services import followers

    return followers.remove_follower(caller, ticket_id, follower_id)

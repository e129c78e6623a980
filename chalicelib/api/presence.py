"""The console's presence heartbeat: who else has a conversation open, and who is typing.

Both routes are background requests (api/authorizer.py BACKGROUND_ROUTES): a page left open
beats every few seconds, and that must never keep its session alive."""

from __future__ import annotations

from chalice.app import Blueprint
from pydantic import Field

from chalicelib.api.requests import Strict
from chalicelib.api.routing import STAFF, route
from chalicelib.services.principal import Principal
from chalicelib.shapes.common import Ok
from chalicelib.shapes.presence import PresenceList

blueprint = Blueprint(__name__)
TAG = "console"
PRESENCE = "/api/console/tickets/{ticket_id}/presence"


class PresenceBody(Strict):
    typing: bool = Field(False, description="The agent is typing an answer right now.")


@route(blueprint, PRESENCE, method="PUT", access=STAFF, body=PresenceBody, tag=TAG,
       refreshes_session=False,
       summary="I am on this conversation (typing or not): the other agents who are. Send it "
       "every heartbeat_seconds while the page is shown, and when typing starts or stops.")
def beat(caller: Principal, ticket_id: str, body: PresenceBody) -> PresenceList:
    from chalicelib.services import presence

    return presence.beat(caller, ticket_id, body.typing)


@route(blueprint, PRESENCE, method="DELETE", access=STAFF, tag=TAG, refreshes_session=False,
       summary="I left this conversation: the others stop seeing me.")
def leave(caller: Principal, ticket_id: str) -> Ok:
    from chalicelib.services import presence

    presence.leave(caller, ticket_id)
    return {"ok": True}

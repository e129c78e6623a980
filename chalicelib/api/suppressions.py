"""Admin: the addresses the portal no longer mails, why, and lifting one.

Services are imported in the view: a cold start loads only what the route it answers needs."""

from __future__ import annotations

from urllib.parse import unquote

from chalice.app import Blueprint
from pydantic import Field

from chalicelib.api.pagination import PageQuery
from chalicelib.api.routing import ADMINS, route
from chalicelib.services.fields import MAX_ADDRESS
from chalicelib.services.principal import Principal
from chalicelib.shapes.common import Ok
from chalicelib.shapes.suppressions import SuppressionPage

blueprint = Blueprint(__name__)
TAG = "admin"


class SuppressionQuery(PageQuery):
    email: str | None = Field(
        None, min_length=3, max_length=MAX_ADDRESS,
        description="One address's entry instead of the list.",
    )


@route(blueprint, "/api/admin/suppressions", access=ADMINS, query=SuppressionQuery, tag=TAG,
       summary="Suppressed addresses, newest first: why, since when, and the evidence.")
def list_suppressions(caller: Principal, query: SuppressionQuery) -> SuppressionPage:
    from chalicelib.services import suppressions

    items, cursor = suppressions.list_suppressions(query.cursor, query.limit, query.email)
    return {"items": items, "next_cursor": cursor}


@route(blueprint, "/api/admin/suppressions/{email}", method="DELETE", access=ADMINS, tag=TAG,
       summary="Lift a suppression: mail to the address goes out again (audited).")
def lift_suppression(caller: Principal, email: str) -> Ok:
    from chalicelib.services import suppressions

    # chalice local passes the path as sent, percent-encoded ("%40"); unquoting an address that
    # was already decoded changes it only if it has a "%", which no real mailbox uses.
    suppressions.lift_suppression(caller, unquote(email))
    return {"ok": True}

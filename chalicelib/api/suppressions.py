"""Admin: the addresses the portal no longer mails, why, and lifting one."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from chalice.app import Blueprint
from pydantic import Field

from chalicelib.api.pagination import PageQuery
from chalicelib.api.routing import ADMINS, route
from chalicelib.services import suppressions
from chalicelib.services.principal import Principal

blueprint = Blueprint(__name__)
TAG = "admin"


class SuppressionQuery(PageQuery):
    email: str | None = Field(
        None, min_length=3, max_length=suppressions.MAX_ADDRESS,
        description="One address's entry instead of the list.",
    )


@route(blueprint, "/api/admin/suppressions", access=ADMINS, query=SuppressionQuery, tag=TAG,
       summary="Suppressed addresses, newest first: why, since when, and the evidence.")
def list_suppressions(caller: Principal, query: SuppressionQuery) -> dict[str, Any]:
    items, cursor = suppressions.list_suppressions(query.cursor, query.limit, query.email)
    return {"items": items, "next_cursor": cursor}


@route(blueprint, "/api/admin/suppressions/{email}", method="DELETE", access=ADMINS, tag=TAG,
       summary="Lift a suppression: mail to the address goes out again (audited).")
def lift_suppression(caller: Principal, email: str) -> dict[str, Any]:
    # chalice local passes the path as sent, percent-encoded ("%40"); unquoting an address that
    # was already decoded changes it only if it has a "%", which no real mailbox uses.
    suppressions.lift_suppression(caller, unquote(email))
    return {"ok": True}

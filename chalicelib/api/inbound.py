"""Staff: the inbound mail log. Quarantined mail is listed here to be released (spam, virus,
DMARC: an agent's call) or run again (mail that could not be handled, or whose attempt died)."""

from __future__ import annotations

from typing import Any, Literal

from chalice.app import Blueprint

from chalicelib.api.pagination import PageQuery
from chalicelib.api.routing import STAFF, route
from chalicelib.services.principal import Principal

blueprint = Blueprint(__name__)

# `services.inbound` is imported inside each route: it brings the MIME parser and its charset
# and HTML libraries, which no other route of the API function needs at cold start.


class InboundQuery(PageQuery):
    # `processing`: in flight, or left by an attempt that died (`stuck`, retryable) until the
    # sweep quarantines it.
    status: Literal[
        "quarantined", "failed", "processing", "rejected", "dropped", "done"
    ] = "quarantined"


@route(
    blueprint,
    "/api/admin/inbound",
    access=STAFF,
    query=InboundQuery,
    tag="admin",
    summary="Received mail by outcome, newest first (default: the quarantine).",
)
def list_inbound(caller: Principal, query: InboundQuery) -> dict[str, Any]:
    from chalicelib.services import inbound

    return inbound.list_deliveries(query.status, query.limit, query.cursor)


@route(
    blueprint,
    "/api/admin/inbound/{delivery_id}/retry",
    method="POST",
    access=STAFF,
    tag="admin",
    summary="Run a quarantined, failed or stuck delivery again (no change for any other).",
)
def retry_inbound(caller: Principal, delivery_id: str) -> dict[str, Any]:
    from chalicelib.services import inbound

    return inbound.retry_delivery(caller, delivery_id)


@route(
    blueprint,
    "/api/admin/inbound/{delivery_id}/release",
    method="POST",
    access=STAFF,
    tag="admin",
    summary="Let a message held by a spam, virus or DMARC verdict through (attachments of a "
    "virus verdict stay out).",
)
def release_inbound(caller: Principal, delivery_id: str) -> dict[str, Any]:
    from chalicelib.services import inbound

    return inbound.release_delivery(caller, delivery_id)

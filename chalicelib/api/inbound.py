"""Staff: the inbound mail log. Quarantined mail is listed here to be read, then released
(spam, virus, DMARC, an unproven sender, a stranger in a ticket's thread: an agent's call), run
again (mail that could not be handled, or whose attempt died) or discarded; dropped mail a
person did write is forced through.

Services are imported in the view: a cold start loads only what the route it answers needs
(`services.inbound` brings the MIME parser and its charset and HTML libraries)."""

from __future__ import annotations

from typing import Literal

from chalice.app import Blueprint
from pydantic import Field

from chalicelib.api.pagination import PageQuery
from chalicelib.api.requests import Strict
from chalicelib.api.routing import STAFF, route
from chalicelib.services.principal import Principal
from chalicelib.shapes.inbound import Delivery, DeliveryPage, HeldMessage

blueprint = Blueprint(__name__)


class InboundQuery(PageQuery):
    # `processing`: in flight, or left by an attempt that died (`stuck`, retryable) until the
    # sweep quarantines it.
    status: Literal[
        "quarantined", "failed", "processing", "rejected", "dropped", "done"
    ] = "quarantined"


class ReleaseBody(Strict):
    into: Literal["ticket", "new"] | None = Field(
        default=None,
        description='For a reply from someone outside the ticket (not_participant): "ticket" '
        'adds it to that ticket as an internal event for staff, "new" makes a new ticket of '
        "the sender's own. Ignored for other holds.",
    )


@route(
    blueprint,
    "/api/admin/inbound",
    access=STAFF,
    query=InboundQuery,
    tag="admin",
    summary="Received mail by outcome, newest first (default: the quarantine).",
)
def list_inbound(caller: Principal, query: InboundQuery) -> DeliveryPage:
    from chalicelib.services.inbound import deliveries

    return deliveries.list_deliveries(query.status, query.limit, query.cursor)


@route(
    blueprint,
    "/api/admin/inbound/{delivery_id}",
    access=STAFF,
    tag="admin",
    summary="Read a received message safely: sender, verdicts, plain text, attachment names "
    "(never its HTML, never the attachments' bytes).",
)
def read_inbound(caller: Principal, delivery_id: str) -> HeldMessage:
    from chalicelib.services.inbound import held

    return held.read_held(delivery_id)


@route(
    blueprint,
    "/api/admin/inbound/{delivery_id}/retry",
    method="POST",
    access=STAFF,
    tag="admin",
    summary="Run a quarantined, failed or stuck delivery again (no change for any other).",
)
def retry_inbound(caller: Principal, delivery_id: str) -> Delivery:
    from chalicelib.services.inbound import held

    return held.retry_delivery(caller, delivery_id)


@route(
    blueprint,
    "/api/admin/inbound/{delivery_id}/release",
    method="POST",
    access=STAFF,
    tag="admin",
    body=ReleaseBody,
    summary="Let a held message through: a spam, virus or DMARC verdict (attachments of a virus "
    "verdict stay out), an unproven sender, or a stranger's reply to a ticket (`into`).",
)
def release_inbound(caller: Principal, delivery_id: str, body: ReleaseBody) -> Delivery:
    from chalicelib.services.inbound import held

    return held.release_delivery(caller, delivery_id, into=body.into)


@route(
    blueprint,
    "/api/admin/inbound/{delivery_id}/discard",
    method="POST",
    access=STAFF,
    tag="admin",
    summary="Discard a held or failed message: dropped for good, audited (no change the second "
    "time).",
)
def discard_inbound(caller: Principal, delivery_id: str) -> Delivery:
    from chalicelib.services.inbound import held

    return held.discard_delivery(caller, delivery_id)


@route(
    blueprint,
    "/api/admin/inbound/{delivery_id}/force",
    method="POST",
    access=STAFF,
    tag="admin",
    summary="Run a dropped message (an automatic reply, an unknown sender...) again as a "
    "person's message, audited.",
)
def force_inbound(caller: Principal, delivery_id: str) -> Delivery:
    from chalicelib.services.inbound import held

    return held.force_delivery(caller, delivery_id)

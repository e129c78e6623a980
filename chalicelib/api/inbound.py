"""Staff: the inbound mail log. Quarantined mail is listed here to be read, then released
(spam, virus, DMARC, an unproven sender, a stranger in a ticket's thread: an agent's call), run
again (mail that could not be handled, or whose attempt died) or discarded; dropped mail a
person did write is forced through."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from chalice.app import Blueprint
from pydantic import BaseModel, ConfigDict, Field

from chalicelib.api.pagination import PageQuery
from chalicelib.api.routing import STAFF, route
from chalicelib.services.principal import Principal

if TYPE_CHECKING:
    from chalicelib.services.held_mail import HeldMessage

blueprint = Blueprint(__name__)

# `services.inbound` and `services.held_mail` are imported inside each route: they bring the MIME
# parser and its charset and HTML libraries, which no other route of the API function needs at
# cold start.


class InboundQuery(PageQuery):
    # `processing`: in flight, or left by an attempt that died (`stuck`, retryable) until the
    # sweep quarantines it.
    status: Literal[
        "quarantined", "failed", "processing", "rejected", "dropped", "done"
    ] = "quarantined"


class ReleaseBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

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
def list_inbound(caller: Principal, query: InboundQuery) -> dict[str, Any]:
    from chalicelib.services import inbound

    return inbound.list_deliveries(query.status, query.limit, query.cursor)


@route(
    blueprint,
    "/api/admin/inbound/{delivery_id}",
    access=STAFF,
    tag="admin",
    summary="Read a received message safely: sender, verdicts, plain text, attachment names "
    "(never its HTML, never the attachments' bytes).",
)
def read_inbound(caller: Principal, delivery_id: str) -> HeldMessage:
    from chalicelib.services import held_mail

    return held_mail.read_held(delivery_id)


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
    body=ReleaseBody,
    summary="Let a held message through: a spam, virus or DMARC verdict (attachments of a virus "
    "verdict stay out), an unproven sender, or a stranger's reply to a ticket (`into`).",
)
def release_inbound(caller: Principal, delivery_id: str, body: ReleaseBody) -> dict[str, Any]:
    from chalicelib.services import inbound

    return inbound.release_delivery(caller, delivery_id, into=body.into)


@route(
    blueprint,
    "/api/admin/inbound/{delivery_id}/discard",
    method="POST",
    access=STAFF,
    tag="admin",
    summary="Discard a held or failed message: dropped for good, audited (no change the second "
    "time).",
)
def discard_inbound(caller: Principal, delivery_id: str) -> dict[str, Any]:
    from chalicelib.services import held_mail

    return held_mail.discard_delivery(caller, delivery_id)


@route(
    blueprint,
    "/api/admin/inbound/{delivery_id}/force",
    method="POST",
    access=STAFF,
    tag="admin",
    summary="Run a dropped message (an automatic reply, an unknown sender...) again as a "
    "person's message, audited.",
)
def force_inbound(caller: Principal, delivery_id: str) -> dict[str, Any]:
    from chalicelib.services import inbound

    return inbound.force_delivery(caller, delivery_id)

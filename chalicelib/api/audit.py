"""Admin: the audit log, newest first.

Services are imported in the view: a cold start loads only what the route it answers needs."""

from __future__ import annotations

from datetime import date
from typing import Literal

from chalice.app import Blueprint
from pydantic import Field

from chalicelib.api.pagination import PageQuery
from chalicelib.api.routing import ADMINS, route
from chalicelib.services.principal import Principal
from chalicelib.shapes.audit import AuditPage

blueprint = Blueprint(__name__)


class AuditQuery(PageQuery):
    """Each filter is a partition of its own (data/audit.py): any of them costs one page."""

    kind: Literal["change", "signin"] | None = None
    action: str | None = Field(None, max_length=60, pattern=r"^[a-z_]+(\.[a-z_]+)*$")
    actor: str | None = Field(None, min_length=1, max_length=254)
    since: date | None = None
    until: date | None = None


@route(
    blueprint,
    "/api/admin/audit",
    access=ADMINS,
    query=AuditQuery,
    tag="admin",
    summary="Audit entries (sign-ins, failures, lockouts, password and admin changes), by kind "
    "(changes or sign-ins), action, person (address) and date range.",
)
def list_audit(caller: Principal, query: AuditQuery) -> AuditPage:
    from chalicelib.services import audit

    items, cursor = audit.list_entries(
        query.cursor, query.limit, kind=query.kind, action=query.action, actor=query.actor,
        since=query.since, until=query.until,
    )
    return {"items": items, "next_cursor": cursor}

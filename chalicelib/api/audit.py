"""Admin: the audit log, newest first."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint

from chalicelib.api.pagination import PageQuery
from chalicelib.api.routing import ADMINS, route
from chalicelib.services import audit
from chalicelib.services.principal import Principal

blueprint = Blueprint(__name__)


@route(
    blueprint,
    "/api/admin/audit",
    access=ADMINS,
    query=PageQuery,
    tag="admin",
    summary="Audit entries (sign-ins, failures, lockouts, password and admin changes).",
)
def list_audit(caller: Principal, query: PageQuery) -> dict[str, Any]:
    items, cursor = audit.list_entries(query.cursor, query.limit)
    return {"items": items, "next_cursor": cursor}

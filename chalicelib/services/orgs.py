"""Organizations: the companies whose contacts use the portal."""

from __future__ import annotations

import uuid
from typing import Any

from chalicelib import clock
from chalicelib.data import orgs as store
from chalicelib.errors import NotFound
from chalicelib.services import audit
from chalicelib.services.principal import Principal


def public_org(org: store.OrgModel) -> dict[str, Any]:
    return {"id": org.org_id, "name": org.name}


def create_org(actor: Principal | None, name: str, org_id: str | None = None) -> dict[str, Any]:
    org = store.create_org(
        store.OrgModel(org_id=org_id or uuid.uuid4().hex, name=name.strip(), created_at=clock.now())
    )
    if actor:
        audit.record("org.create", actor=actor, target=org.org_id, details={"name": org.name})
    return public_org(org)


def get_org(org_id: str) -> dict[str, Any]:
    org = store.get_org(org_id)
    if org is None:
        raise NotFound("No such organization.")
    return public_org(org)


def list_orgs(limit: int, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    page = store.list_orgs(limit, cursor)
    return [public_org(o) for o in page.items], page.cursor

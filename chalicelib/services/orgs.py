"""Organizations: the companies whose contacts use the portal."""

from __future__ import annotations

import uuid

from chalicelib import clock
from chalicelib.data import orgs as store
from chalicelib.errors import InvalidInput, NotFound
from chalicelib.services import audit, customers
from chalicelib.services.principal import Principal
from chalicelib.shapes.orgs import Org


def public_org(org: store.OrgModel) -> Org:
    return {"id": org.org_id, "name": org.name,
            "require_second_factor": bool(org.require_second_factor)}


def create_org(actor: Principal | None, name: str, org_id: str | None = None) -> Org:
    """Names are unique whatever their case and spacing: two "Acme" would be told apart by
    nobody choosing one from a list."""
    org = store.create_org(
        store.OrgModel(org_id=org_id or uuid.uuid4().hex, name=_clean(name), created_at=clock.now())
    )
    customers.reindex_org(org.org_id, None, org.name)
    if actor:
        audit.record("org.create", actor=actor, target=org.org_id, details={"name": org.name})
    return public_org(org)


def rename_org(actor: Principal, org_id: str, name: str) -> Org:
    org = store.get_org(org_id)
    if org is None:
        # The words the router gives an id no organization can have (api/routing.py MISSING):
        # a missing organization and an impossible id answer alike.
        raise NotFound("Not found.")
    before, new_name = org.name, _clean(name)
    if new_name != before:
        store.rename_org(org, new_name)
        customers.reindex_org(org_id, before, new_name)
        audit.record("org.rename", actor=actor, target=org_id, details={
            "name": new_name, "changes": audit.differences({"name": before}, {"name": new_name}),
        })
    return public_org(org)


def require_second_factor(actor: Principal, org_id: str, required: bool) -> Org:
    """Whether the organization's customers must sign in with a second factor: those without
    one set it up at their next sign-in (services/second_factor.py); open sessions stay."""
    org = store.get_org(org_id)
    if org is None:
        raise NotFound("Not found.")
    before = bool(org.require_second_factor)
    if required != before:
        store.set_require_second_factor(org, required)
        audit.record("org.update", actor=actor, target=org_id, details={
            "name": org.name, "changes": audit.differences(
                {"require_second_factor": before}, {"require_second_factor": required}),
        })
    return public_org(org)


def _clean(name: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned:
        raise InvalidInput("The organization needs a name.", code="invalid_name")
    return cleaned


def get_org(org_id: str) -> Org:
    org = store.get_org(org_id)
    if org is None:
        raise NotFound("No such organization.")
    return public_org(org)


def list_orgs(limit: int, cursor: str | None) -> tuple[list[Org], str | None]:
    page = store.list_orgs(limit, cursor)
    return [public_org(o) for o in page.items], page.cursor

"""Admin: organizations.

Services are imported in the view: a cold start loads only what the route it answers needs."""

from __future__ import annotations

from chalice.app import Blueprint
from pydantic import Field

from chalicelib.api.pagination import PageQuery
from chalicelib.api.requests import Strict
from chalicelib.api.routing import ADMINS, route
from chalicelib.services.principal import Principal
from chalicelib.shapes.orgs import OrgAnswer, OrgPage

blueprint = Blueprint(__name__)
TAG = "admin"


class CreateOrgBody(Strict):
    name: str = Field(min_length=1, max_length=120)


class UpdateOrgBody(Strict):
    """Only what is sent changes."""

    name: str | None = Field(default=None, min_length=1, max_length=120)
    require_second_factor: bool | None = Field(
        default=None, description="Its customers sign in with a second factor (set up at their "
        "next sign-in when they have none)")


@route(
    blueprint,
    "/api/admin/orgs",
    method="POST",
    access=ADMINS,
    body=CreateOrgBody,
    status=201,
    tag=TAG,
    summary="Create an organization.",
)
def create_org(caller: Principal, body: CreateOrgBody) -> OrgAnswer:
    from chalicelib.services import orgs

    return {"org": orgs.create_org(caller, body.name)}


@route(
    blueprint,
    "/api/admin/orgs",
    access=ADMINS,
    query=PageQuery,
    tag=TAG,
    summary="Organizations by name.",
)
def list_orgs(caller: Principal, query: PageQuery) -> OrgPage:
    from chalicelib.services import orgs

    items, cursor = orgs.list_orgs(query.limit, query.cursor)
    return {"items": items, "next_cursor": cursor}


@route(
    blueprint,
    "/api/admin/orgs/{org_id}",
    method="PATCH",
    access=ADMINS,
    body=UpdateOrgBody,
    tag=TAG,
    summary="Rename an organization (names are unique, whatever their case) or require a second "
    "factor of its customers; audited.",
)
def rename_org(caller: Principal, org_id: str, body: UpdateOrgBody) -> OrgAnswer:
    from chalicelib.services import orgs

    org = None
    if body.name is not None:
        org = orgs.rename_org(caller, org_id, body.name)
    if body.require_second_factor is not None:
        org = orgs.require_second_factor(caller, org_id, body.require_second_factor)
    return {"org": org or orgs.get_org(org_id)}

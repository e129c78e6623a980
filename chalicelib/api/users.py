"""Admin: users (customers, agents, admins).

Services are imported in the view: a cold start loads only what the route it answers needs."""

from __future__ import annotations

from typing import Annotated, Literal

from chalice.app import Blueprint
from pydantic import Field

from chalicelib.api.pagination import PageQuery
from chalicelib.api.requests import Strict
from chalicelib.api.routing import ADMINS, route
from chalicelib.services.principal import Principal
from chalicelib.shapes.users import UserAnswer, UserPage

blueprint = Blueprint(__name__)
TAG = "admin"


class CreateUserBody(Strict):
    email: str = Field(min_length=3, max_length=254)
    name: str = Field(min_length=1, max_length=120)
    role: Literal["customer", "agent", "admin"]
    org_id: str | None = Field(None, max_length=64)
    org_view: bool = False
    team_ids: list[str] = Field(default_factory=list, max_length=20)
    language: Literal["en", "fr", "pl"] = "en"
    delivery: Literal["invite", "password"] = "invite"


class UpdateUserBody(Strict):
    name: str | None = Field(None, min_length=1, max_length=120)
    language: Literal["en", "fr", "pl"] | None = None
    role: Literal["customer", "agent", "admin"] | None = None
    # A customer's organization (required when staff become customers); staff have none.
    org_id: str | None = Field(None, min_length=1, max_length=64)
    org_view: bool | None = None
    team_ids: list[Annotated[str, Field(min_length=1, max_length=40)]] | None = Field(
        None, max_length=20
    )
    status: Literal["active", "disabled"] | None = None


class UserListQuery(PageQuery):
    org_id: str | None = Field(None, max_length=64)
    q: str = Field("", max_length=120)


@route(
    blueprint,
    "/api/admin/users",
    method="POST",
    access=ADMINS,
    body=CreateUserBody,
    status=201,
    tag=TAG,
    summary="Create a user; emails an invite link or a temporary password.",
)
def create_user(caller: Principal, body: CreateUserBody) -> UserAnswer:
    from chalicelib.services import users

    return {"user": users.create_user(caller, **body.model_dump())}


@route(
    blueprint,
    "/api/admin/users",
    access=ADMINS,
    query=UserListQuery,
    tag=TAG,
    summary="List the customers of an organization (org_id), or staff by name prefix (q).",
)
def list_users(caller: Principal, query: UserListQuery) -> UserPage:
    from chalicelib.services import users

    items, cursor = users.list_users(
        org_id=query.org_id, name_prefix=query.q, limit=query.limit, cursor=query.cursor
    )
    return {"items": items, "next_cursor": cursor}


@route(blueprint, "/api/admin/users/{user_id}", access=ADMINS, tag=TAG, summary="One user.")
def get_user(caller: Principal, user_id: str) -> UserAnswer:
    from chalicelib.services import users

    return {"user": users.get_user(user_id)}


@route(
    blueprint,
    "/api/admin/users/{user_id}",
    method="PATCH",
    access=ADMINS,
    body=UpdateUserBody,
    tag=TAG,
    summary="Edit or disable a user (name, language, role, organization and its view, teams "
    "from the team list); where rights shrink, the user's sessions end.",
)
def update_user(caller: Principal, user_id: str, body: UpdateUserBody) -> UserAnswer:
    from chalicelib.services import users

    return {"user": users.update_user(caller, user_id, body.model_dump(exclude_none=True))}

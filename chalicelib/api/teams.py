"""Admin: teams, and the address support alerts go to while nobody is assigned.

Services are imported in the view: a cold start loads only what the route it answers needs."""

from __future__ import annotations

from chalice.app import Blueprint
from pydantic import Field

from chalicelib.api.requests import Strict
from chalicelib.api.routing import ADMINS, route
from chalicelib.services.fields import EmailAddress
from chalicelib.services.principal import Principal
from chalicelib.shapes.teams import TeamAnswer, TeamList

blueprint = Blueprint(__name__)
TAG = "admin"


class CreateTeamBody(Strict):
    # What topics name in their `team_id`.
    id: str = Field(min_length=1, max_length=40, pattern=r"^[a-z0-9][a-z0-9_-]*$")
    name: str = Field(min_length=1, max_length=80)
    email: EmailAddress | None = Field(
        None, description="Where support alerts go when nobody is assigned."
    )


class UpdateTeamBody(Strict):
    name: str | None = Field(None, min_length=1, max_length=80)
    email: EmailAddress | None = Field(None, description="null removes the address.")


@route(blueprint, "/api/admin/teams", access=ADMINS, tag=TAG,
       summary="Teams, with their alert address and the topics routed to each.")
def list_teams(caller: Principal) -> TeamList:
    from chalicelib.services import teams

    return {"items": teams.list_teams()}


@route(blueprint, "/api/admin/teams", method="POST", access=ADMINS, body=CreateTeamBody,
       status=201, tag=TAG, summary="Create a team (audited).")
def create_team(caller: Principal, body: CreateTeamBody) -> TeamAnswer:
    from chalicelib.services import teams

    return {"team": teams.create_team(caller, body.id, body.name, body.email)}


@route(blueprint, "/api/admin/teams/{team_id}", method="PATCH", access=ADMINS,
       body=UpdateTeamBody, tag=TAG,
       summary="Rename a team, or set or remove its alert address (audited).")
def update_team(caller: Principal, team_id: str, body: UpdateTeamBody) -> TeamAnswer:
    from chalicelib.services import teams

    return {"team": teams.update_team(caller, team_id, body.model_dump(exclude_unset=True))}

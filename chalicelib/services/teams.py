"""Teams of agents: topics route their tickets to a team, and a customer's message on a ticket
nobody is assigned to alerts the team's address (services/notifications.py)."""

from __future__ import annotations

from typing import Any

from chalicelib import clock
from chalicelib.config import get_settings
from chalicelib.data import teams as store
from chalicelib.errors import InvalidInput, NotFound
from chalicelib.mail import tokens
from chalicelib.services import audit
from chalicelib.services.principal import Principal
from chalicelib.services.settings import get_portal_settings
from chalicelib.shapes.teams import Team


def list_teams() -> list[Team]:
    return [_public(team) for team in store.list_teams()]


def create_team(
    actor: Principal | None, team_id: str, name: str, email: str | None
) -> Team:
    team = store.create_team(store.TeamModel(
        team_id=team_id, name=name.strip(), email=_address(email), created_at=clock.now(),
    ))
    if actor is not None:
        audit.record("team.create", actor=actor, target=team_id,
                     details={"name": team.name, "email": team.email})
    return _public(team)


def update_team(actor: Principal, team_id: str, changes: dict[str, Any]) -> Team:
    """`changes` holds the fields the admin sent: a name, and an address (None removes it)."""
    team = store.get_team(team_id)
    if team is None:
        raise NotFound("No such team.", code="team_not_found")
    name = str(changes.get("name") or team.name).strip()
    email = _address(changes["email"]) if "email" in changes else team.email
    changed = sorted(
        field for field, old, new in (("name", team.name, name), ("email", team.email, email))
        if old != new
    )
    updated = store.update_team(team_id, name=name, email=email)
    audit.record("team.update", actor=actor, target=team_id,
                 details={"changed": changed, "name": name, "email": email})
    return _public(updated)


def _address(email: str | None) -> str | None:
    if not email:
        return None
    address = tokens.normalize(email)
    if address == tokens.normalize(get_settings().mail_from):
        # Alerts sent to the portal's own address would come back as inbound mail.
        raise InvalidInput("The team's address cannot be the portal's own sender address.",
                           code="own_address")
    return address


def _public(team: store.TeamModel) -> Team:
    return {
        "id": team.team_id,
        "name": team.name,
        "email": team.email,
        "topics": [t.id for t in get_portal_settings().topics if t.team_id == team.team_id],
    }

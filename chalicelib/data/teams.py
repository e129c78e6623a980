"""Teams of agents (routing of conversations and of support alerts)."""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.data.base import REGION, table_name, translate
from chalicelib.errors import Conflict, NotFound

ALL_TEAMS = "team"


class TeamNameIndex(GlobalSecondaryIndex["TeamModel"]):
    class Meta:
        index_name = "name-index"
        projection = AllProjection()

    kind = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute(range_key=True)


class TeamModel(Model):
    class Meta:
        table_name = table_name("teams")
        region = REGION
        billing_mode = "PAY_PER_REQUEST"

    team_id = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute()
    email = UnicodeAttribute(null=True)  # where support alerts go when nobody is assigned
    kind = UnicodeAttribute(default=ALL_TEAMS)
    created_at = NumberAttribute()

    name_index = TeamNameIndex()


def create_team(team: TeamModel) -> TeamModel:
    with translate(Conflict("A team with this id already exists.")):
        team.save(condition=TeamModel.team_id.does_not_exist())
    return team


def get_team(team_id: str) -> TeamModel | None:
    try:
        return TeamModel.get(team_id)
    except DoesNotExist:
        return None


def list_teams() -> list[TeamModel]:
    """Admin and console pickers: teams are few, one bounded query by name."""
    return list(TeamModel.name_index.query(ALL_TEAMS, limit=200))


def update_team(team_id: str, *, name: str, email: str | None) -> TeamModel:
    """Rename a team and set or remove its address; only a team that exists."""
    team = TeamModel(team_id=team_id)
    with translate(NotFound("No such team.", code="team_not_found")):
        team.update(
            actions=[
                TeamModel.name.set(name),
                TeamModel.email.set(email) if email else TeamModel.email.remove(),
            ],
            condition=TeamModel.team_id.exists(),
        )
    return team

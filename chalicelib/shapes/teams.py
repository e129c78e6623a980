"""What the team routes answer."""

from __future__ import annotations

from typing_extensions import TypedDict


class Team(TypedDict):
    id: str
    name: str
    email: str | None  # where support alerts go while nobody is assigned
    topics: list[str]  # the ids of the topics routed to the team


class TeamAnswer(TypedDict):
    team: Team


class TeamList(TypedDict):
    items: list[Team]

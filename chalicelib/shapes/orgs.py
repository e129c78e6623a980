"""What the organization routes answer."""

from __future__ import annotations

from typing_extensions import TypedDict


class Org(TypedDict):
    id: str
    name: str
    require_second_factor: bool  # its customers sign in with a second factor


class OrgAnswer(TypedDict):
    org: Org


class OrgPage(TypedDict):
    items: list[Org]
    next_cursor: str | None

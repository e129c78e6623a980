"""What the account routes answer: a user as admins and the user themselves see it."""

from __future__ import annotations

from typing_extensions import TypedDict


class User(TypedDict):
    id: str
    email: str
    name: str
    role: str  # customer, agent or admin
    org_id: str | None  # customers only
    org_view: bool  # a customer sees the organization's tickets
    team_ids: list[str]  # agents and admins only, sorted
    language: str
    status: str  # active, disabled or unverified
    must_change_password: bool
    second_factors: list[str]  # what the account has set up: "passkey", "totp"; sorted


class UserAnswer(TypedDict):
    user: User


class UserPage(TypedDict):
    items: list[User]
    next_cursor: str | None

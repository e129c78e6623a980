"""What the follower routes answer (services/followers.py), on the portal and in the console."""

from __future__ import annotations

from typing_extensions import TypedDict


class Follower(TypedDict):
    id: str  # the path id to remove them by
    name: str  # the account's name; "" for an address without an account
    email: str
    has_account: bool  # without one: mail only, nothing to read in a portal
    added_at: str  # ISO 8601, UTC
    can_remove: bool  # by the caller: staff, the requester, or the follower themselves


class FollowerList(TypedDict):
    items: list[Follower]  # oldest first
    can_add: bool  # staff and the requester add followers
    limit: int  # how many a ticket may have

"""What the console's presence heartbeat answers (services/presence.py)."""

from __future__ import annotations

from typing_extensions import TypedDict


class Viewer(TypedDict):
    id: str  # the agent's user id
    name: str
    typing: bool  # typed in the answer box within the last few seconds


class PresenceList(TypedDict):
    items: list[Viewer]  # the other agents on the conversation now, by name; never the caller
    heartbeat_seconds: int  # how often the page says it is still there
    typing_seconds: int  # how long a "typing" lasts unless the page says so again

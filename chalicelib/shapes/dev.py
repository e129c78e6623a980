"""What the local-only pages answer (api/dev.py, registered on the local and test stages)."""

from __future__ import annotations

from typing_extensions import TypedDict


class SentMail(TypedDict):
    id: str
    headers: list[list[str]]  # [name, value] pairs, in order
    subject: str
    to: str
    text: str
    html: str


class SentMailList(TypedDict):
    items: list[SentMail]  # newest first

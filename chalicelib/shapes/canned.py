"""What the canned-response routes answer (services/canned.py)."""

from __future__ import annotations

from typing import NotRequired

from typing_extensions import TypedDict


class CannedResponse(TypedDict):
    id: str
    title: str
    body: str  # with its placeholders, as saved
    language: str  # en, fr, pl, or any
    shortcut: str | None  # typed after ";" in the composer
    action: str | None  # the answer action it chooses: send, send_leave_open, ...
    shared: bool  # the team's (admins edit it), or the caller's own
    editable: bool  # whether the caller may change or delete it
    updated_at: str  # ISO 8601, UTC
    # Asked for one ticket (`ticket_id`): the body with its placeholders filled for that
    # ticket's customer and the caller.
    filled: NotRequired[str]


class CannedList(TypedDict):
    items: list[CannedResponse]  # by title
    placeholders: list[str]  # the names a body may use, as {{ name }}
    # Asked for one ticket: the customer's language, which the composer's picker shows first.
    customer_language: NotRequired[str]


class CannedAnswer(TypedDict):
    response: CannedResponse

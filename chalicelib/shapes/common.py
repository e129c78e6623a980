"""Answers several aggregates share."""

from __future__ import annotations

from typing import Literal

from typing_extensions import TypedDict


class Ok(TypedDict):
    """Done; there is nothing more to tell."""

    ok: Literal[True]


class Accepted(TypedDict):
    """Taken in; what follows comes by mail, and the answer is the same whoever asked."""

    ok: Literal[True]
    message: str

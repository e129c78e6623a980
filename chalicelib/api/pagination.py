"""Query-string models shared by list routes and threads."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from chalicelib.api.requests import Strict


class PageQuery(Strict):
    limit: int = Field(25, ge=1, le=100)
    cursor: str | None = Field(None, max_length=2048)


class RefreshQuery(Strict):
    """A read the page repeats when a live update arrives, not because a person asked."""

    refresh: Literal["1"] | None = Field(
        None, description="1 when a live update, not a person, asked: the read does not count "
        "as activity (the session's idle clock stays where it was).")


# A message number past 2**53 names no message (and DynamoDB refuses numbers of 39 digits).
MAX_SEQ = 2**53


class ThreadQuery(Strict):
    """A thread's messages after a number (polling), or the page before an earlier_cursor."""

    after: int = Field(0, ge=0, le=MAX_SEQ, description="Messages after this seq (polling).")
    before: str | None = Field(
        None, max_length=2048,
        description="An earlier_cursor from the detail or a previous page: the page before it.",
    )

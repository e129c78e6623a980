"""Query-string models shared by list routes."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class PageQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    limit: int = Field(25, ge=1, le=100)
    cursor: str | None = Field(None, max_length=2048)

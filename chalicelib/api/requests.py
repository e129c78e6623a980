"""The one base for what a route accepts: a JSON body or a query string.

`extra="forbid"`: a field the route does not know is refused, not silently dropped (a typo in a
client must not look like success). `defer_build=True`: pydantic builds a model's validator when
the first request needs it, not when the module is imported, so a cold start pays only for the
models of the route it answers."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)


# A document named in a message's `attachment_ids` (portal reply, console answer): bounded here,
# checked against the ticket's files by the service.
AttachmentId = Annotated[str, Field(min_length=1, max_length=64)]

"""What the liveness route answers."""

from __future__ import annotations

from typing import Literal

from typing_extensions import TypedDict


class Health(TypedDict):
    status: Literal["ok"]
    stage: str

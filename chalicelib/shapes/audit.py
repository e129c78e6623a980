"""What the audit log route answers."""

from __future__ import annotations

from typing import Any

from typing_extensions import TypedDict


class AuditEntry(TypedDict):
    at: str  # ISO 8601, UTC
    action: str  # "auth.login", "user.update", ...
    outcome: str  # success, failure, denied, throttled, ...
    actor_id: str | None
    actor_email: str | None
    target: str | None
    source_ip: str | None
    details: dict[str, Any] | None  # what the action recorded; its keys depend on the action


class AuditPage(TypedDict):
    items: list[AuditEntry]
    next_cursor: str | None

"""The audit trail: sign-ins, failures, lockouts, password events and admin changes."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime
from typing import Any

from chalicelib import clock
from chalicelib.data import audit as store
from chalicelib.errors import InvalidInput
from chalicelib.observability import get_logger
from chalicelib.services.principal import Anonymous, Principal

_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def record(
    action: str,
    *,
    actor: Principal | Anonymous | None = None,
    actor_email: str | None = None,
    target: str | None = None,
    outcome: str = "success",
    details: dict[str, Any] | None = None,
) -> None:
    at = clock.now()
    moment = datetime.fromtimestamp(at, tz=UTC)
    entry = store.AuditModel(
        month=moment.strftime("%Y-%m"),
        entry_key=f"{moment.isoformat(timespec='microseconds')}#{secrets.token_hex(4)}",
        at=at,
        action=action,
        outcome=outcome,
        actor_id=actor.user_id if isinstance(actor, Principal) else None,
        actor_email=actor_email or (actor.email if isinstance(actor, Principal) else None) or None,
        target=target,
        source_ip=actor.source_ip if actor else None,
        details=details,
    )
    store.put_entry(entry)
    get_logger().info("audit", extra={"action": action, "outcome": outcome, "target": target})


def list_entries(cursor: str | None, limit: int) -> tuple[list[dict[str, Any]], str | None]:
    """Newest first. The cursor names the month and the position in it, so paging walks back
    month by month; at most twelve empty months are skipped in one call."""
    month, _, inner = (cursor or "").partition("~")
    if not month:
        month = clock.utcnow().strftime("%Y-%m")
    if not _MONTH.match(month):
        raise InvalidInput("The cursor is not valid for this list.", code="invalid_cursor")
    entries: list[dict[str, Any]] = []
    for _ in range(12):
        page = store.list_month(month, limit - len(entries), inner or None)
        entries.extend(_public(item) for item in page.items)
        next_inner = page.cursor
        if next_inner:
            return entries, f"{month}~{next_inner}"
        month, inner = _previous_month(month), ""
        if len(entries) >= limit:
            return entries, f"{month}~"
    return entries, None


def _previous_month(month: str) -> str:
    year, mon = (int(part) for part in month.split("-"))
    return f"{year - 1}-12" if mon == 1 else f"{year}-{mon - 1:02d}"


def _public(item: store.AuditModel) -> dict[str, Any]:
    return {
        "at": clock.iso(item.at),
        "action": item.action,
        "outcome": item.outcome,
        "actor_id": item.actor_id,
        "actor_email": item.actor_email,
        "target": item.target,
        "source_ip": item.source_ip,
        "details": item.details,
    }

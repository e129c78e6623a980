"""The audit trail: sign-ins, failures, lockouts, password events and admin changes."""

from __future__ import annotations

import json
import re
import secrets
from datetime import UTC, date, datetime
from typing import Any, Literal

from chalicelib import clock
from chalicelib.data import audit as store
from chalicelib.errors import InvalidInput
from chalicelib.observability import get_logger
from chalicelib.services.principal import Anonymous, Principal
from chalicelib.shapes.audit import AuditEntry

_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
# What the admin page shows apart: sign-ins and the other account events of `auth.*` (resets,
# password changes, registrations, lockouts) outnumber the changes many times over.
Kind = Literal["change", "signin"]
# Before → after of a change: at most this many fields, each value cut to this many characters,
# so that an entry stays small whatever was changed (a logo, a long template).
MAX_DIFFERENCES = 20
MAX_VALUE_CHARS = 200


def kind_of(action: str) -> Kind:
    return "signin" if action.startswith("auth.") else "change"


def record(
    action: str,
    *,
    actor: Principal | Anonymous | None = None,
    actor_email: str | None = None,
    target: str | None = None,
    outcome: str = "success",
    details: dict[str, Any] | None = None,
) -> None:
    entry = prepared(action, actor=actor, actor_email=actor_email, target=target,
                     outcome=outcome, details=details)
    store.put_entry(entry)
    logged(entry)


def prepared(
    action: str,
    *,
    actor: Principal | Anonymous | None = None,
    actor_email: str | None = None,
    target: str | None = None,
    outcome: str = "success",
    details: dict[str, Any] | None = None,
) -> store.AuditModel:
    """An entry not yet written, with its filter keys: for a change that writes its entry in
    its own transaction, so the entry exists exactly when the change does (tickets/merge.py);
    `logged` once it is."""
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
    return store.keyed(entry, kind=kind_of(action), actor_key=_actor_key(entry))


def logged(entry: store.AuditModel) -> None:
    get_logger().info("audit", extra={"action": entry.action, "outcome": entry.outcome,
                                      "target": entry.target})


def list_entries(
    cursor: str | None,
    limit: int,
    *,
    kind: Kind | None = None,
    action: str | None = None,
    actor: str | None = None,
    since: date | None = None,
    until: date | None = None,
) -> tuple[list[AuditEntry], str | None]:
    """Newest first, optionally of one kind or action, by one person (their address), between
    two days (UTC, both included). The cursor names the month and the position in it, so paging
    walks back month by month; at most twelve empty months are skipped in one call, and a date
    range's walk stops at its first month."""
    if action and kind and kind_of(action) != kind:
        raise InvalidInput("This action is not of the kind asked for.", code="kind_mismatch")
    if actor and not (kind or action):
        raise InvalidInput("Choose changes or sign-ins to filter by person.", code="kind_required")
    actor_key = _actor_filter(actor, kind_of(action) if action else kind) if actor else None
    if since and until and since > until:
        raise InvalidInput("The range ends before it starts.", code="invalid_range")
    month, _, inner = (cursor or "").partition("~")
    if not month:
        month = (until.strftime("%Y-%m") if until else None) or clock.utcnow().strftime("%Y-%m")
    if not _MONTH.match(month):
        raise InvalidInput("The cursor is not valid for this list.", code="invalid_cursor")
    first_month = since.strftime("%Y-%m") if since else None
    between = (
        (since.isoformat() if since else "0", f"{until.isoformat()}T~" if until else "~")
        if since or until else None
    )
    entries: list[AuditEntry] = []
    for _ in range(12):
        page = store.list_month(
            month, limit - len(entries), inner or None,
            kind=kind, action=action, actor_key=actor_key, between=between,
        )
        entries.extend(_public(item) for item in page.items)
        next_inner = page.cursor
        if next_inner:
            return entries, f"{month}~{next_inner}"
        month, inner = _previous_month(month), ""
        if first_month and month < first_month:
            return entries, None
        if len(entries) >= limit:
            return entries, f"{month}~"
    # Twelve empty months end an open-ended walk; a date range goes on to its first month.
    return entries, f"{month}~" if first_month else None


def differences(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    """What changed, field by field (maps down to their leaves, `notification_templates.invite.
    en.subject`), each as before → after in short form; past MAX_DIFFERENCES, one more item
    counts the rest."""
    found: list[dict[str, Any]] = []
    _differ("", before, after, found)
    if len(found) > MAX_DIFFERENCES:
        more = len(found) - MAX_DIFFERENCES + 1
        found = [*found[: MAX_DIFFERENCES - 1], {"field": "", "more": more}]
    return found


def _differ(path: str, before: Any, after: Any, found: list[dict[str, Any]]) -> None:
    if before == after:
        return
    if isinstance(before, dict) and isinstance(after, dict):
        for key in sorted(set(before) | set(after), key=str):
            _differ(f"{path}.{key}" if path else str(key), before.get(key), after.get(key), found)
        return
    found.append({"field": path, "before": _short(before), "after": _short(after)})


def _short(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float):
        return value
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False,
                                                            sort_keys=True)
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 1] + "…"


def _actor_key(entry: store.AuditModel) -> str | None:
    """Who an entry is filed under: the account that acted, else the address a sign-in, a
    failed one included, named."""
    return entry.actor_id or (entry.actor_email or "").casefold() or None


def _actor_filter(actor: str, kind: str | None) -> str:
    """The key a person's entries of this kind are filed under. Sign-ins and their attempts
    name the address typed (an attempt on an address may have no account); changes are filed
    under the account that made them, found from its address (two reads)."""
    from chalicelib.data import users as user_store

    wanted = actor.strip().casefold()
    if "@" not in wanted or kind == "signin":
        return wanted
    user = user_store.find_user_by_email(wanted)
    return user.user_id if user is not None else wanted


def _previous_month(month: str) -> str:
    year, mon = (int(part) for part in month.split("-"))
    return f"{year - 1}-12" if mon == 1 else f"{year}-{mon - 1:02d}"


def _public(item: store.AuditModel) -> AuditEntry:
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

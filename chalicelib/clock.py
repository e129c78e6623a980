"""The one source of "now", so tests can move time instead of sleeping."""

from __future__ import annotations

import time
from datetime import UTC, datetime


def now() -> float:
    """Seconds since the epoch."""
    return time.time()


def utcnow() -> datetime:
    return datetime.fromtimestamp(now(), tz=UTC)


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=UTC).isoformat(timespec="seconds").replace("+00:00", "Z")

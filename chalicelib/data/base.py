"""Shared pieces of the data layer: table naming, signed cursors, error translation."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from pynamodb.exceptions import PynamoDBException

from chalicelib.config import get_settings
from chalicelib.errors import InvalidInput

_settings = get_settings()
REGION = _settings.region


def table_name(short: str) -> str:
    return _settings.table_name(short)


def encode_cursor(last_evaluated_key: dict[str, Any] | None, scope: str) -> str | None:
    """A page cursor the client cannot forge: signed, and bound to the query it came from, so a
    cursor from one customer's list cannot start another's."""
    if not last_evaluated_key:
        return None
    payload = json.dumps(last_evaluated_key, separators=(",", ":"), sort_keys=True).encode()
    mac = hmac.new(_settings.signing_key, scope.encode() + b"|" + payload, hashlib.sha256)
    token = payload + b"." + mac.hexdigest()[:32].encode()
    return base64.urlsafe_b64encode(token).decode().rstrip("=")


def decode_cursor(cursor: str | None, scope: str) -> dict[str, Any] | None:
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        payload, _, mac = raw.rpartition(b".")
        expected = hmac.new(_settings.signing_key, scope.encode() + b"|" + payload, hashlib.sha256)
        if not hmac.compare_digest(mac, expected.hexdigest()[:32].encode()):
            raise ValueError("signature")
        key = json.loads(payload)
        if not isinstance(key, dict):
            raise ValueError("shape")
        return key
    except (ValueError, TypeError) as exc:
        raise InvalidInput("The cursor is not valid for this list.", code="invalid_cursor") from exc


def condition_failed(exc: PynamoDBException) -> bool:
    return exc.cause_response_code in {
        "ConditionalCheckFailedException",
        "TransactionCanceledException",
    }


@contextmanager
def translate(conflict: Exception) -> Iterator[None]:
    """Turn a failed condition into the domain error the caller chose."""
    try:
        yield
    except PynamoDBException as exc:
        if condition_failed(exc):
            raise conflict from exc
        raise


def expiry(ts: float) -> datetime:
    """TTLAttribute wants a datetime; the app counts in epoch seconds (from its own clock)."""
    return datetime.fromtimestamp(ts, tz=UTC)

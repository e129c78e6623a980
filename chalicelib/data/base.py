"""Shared pieces of the data layer: table naming, signed cursors, error translation."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Generic, TypeVar

import botocore.session
import pynamodb.connection.base
from botocore.loaders import Loader
from pynamodb.connection import Connection
from pynamodb.exceptions import PynamoDBException
from pynamodb.expressions.condition import Condition
from pynamodb.models import Model

from chalicelib.config import get_settings
from chalicelib.errors import InvalidInput

_settings = get_settings()
REGION = _settings.region


@lru_cache(maxsize=1)
def _data_loader() -> Loader:
    return botocore.session.get_session().get_component("data_loader")


def _session() -> botocore.session.Session:
    """A botocore session for one PynamoDB connection, sharing one data loader with all others.

    PynamoDB makes a session per model (and per thread), and each new session's loader parses
    botocore's DynamoDB and endpoint descriptions again: ~0.1 s per model on first use, paid at
    every cold start by each table a request touches. The loader only reads and caches those
    files, so one is safely shared; sessions stay per connection and thread, as PynamoDB wants."""
    session = botocore.session.get_session()
    session.register_component("data_loader", _data_loader())
    return session


# PynamoDB has no setting for the session it creates; it calls this module-level name.
pynamodb.connection.base.get_session = _session  # type: ignore[attr-defined]


@lru_cache(maxsize=1)
def connection() -> Connection:
    """One connection for transactions: a new one would load botocore's service model again
    (tens of milliseconds on every write)."""
    return Connection(region=REGION)


def table_name(short: str) -> str:
    return _settings.table_name(short)


def encode_cursor(last_evaluated_key: dict[str, Any] | None, scope: str) -> str | None:
    """A page cursor the client cannot forge: signed, and bound to the query it came from, so a
    cursor from one customer's list cannot start another's."""
    if not last_evaluated_key:
        return None
    payload = json.dumps(last_evaluated_key, separators=(",", ":"), sort_keys=True).encode()
    mac = _cursor_mac(get_settings().signing_key, scope, payload)
    token = payload + b"." + mac
    return base64.urlsafe_b64encode(token).decode().rstrip("=")


def _cursor_mac(key: bytes, scope: str, payload: bytes) -> bytes:
    return hmac.new(key, scope.encode() + b"|" + payload, hashlib.sha256).hexdigest()[:32].encode()


def decode_cursor(cursor: str | None, scope: str) -> dict[str, Any] | None:
    """The key a cursor continues from. One signed with the previous key still counts while one
    is set, so a list page open across a key rotation loads its next page."""
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        payload, _, mac = raw.rpartition(b".")
        keys = get_settings().verification_keys()
        if not any(hmac.compare_digest(mac, _cursor_mac(k, scope, payload)) for k in keys):
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


M = TypeVar("M", bound=Model)


@dataclass(frozen=True)
class Page(Generic[M]):
    items: list[M]
    cursor: str | None


def query_page(
    source: Any,
    model: type[M],
    hash_key: Any,
    *,
    scope: str,
    limit: int,
    cursor: str | None,
    newest_first: bool = True,
    range_key_condition: Condition | None = None,
    filter_condition: Condition | None = None,
    max_reads: int = 4,
    consistent: bool = False,
) -> Page[M]:
    """One page of one partition (`source` is a model or an index), in at most `max_reads`
    Query calls.

    PynamoDB's own `limit` keeps paging through a filter until it has enough items: unbounded.
    Here a filtered page reads on for a few calls at most, then hands back a cursor, so every
    request has a fixed ceiling of DynamoDB calls whatever the size of the table. `consistent`
    reads what every write acknowledged before (base tables only; an index cannot).
    """
    start = decode_cursor(cursor, scope)
    items: list[M] = []
    next_key: dict[str, Any] | None = None
    for _ in range(max_reads):
        pages = source.query(
            hash_key,
            range_key_condition=range_key_condition,
            filter_condition=filter_condition,
            scan_index_forward=not newest_first,
            last_evaluated_key=start,
            consistent_read=consistent,
            page_size=limit if filter_condition is None else max(limit, 50),
        ).page_iter
        page = next(pages)
        raw_items = page.get("Items", [])
        for position, raw in enumerate(raw_items):
            items.append(model.from_raw_data(raw))
            if len(items) == limit:
                at_end = position == len(raw_items) - 1 and pages.last_evaluated_key is None
                next_key = None if at_end else {name: raw[name] for name in pages.key_names}
                return Page(items, encode_cursor(next_key, scope))
        next_key = pages.last_evaluated_key
        if next_key is None:
            break
        start = next_key
    return Page(items, encode_cursor(next_key, scope))


def not_hidden(
    model: Any, hidden_topics: Collection[str], hidden_channels: Collection[str]
) -> Condition | None:
    """The filter that leaves out what the admin's visibility rules hide from customers, for a
    model with `topic` and `channel` attributes (None when nothing is hidden)."""
    condition: Condition | None = None
    if hidden_topics:
        condition = ~model.topic.is_in(*hidden_topics)
    if hidden_channels:
        by_channel = ~model.channel.is_in(*hidden_channels)
        condition = by_channel if condition is None else condition & by_channel
    return condition

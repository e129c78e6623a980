"""Throttle counters: failed sign-ins per account and per source address, and account mails
requested per address and per source address."""

from __future__ import annotations

import contextlib

from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.exceptions import DeleteError, DoesNotExist, PutError, UpdateError
from pynamodb.models import Model

from chalicelib.data.base import REGION, condition_failed, expiry, table_name


class ThrottleModel(Model):
    class Meta:
        table_name = table_name("throttles")
        region = REGION
        billing_mode = "PAY_PER_REQUEST"

    key = UnicodeAttribute(hash_key=True)  # "acct:<email>", "ip:<address>", "mail:…", "mailreq:…"
    failures = NumberAttribute(default=0)
    last_failure_at = NumberAttribute(default=0)
    locked_until = NumberAttribute(default=0)
    expires_at = TTLAttribute(null=True)


def get_throttles(keys: list[str]) -> dict[str, ThrottleModel]:
    return {t.key: t for t in ThrottleModel.batch_get(keys)}


def count_failure(key: str, at: float, live_since: float, expires_at: float) -> int:
    """Add one failure atomically and return the new count. A counter whose last failure and
    lock both ended before `live_since` starts again from one. Atomic, because a burst of
    parallel guesses must count as many failures, not as one."""
    live = (ThrottleModel.last_failure_at >= live_since) | (
        ThrottleModel.locked_until >= live_since
    )
    for _ in range(5):
        counter = ThrottleModel(key=key)
        try:
            counter.update(
                actions=[
                    ThrottleModel.failures.add(1),
                    ThrottleModel.last_failure_at.set(at),
                    ThrottleModel.expires_at.set(expiry(expires_at)),
                ],
                condition=live,
            )
            return int(counter.failures)
        except UpdateError as exc:
            if not condition_failed(exc):
                raise
        fresh = ThrottleModel(
            key=key, failures=1, last_failure_at=at, locked_until=0, expires_at=expiry(expires_at)
        )
        try:
            fresh.save(condition=ThrottleModel.key.does_not_exist() | ~live)
            return 1
        except PutError as exc:
            if not condition_failed(exc):
                raise
    raise RuntimeError(f"could not count a failure on {key}")  # five lost races in a row


def count_in_window(key: str, expires_at: float) -> int:
    """Add one to a counter whose key names its own window, and return the new count: one
    unconditional UpdateItem, which creates the item on the window's first event."""
    counter = ThrottleModel(key=key)
    counter.update(
        actions=[
            ThrottleModel.failures.add(1),
            ThrottleModel.expires_at.set(expiry(expires_at)),
        ]
    )
    return int(counter.failures)


def extend_lock(key: str, until: float, expires_at: float) -> None:
    """Locks only ever grow: a slower request cannot shorten the lock a later failure set."""
    try:
        ThrottleModel(key=key).update(
            actions=[
                ThrottleModel.locked_until.set(until),
                ThrottleModel.expires_at.set(expiry(expires_at)),
            ],
            condition=ThrottleModel.locked_until.does_not_exist()
            | (ThrottleModel.locked_until < until),
        )
    except UpdateError as exc:
        if not condition_failed(exc):
            raise


def get_throttle(key: str) -> ThrottleModel | None:
    try:
        return ThrottleModel.get(key)
    except DoesNotExist:
        return None


def clear_throttle(key: str) -> None:
    with contextlib.suppress(DeleteError):
        ThrottleModel(key=key).delete()

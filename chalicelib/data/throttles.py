"""Failed sign-in counters, per account and per source address."""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.exceptions import DeleteError, DoesNotExist
from pynamodb.models import Model

from chalicelib.data.base import REGION, expiry, table_name


class ThrottleModel(Model):
    class Meta:
        table_name = table_name("throttles")
        region = REGION
        billing_mode = "PAY_PER_REQUEST"

    key = UnicodeAttribute(hash_key=True)  # "acct:<email>" or "ip:<address>"
    failures = NumberAttribute(default=0)
    last_failure_at = NumberAttribute(default=0)
    locked_until = NumberAttribute(default=0)
    expires_at = TTLAttribute(null=True)


def get_throttles(keys: list[str]) -> dict[str, ThrottleModel]:
    return {t.key: t for t in ThrottleModel.batch_get(keys)}


def record_failure(
    key: str, failures: int, at: float, locked_until: float, expires_at: float
) -> None:
    ThrottleModel(
        key=key,
        failures=failures,
        last_failure_at=at,
        locked_until=locked_until,
        expires_at=expiry(expires_at),
    ).save()


def get_throttle(key: str) -> ThrottleModel | None:
    try:
        return ThrottleModel.get(key)
    except DoesNotExist:
        return None


def clear_throttle(key: str) -> None:
    try:
        ThrottleModel(key=key).delete()
    except DeleteError:
        pass

"""Addresses the portal no longer mails: they bounced for good or their owner complained."""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import suppress

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist
from pynamodb.models import Model

from chalicelib.data.base import REGION, table_name


class SuppressionModel(Model):
    class Meta:
        table_name = table_name("suppressions")
        region = REGION
        billing_mode = "PAY_PER_REQUEST"

    email = UnicodeAttribute(hash_key=True)  # lower case
    reason = UnicodeAttribute()  # bounce | complaint
    detail = UnicodeAttribute(null=True)  # the bounce type / complaint feedback type
    feedback_id = UnicodeAttribute(null=True)  # SES's id of the notification, for support
    created_at = NumberAttribute()


def add_suppression(
    email: str, *, reason: str, detail: str | None, feedback_id: str | None, now: float
) -> None:
    """An overwrite is fine: the same bounce delivered twice leaves the same record."""
    SuppressionModel(
        email=email, reason=reason, detail=detail, feedback_id=feedback_id, created_at=now
    ).save()


def get_suppression(email: str) -> SuppressionModel | None:
    try:
        return SuppressionModel.get(email)
    except DoesNotExist:
        return None


def suppressed_among(emails: Iterable[str]) -> set[str]:
    keys = sorted(set(emails))
    if not keys:
        return set()
    return {s.email for s in SuppressionModel.batch_get(keys)}


def remove_suppression(email: str) -> None:
    with suppress(DoesNotExist):
        SuppressionModel.get(email).delete()

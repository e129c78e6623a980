"""Addresses the portal no longer mails: they bounced for good or their owner complained.

Each entry keeps the evidence that put it there (which notification, which sent message), so an
admin can judge it and lift it. The admin list reads the `listed-index`: every entry shares one
constant partition sorted by time, so the newest come first from one key-condition Query with a
cursor, never a read of the whole table. One partition is enough: entries are written once per
bounce, not per request, and read only by admins.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.data.base import REGION, Page, query_page, table_name, translate
from chalicelib.errors import Conflict

LISTED = "all"  # the one partition of the listing index


class ListedIndex(GlobalSecondaryIndex["SuppressionModel"]):
    class Meta:
        index_name = "listed-index"
        projection = AllProjection()

    listed = UnicodeAttribute(hash_key=True)
    created_at = NumberAttribute(range_key=True)


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
    # What proved it: {"source": "ses_feedback" | "inbound_dsn", ids, status, diagnostic, ...}
    evidence = JSONAttribute(null=True)
    listed = UnicodeAttribute(default=LISTED)

    listed_index = ListedIndex()


def add_suppression(
    email: str,
    *,
    reason: str,
    detail: str | None,
    feedback_id: str | None,
    now: float,
    evidence: dict[str, str] | None = None,
) -> None:
    """An overwrite is fine: the same bounce delivered twice leaves the same record, and a later
    one is the fresher evidence."""
    SuppressionModel(
        email=email, reason=reason, detail=detail, feedback_id=feedback_id, created_at=now,
        evidence=evidence or None, listed=LISTED,
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


def list_suppressions(limit: int, cursor: str | None) -> Page[SuppressionModel]:
    """Newest first."""
    return query_page(
        SuppressionModel.listed_index, SuppressionModel, LISTED, scope="suppressions",
        limit=limit, cursor=cursor,
    )


def remove_suppression(entry: SuppressionModel) -> None:
    """Only the entry that was read: a bounce that replaced it meanwhile is new evidence and
    stays (Conflict)."""
    condition: Any = SuppressionModel.created_at == entry.created_at
    with translate(Conflict("The suppression changed meanwhile; reload and try again.",
                            code="suppression_changed")):
        entry.delete(condition=condition)

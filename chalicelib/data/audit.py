"""Audit log: one partition per month, newest first, read with a cursor."""

from __future__ import annotations

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from chalicelib.data.base import REGION, Page, query_page, table_name


class AuditModel(Model):
    class Meta:
        table_name = table_name("audit")
        region = REGION
        billing_mode = "PAY_PER_REQUEST"

    month = UnicodeAttribute(hash_key=True)  # "2026-11"
    entry_key = UnicodeAttribute(range_key=True)  # "<iso time>#<random>": sorts by time
    at = NumberAttribute()
    action = UnicodeAttribute()
    outcome = UnicodeAttribute()  # success | failure | denied
    actor_id = UnicodeAttribute(null=True)
    actor_email = UnicodeAttribute(null=True)
    target = UnicodeAttribute(null=True)
    source_ip = UnicodeAttribute(null=True)
    details = JSONAttribute(null=True)


def put_entry(entry: AuditModel) -> None:
    entry.save()


def list_month(month: str, limit: int, cursor: str | None) -> Page[AuditModel]:
    return query_page(
        AuditModel, AuditModel, month, scope=f"audit:{month}", limit=limit, cursor=cursor
    )

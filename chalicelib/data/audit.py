"""Audit log: one partition per month, newest first, read with a cursor.

Every filter the admin page offers is a key-condition Query of its own partition, so a filtered
page costs what an unfiltered one does: the entry carries, per month, its kind (change or
sign-in), its kind with who did it, its action, and its action with who did it; each is the
hash key of an index sorted by the entry's time. Entries written before these keys existed are
only in the unfiltered log.
"""

from __future__ import annotations

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.expressions.condition import Condition
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.data.base import REGION, Page, query_page, table_name


class KindIndex(GlobalSecondaryIndex["AuditModel"]):
    class Meta:
        index_name = "kind-index"
        projection = AllProjection()

    kind_month = UnicodeAttribute(hash_key=True)  # "change#2026-11"
    entry_key = UnicodeAttribute(range_key=True)


class ActorKindIndex(GlobalSecondaryIndex["AuditModel"]):
    class Meta:
        index_name = "actor-kind-index"
        projection = AllProjection()

    actor_kind_month = UnicodeAttribute(hash_key=True)  # "ann@acme.test#signin#2026-11"
    entry_key = UnicodeAttribute(range_key=True)


class ActionIndex(GlobalSecondaryIndex["AuditModel"]):
    class Meta:
        index_name = "action-index"
        projection = AllProjection()

    action_month = UnicodeAttribute(hash_key=True)  # "user.update#2026-11"
    entry_key = UnicodeAttribute(range_key=True)


class ActorActionIndex(GlobalSecondaryIndex["AuditModel"]):
    class Meta:
        index_name = "actor-action-index"
        projection = AllProjection()

    actor_action_month = UnicodeAttribute(hash_key=True)  # "ann@acme.test#user.update#2026-11"
    entry_key = UnicodeAttribute(range_key=True)


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
    # Filter keys (see the module's docstring); the actor ones only when someone is named.
    kind_month = UnicodeAttribute(null=True)
    actor_kind_month = UnicodeAttribute(null=True)
    action_month = UnicodeAttribute(null=True)
    actor_action_month = UnicodeAttribute(null=True)

    kind_index = KindIndex()
    actor_kind_index = ActorKindIndex()
    action_index = ActionIndex()
    actor_action_index = ActorActionIndex()


# Append only: an entry is never replaced (the functions' roles grant PutItem alone, and IAM
# cannot require the condition, so the code states it).
APPEND_ONLY = AuditModel.entry_key.does_not_exist()


def put_entry(entry: AuditModel) -> None:
    """An entry with its keys (`keyed`)."""
    entry.save(condition=APPEND_ONLY)


def keyed(entry: AuditModel, *, kind: str, actor_key: str | None) -> AuditModel:
    """The entry with its filter keys; for a caller that writes it in its own transaction
    (with APPEND_ONLY as its condition)."""
    entry.kind_month = f"{kind}#{entry.month}"
    entry.action_month = f"{entry.action}#{entry.month}"
    if actor_key:
        entry.actor_kind_month = f"{actor_key}#{kind}#{entry.month}"
        entry.actor_action_month = f"{actor_key}#{entry.action}#{entry.month}"
    return entry


def list_month(
    month: str,
    limit: int,
    cursor: str | None,
    *,
    kind: str | None = None,
    action: str | None = None,
    actor_key: str | None = None,
    between: tuple[str, str] | None = None,
) -> Page[AuditModel]:
    """One page of one month's entries, newest first: the whole month, or the partition of one
    filter (an action, else a kind; either with who did it). `between` bounds the entries'
    keys (ISO times) for a date range."""
    source: object = AuditModel
    partition = month
    if action and actor_key:
        source, partition = AuditModel.actor_action_index, f"{actor_key}#{action}#{month}"
    elif action:
        source, partition = AuditModel.action_index, f"{action}#{month}"
    elif kind and actor_key:
        source, partition = AuditModel.actor_kind_index, f"{actor_key}#{kind}#{month}"
    elif kind:
        source, partition = AuditModel.kind_index, f"{kind}#{month}"
    condition: Condition | None = (
        AuditModel.entry_key.between(*between) if between is not None else None
    )
    return query_page(
        source, AuditModel, partition, scope=f"audit:{partition}", limit=limit, cursor=cursor,
        range_key_condition=condition,
    )

"""The in-portal notification feed: one item per (user, event), in the user's own partition.

An item's key is derived from the event it reports (its time and the message id), so the stream
handler can write it again on a redelivery and nothing doubles. Unread items also carry
`unread_at`, which puts them in a sparse local index: the unread count is a consistent query on
the user's partition, and it cannot drift from the items the way a separate counter could.

Items carry their ticket's topic and channel, so the admin's visibility rules can leave out a
hidden ticket's items from a customer's feed and count at once, with nothing to rewrite.
"""

from __future__ import annotations

from collections.abc import Collection

from pynamodb.attributes import BooleanAttribute, NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.exceptions import PutError, UpdateError
from pynamodb.indexes import KeysOnlyProjection, LocalSecondaryIndex
from pynamodb.models import Model

from chalicelib.data.base import (
    REGION,
    Page,
    condition_failed,
    not_hidden,
    query_page,
    table_name,
)

KEEP_SECONDS = 180 * 86400
# How many unread items a count looks at (the badge says "99+" long before), and so a read of
# one ticket's items too.
UNREAD_CAP = 100


class UnreadIndex(LocalSecondaryIndex["NotificationModel"]):
    class Meta:
        index_name = "unread-index"
        projection = KeysOnlyProjection()

    user_id = UnicodeAttribute(hash_key=True)
    unread_at = NumberAttribute(range_key=True)


class NotificationModel(Model):
    class Meta:
        table_name = table_name("notifications")
        region = REGION
        billing_mode = "PAY_PER_REQUEST"

    user_id = UnicodeAttribute(hash_key=True)
    item_key = UnicodeAttribute(range_key=True)  # "<created ms, 13 digits>#<source>#<kind>"
    kind = UnicodeAttribute()  # reply | status | customer_message | assigned
    ticket_id = UnicodeAttribute()
    ticket_number = NumberAttribute()
    title = UnicodeAttribute()
    actor_name = UnicodeAttribute(null=True)
    status = UnicodeAttribute(null=True)
    link = UnicodeAttribute()
    created_at = NumberAttribute()
    read = BooleanAttribute(default=False)
    unread_at = NumberAttribute(null=True)
    expires_at = TTLAttribute()
    topic = UnicodeAttribute(null=True)  # the ticket's (the admin's visibility rules)
    channel = UnicodeAttribute(null=True)

    unread_index = UnreadIndex()


def item_key(created_at: float, source_id: str, kind: str) -> str:
    return f"{int(created_at * 1000):013d}#{source_id}#{kind}"


def add_item(item: NotificationModel) -> bool:
    """False when the item is there already (a redelivered event)."""
    try:
        item.save(condition=NotificationModel.item_key.does_not_exist())
    except PutError as exc:
        if condition_failed(exc):
            return False
        raise
    return True


def list_items(
    user_id: str, *, limit: int, cursor: str | None,
    hidden_topics: Collection[str] = (), hidden_channels: Collection[str] = (),
) -> Page[NotificationModel]:
    return query_page(
        NotificationModel, NotificationModel, user_id,
        scope=f"notifications:{user_id}", limit=limit, cursor=cursor, newest_first=True,
        filter_condition=not_hidden(NotificationModel, hidden_topics, hidden_channels),
    )


def mark_read(user_id: str, keys: list[str]) -> int:
    """How many of the user's own items went from unread to read (others' keys do nothing:
    the user id is part of every key written)."""
    marked = 0
    for key in dict.fromkeys(keys):
        try:
            NotificationModel(user_id, key).update(
                actions=[NotificationModel.read.set(True), NotificationModel.unread_at.remove()],
                condition=NotificationModel.item_key.exists()
                & NotificationModel.unread_at.exists(),
            )
            marked += 1
        except UpdateError as exc:
            if not condition_failed(exc):
                raise
    return marked


def unread_keys(user_id: str, limit: int) -> list[str]:
    return [
        str(item.item_key)
        for item in NotificationModel.unread_index.query(
            user_id, consistent_read=True, limit=limit
        )
    ]


def mark_ticket_read(user_id: str, ticket_id: str, *, until: float) -> int:
    """The user's unread items about one ticket, of events up to `until`, marked read: the
    newest unread keys (one keys-only query on the user's own partition, at most UNREAD_CAP,
    as the count reads them) read back in one batch to see whose ticket they are about. Items
    of a later event stay unread."""
    keys = [
        str(item.item_key)
        for item in NotificationModel.unread_index.query(
            user_id, NotificationModel.unread_at <= until, consistent_read=True,
            scan_index_forward=False, limit=UNREAD_CAP,
        )
    ]
    if not keys:
        return 0
    about = [
        str(item.item_key)
        for item in NotificationModel.batch_get([(user_id, key) for key in keys],
                                                consistent_read=True)
        if item.ticket_id == ticket_id
    ]
    return mark_read(user_id, about)


def count_unread(
    user_id: str, cap: int, *,
    hidden_topics: Collection[str] = (), hidden_channels: Collection[str] = (),
) -> tuple[int, bool]:
    """How many unread items, counting at most `cap` (the badge shows "99+" long before that
    costs anything), and whether there may be more. With items to leave out, the unread keys
    (one keys-only query) are read back in one batch to see whose ticket they are about."""
    if not hidden_topics and not hidden_channels:
        counted = int(NotificationModel.unread_index.count(user_id, consistent_read=True,
                                                           limit=cap))
        return counted, counted >= cap
    keys = unread_keys(user_id, cap)
    hidden = sum(
        1
        for item in NotificationModel.batch_get(
            [(user_id, key) for key in keys], consistent_read=True
        )
        if item.topic in hidden_topics or item.channel in hidden_channels
    )
    return len(keys) - hidden, len(keys) >= cap

"""Who is looking at a conversation in the console right now, and who is typing an answer.

One partition per ticket, one item per agent (`user_id` the sort key), so the page's heartbeat
reads everyone present in one Query and rewrites its own item with one Put. Items live seconds:
`expires_at` is checked by the service on every read, and DynamoDB's TTL, which deletes up to
days late, only clears what nobody removed.
"""

from __future__ import annotations

from contextlib import suppress

from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.exceptions import DeleteError
from pynamodb.models import Model

from chalicelib.data.base import REGION, expiry, query_page, table_name

# More agents than a team puts on one conversation; the Query reads one page of them at most.
MAX_PRESENT = 50


class PresenceModel(Model):
    class Meta:
        table_name = table_name("presence")
        region = REGION
        billing_mode = "PAY_PER_REQUEST"

    ticket_id = UnicodeAttribute(hash_key=True)
    user_id = UnicodeAttribute(range_key=True)
    name = UnicodeAttribute(default="")  # kept, so a heartbeat reads no user records
    seen_at = NumberAttribute()  # when the item was last written
    typing_until = NumberAttribute(default=0)  # 0: not typing
    expires_at = TTLAttribute()  # checked on read (services/presence.py); TTL is the backstop


def present_on(ticket_id: str) -> list[PresenceModel]:
    """Every item of the ticket's partition, expired ones included (the caller decides)."""
    return query_page(
        PresenceModel, PresenceModel, ticket_id, scope=f"presence:{ticket_id}",
        limit=MAX_PRESENT, cursor=None, newest_first=False,
    ).items


def put_presence(
    ticket_id: str, user_id: str, *, name: str, now: float, until: float, typing_until: float
) -> None:
    PresenceModel(
        ticket_id=ticket_id, user_id=user_id, name=name, seen_at=now,
        typing_until=typing_until, expires_at=expiry(until),
    ).save()


def remove_presence(ticket_id: str, user_id: str) -> None:
    with suppress(DeleteError):  # already gone: the same outcome
        PresenceModel(ticket_id, user_id).delete()

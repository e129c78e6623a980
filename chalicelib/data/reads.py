"""How far each user has read each ticket: the unread marker of the ticket lists."""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import UpdateError
from pynamodb.models import Model

from chalicelib.data.base import REGION, condition_failed, table_name


class ReadModel(Model):
    class Meta:
        table_name = table_name("reads")
        region = REGION
        billing_mode = "PAY_PER_REQUEST"

    user_id = UnicodeAttribute(hash_key=True)
    ticket_id = UnicodeAttribute(range_key=True)
    seq = NumberAttribute(default=0)


def read_positions(user_id: str, ticket_ids: list[str]) -> dict[str, int]:
    """One BatchGetItem for a page of tickets."""
    if not ticket_ids:
        return {}
    keys = [(user_id, ticket_id) for ticket_id in dict.fromkeys(ticket_ids)]
    return {r.ticket_id: int(r.seq) for r in ReadModel.batch_get(keys)}


def mark_read(user_id: str, ticket_id: str, seq: int) -> None:
    """Only ever moves forward: two tabs reading at once cannot move the marker back."""
    try:
        ReadModel(user_id=user_id, ticket_id=ticket_id).update(
            actions=[ReadModel.seq.set(seq)],
            condition=ReadModel.seq.does_not_exist() | (ReadModel.seq < seq),
        )
    except UpdateError as exc:
        if not condition_failed(exc):
            raise

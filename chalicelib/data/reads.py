"""How far each agent has read each ticket (the console's unread), and which tickets hold an
answer a customer has not read: the unread marker of the portal's ticket list.

The marker is written with the Inbox entry of each team answer (data/mailbox.py add_entry_in),
in the transaction that stores the message, and names the answer's public number. It is sparse:
`unread_user` exists only while the ticket is unread for that user, so the portal's "Unread"
list is one key-condition Query on `unread-index`, newest answer first, whatever the size of the
tables. Reading clears it only when the read covers the number it names, so an answer that
arrives just after a read stays unread.
"""

from __future__ import annotations

from dataclasses import dataclass

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import UpdateError
from pynamodb.indexes import GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.data.base import REGION, condition_failed, query_page, table_name


class UnreadIndex(GlobalSecondaryIndex["ReadModel"]):
    """Sparse: a user's tickets with an answer they have not read, by the answer's time."""

    class Meta:
        index_name = "unread-index"
        projection = KeysOnlyProjection()

    unread_user = UnicodeAttribute(hash_key=True)
    unread_at = NumberAttribute(range_key=True)


class ReadModel(Model):
    class Meta:
        table_name = table_name("reads")
        region = REGION
        billing_mode = "PAY_PER_REQUEST"

    user_id = UnicodeAttribute(hash_key=True)
    ticket_id = UnicodeAttribute(range_key=True)
    seq = NumberAttribute(default=0)
    # The marker: present only while an answer to the user is unread (the user id again, as
    # the index's partition), the newest such answer's public number and time.
    unread_user = UnicodeAttribute(null=True)
    unread_seq = NumberAttribute(null=True)
    unread_at = NumberAttribute(null=True)

    unread_index = UnreadIndex()


@dataclass(frozen=True)
class UnreadPage:
    ticket_ids: list[str]  # newest answer first (or oldest, as asked)
    cursor: str | None


def read_positions(user_id: str, ticket_ids: list[str]) -> dict[str, int]:
    """One BatchGetItem for a page of tickets."""
    if not ticket_ids:
        return {}
    keys = [(user_id, ticket_id) for ticket_id in dict.fromkeys(ticket_ids)]
    return {r.ticket_id: int(r.seq) for r in ReadModel.batch_get(keys)}


def unread_ticket_ids(user_id: str, ticket_ids: list[str]) -> set[str]:
    """Which of a page of tickets hold an answer the user has not read (one BatchGetItem)."""
    if not ticket_ids:
        return set()
    keys = [(user_id, ticket_id) for ticket_id in dict.fromkeys(ticket_ids)]
    return {r.ticket_id for r in ReadModel.batch_get(keys) if r.unread_user is not None}


def mark_unread_in(tx: TransactWrite, user_id: str, ticket_id: str, seq: int, at: float) -> None:
    """Part of the transaction that stores a team answer to the user. Public numbers only grow
    within a ticket's transactions, so the newest answer's number simply replaces the last."""
    tx.update(
        ReadModel(user_id=user_id, ticket_id=ticket_id),
        actions=[ReadModel.unread_user.set(user_id), ReadModel.unread_seq.set(seq),
                 ReadModel.unread_at.set(at)],
    )


def unread_page(
    user_id: str, *, limit: int, cursor: str | None, newest_first: bool = True
) -> UnreadPage:
    """One page of the user's unread tickets: a key-condition Query on the sparse index."""
    page = query_page(
        ReadModel.unread_index, ReadModel, user_id,
        scope=f"unread:{user_id}:{newest_first}", limit=limit, cursor=cursor,
        newest_first=newest_first,
    )
    return UnreadPage([str(r.ticket_id) for r in page.items], page.cursor)


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


def clear_unread(user_id: str, ticket_id: str, seq: int) -> None:
    """The customer read the public thread up to `seq`: the unread marker goes, but only if it
    names an answer up to there. One that arrived after the reader's page was loaded stays, and
    with nothing unread this writes nothing (one conditional call either way)."""
    try:
        ReadModel(user_id=user_id, ticket_id=ticket_id).update(
            actions=[ReadModel.unread_user.remove(), ReadModel.unread_seq.remove(),
                     ReadModel.unread_at.remove()],
            condition=ReadModel.unread_seq <= seq,
        )
    except UpdateError as exc:
        if not condition_failed(exc):
            raise

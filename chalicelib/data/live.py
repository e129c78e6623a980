"""Open WebSocket connections, the ticket each one follows, and whether it follows the queue.

A connection stores the hash of the session that opened it, never the token, and the session
is checked again before anything is pushed to it. TTL removes connections whose disconnect
event never came (API Gateway closes every connection after two hours at most).

Both indexes are sparse: an item is in `ticket-index` only while it follows a ticket, and in
`queue-index` only while a staff page follows the console's queue. The queue is one partition
(`queue = "staff"`): the console's open pages number in the hundreds at most, and a push reads
them with one key-condition Query however many tickets or connections there are elsewhere.
"""

from __future__ import annotations

from contextlib import suppress

from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.exceptions import DeleteError, DoesNotExist, UpdateError
from pynamodb.expressions.update import Action
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.data.base import REGION, condition_failed, expiry, table_name

MAX_AGE_SECONDS = 2 * 3600 + 600  # API Gateway's limit, and a margin


class TicketIndex(GlobalSecondaryIndex["ConnectionModel"]):
    """Sparse: only connections following a ticket."""

    class Meta:
        index_name = "ticket-index"
        projection = AllProjection()

    ticket_id = UnicodeAttribute(hash_key=True)


class QueueIndex(GlobalSecondaryIndex["ConnectionModel"]):
    """Sparse: only staff connections following the console's queue."""

    class Meta:
        index_name = "queue-index"
        projection = AllProjection()

    queue = UnicodeAttribute(hash_key=True)


STAFF_QUEUE = "staff"
# What one push reads of the queue: more open console pages than a desk has agents.
MAX_QUEUE_FOLLOWERS = 500


class ConnectionModel(Model):
    class Meta:
        table_name = table_name("live-connections")
        region = REGION
        billing_mode = "PAY_PER_REQUEST"

    connection_id = UnicodeAttribute(hash_key=True)
    user_id = UnicodeAttribute()
    role = UnicodeAttribute()
    session_hash = UnicodeAttribute()
    ticket_id = UnicodeAttribute(null=True)
    queue = UnicodeAttribute(null=True)
    connected_at = NumberAttribute()
    expires_at = TTLAttribute()

    ticket_index = TicketIndex()
    queue_index = QueueIndex()


def put_connection(
    connection_id: str, *, user_id: str, role: str, session_hash: str, now: float
) -> None:
    ConnectionModel(
        connection_id=connection_id,
        user_id=user_id,
        role=role,
        session_hash=session_hash,
        connected_at=now,
        expires_at=expiry(now + MAX_AGE_SECONDS),
    ).save()


def get_connection(connection_id: str) -> ConnectionModel | None:
    try:
        return ConnectionModel.get(connection_id, consistent_read=True)
    except DoesNotExist:
        return None


def follow_ticket(connection_id: str, ticket_id: str | None) -> bool:
    """One ticket per connection: following another replaces it. False if the connection is
    gone meanwhile."""
    field = ConnectionModel.ticket_id
    return _update(connection_id, field.set(ticket_id) if ticket_id else field.remove())


def follow_queue(connection_id: str, following: bool) -> bool:
    """Follow the console's queue or stop; False if the connection is gone meanwhile."""
    field = ConnectionModel.queue
    return _update(connection_id, field.set(STAFF_QUEUE) if following else field.remove())


def _update(connection_id: str, action: Action) -> bool:
    try:
        ConnectionModel(connection_id).update(
            actions=[action], condition=ConnectionModel.connection_id.exists()
        )
    except UpdateError as exc:
        if condition_failed(exc):
            return False
        raise
    return True


def delete_connection(connection_id: str) -> None:
    with suppress(DeleteError):  # already gone: the same outcome
        ConnectionModel(connection_id).delete()


def followers_of(ticket_id: str) -> list[ConnectionModel]:
    return list(ConnectionModel.ticket_index.query(ticket_id, limit=200))


def queue_followers() -> list[ConnectionModel]:
    return list(ConnectionModel.queue_index.query(STAFF_QUEUE, limit=MAX_QUEUE_FOLLOWERS))

"""Bulk data for the cost test, the thread tests and the benchmark: tickets and messages of other
customers, long threads, written straight through the data layer with batch writes (the API
would take minutes). seed_other_customers, which runs beside moto in the same process, hands the
batches' items to moto's DynamoDB directly."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from chalicelib import clock
from chalicelib.data.messages import PUBLIC, MessageModel, thread_key
from chalicelib.data.search import write_postings
from chalicelib.data.tickets import TicketModel
from chalicelib.services.search import STAFF, posting_term

STATUSES = ("new", "open", "pending", "resolved", "closed")


@contextmanager
def _unchecked_item_sizes() -> Iterator[None]:
    """In-process moto checks DynamoDB's 400 KB item limit by adding up every attribute's size
    again at each attribute it sets: quadratic in the attributes, most of the cost of seeding
    10,000 tickets. A seeded item is a few hundred bytes, so the check is left out while
    seeding (a moto server in another process keeps it)."""
    from moto.dynamodb.models.dynamo_type import LimitedSizeDict

    checked = LimitedSizeDict.__setitem__
    LimitedSizeDict.__setitem__ = dict.__setitem__  # type: ignore[method-assign, assignment]
    try:
        yield
    finally:
        LimitedSizeDict.__setitem__ = checked  # type: ignore[method-assign]


@contextmanager
def _batches_straight_into_moto() -> Iterator[None]:
    """The data layer's batch writes handed to the in-process emulator's DynamoDB directly: the
    items PynamoDB serializes, put as moto puts each item of a BatchWriteItem, without the
    request and the answer made and read on both sides of botocore (most of the time of
    seeding 10,000 tickets). What the tables then hold is the same."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends
    from pynamodb.connection.table import TableConnection

    from chalicelib.config import get_settings

    backend = dynamodb_backends[DEFAULT_ACCOUNT_ID][get_settings().region]
    through_botocore = TableConnection.batch_write_item

    def batch_write_item(self: TableConnection, put_items: Any = None,
                         delete_items: Any = None, **_: Any) -> dict[str, Any]:
        for item in put_items or ():
            backend.put_item(self.table_name, item)
        for key in delete_items or ():
            backend.delete_item(self.table_name, key)
        return {}  # nothing unprocessed

    TableConnection.batch_write_item = batch_write_item  # type: ignore[method-assign]
    try:
        yield
    finally:
        TableConnection.batch_write_item = through_botocore  # type: ignore[method-assign]


def seed_other_customers(
    tickets: int, messages_per_ticket: int, *, agents: list[str], seed: int = 7,
    staff_words: Sequence[str] = (),
) -> int:
    """`tickets` tickets of 500 other customers in 50 other organizations, each with
    `messages_per_ticket` public messages. Returns the number of messages written.

    `staff_words`: search postings of these words for every ticket, in the staff's scope, as
    the messages stream would write them: long posting lists for the console's search without
    the time it takes to index every word (seed_search_postings does that)."""
    rng = random.Random(seed)
    now = clock.now()
    written = 0
    postings: list[tuple[str, str, float]] = []
    with _unchecked_item_sizes(), _batches_straight_into_moto(), \
            TicketModel.batch_write() as ticket_batch, MessageModel.batch_write() as message_batch:
        for n in range(tickets):
            ticket_id = uuid.uuid4().hex
            customer = rng.randrange(500)
            created_at = now - rng.randrange(90 * 86400)
            activity = now - rng.randrange(30 * 86400)  # every seeded message is public
            ticket = TicketModel(
                ticket_id=ticket_id,
                number=900_000 + n,
                title=f"Seeded question {n}",
                subject=f"Seeded subject {n}",
                topic=rng.choice(("general", "billing", "technical")),
                channel="portal",
                status=rng.choice(STATUSES),
                requester_id=f"seed-customer-{customer}",
                org_id=f"seed-org-{customer % 50}",
                assignee_id=rng.choice([*agents, None]),
                team_id="support",
                created_at=created_at,
                last_activity_at=activity,
                public_activity_at=activity,
                created_by=f"seed-customer-{customer}",
                last_seq=messages_per_ticket,
                last_public_seq=messages_per_ticket,
                public_count=messages_per_ticket,
                message_count=messages_per_ticket,
            )
            ticket.refresh_keys()
            ticket_batch.save(ticket)
            postings += [(posting_term(STAFF, word), ticket_id, activity) for word in staff_words]
            for seq in range(1, messages_per_ticket + 1):
                message_batch.save(MessageModel(
                    thread=thread_key(ticket_id, PUBLIC), seq=seq, position=seq,
                    public_before=seq - 1, message_id=uuid.uuid4().hex,
                    ticket_id=ticket_id, visibility=PUBLIC, kind="customer_message",
                    author_id=ticket.requester_id, author_role="customer",
                    body=f"Seeded message {seq} of ticket {n}.", created_at=ticket.created_at,
                ))
                written += 1
        write_postings(postings)
    return written


def seed_thread(
    ticket_id: str, visibilities: Sequence[str], bodies: Sequence[str] | None = None
) -> None:
    """Append messages to a ticket's thread, numbered as services/tickets/commit.py numbers them (a
    position each, a public number for public ones), with the ticket's counters to match: a
    long thread in a second instead of a transaction per message. `bodies`, when given, are
    the messages' texts in order."""
    ticket = TicketModel.get(ticket_id, consistent_read=True)
    position, public = int(ticket.last_seq), int(ticket.last_public_seq)
    now = clock.now()
    with MessageModel.batch_write() as batch:
        for index, visibility in enumerate(visibilities):
            position += 1
            public_before = public
            if visibility == PUBLIC:
                public += 1
            batch.save(MessageModel(
                thread=thread_key(ticket_id, visibility),
                seq=public if visibility == PUBLIC else position,
                position=position, public_before=public_before,
                message_id=uuid.uuid4().hex, ticket_id=ticket_id, visibility=visibility,
                kind="customer_message" if visibility == PUBLIC else "internal_note",
                author_id=ticket.requester_id if visibility == PUBLIC else None,
                author_role="customer" if visibility == PUBLIC else "agent",
                body=bodies[index] if bodies else f"Message {position}", created_at=now,
            ))
    ticket.last_seq, ticket.message_count = position, int(ticket.message_count) + len(visibilities)
    ticket.last_public_seq, ticket.public_count = public, public
    ticket.save()

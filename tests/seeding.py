"""Bulk data for the cost test and the benchmark: tickets and messages of other customers,
written straight through the data layer with batch writes (the API would take minutes)."""

from __future__ import annotations

import random
import uuid

from chalicelib import clock
from chalicelib.data.messages import PUBLIC, MessageModel, thread_key
from chalicelib.data.tickets import TicketModel

STATUSES = ("new", "open", "pending", "resolved", "closed")


def seed_other_customers(
    tickets: int, messages_per_ticket: int, *, agents: list[str], seed: int = 7
) -> int:
    """`tickets` tickets of 500 other customers in 50 other organizations, each with
    `messages_per_ticket` public messages. Returns the number of messages written."""
    rng = random.Random(seed)
    now = clock.now()
    written = 0
    with TicketModel.batch_write() as ticket_batch, MessageModel.batch_write() as message_batch:
        for n in range(tickets):
            ticket_id = uuid.uuid4().hex
            customer = rng.randrange(500)
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
                created_at=now - rng.randrange(90 * 86400),
                last_activity_at=now - rng.randrange(30 * 86400),
                created_by=f"seed-customer-{customer}",
                last_seq=messages_per_ticket,
                last_public_seq=messages_per_ticket,
                public_count=messages_per_ticket,
                message_count=messages_per_ticket,
            )
            ticket.refresh_keys()
            ticket_batch.save(ticket)
            for seq in range(1, messages_per_ticket + 1):
                message_batch.save(MessageModel(
                    thread=thread_key(ticket_id, PUBLIC), seq=seq, message_id=uuid.uuid4().hex,
                    ticket_id=ticket_id, visibility=PUBLIC, kind="customer_message",
                    author_id=ticket.requester_id, author_role="customer",
                    body=f"Seeded message {seq} of ticket {n}.", created_at=ticket.created_at,
                ))
                written += 1
    return written

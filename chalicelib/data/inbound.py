"""The inbound mail log: one record per SES delivery, and the caps on our polite answers.

Two kinds of item in one table:
- `mail#<SES message id>`: what became of one received message. It is created with a condition
  *before* anything is acted on, so a delivery SQS or SNS repeats finds it and does nothing.
  While a delivery is handled the record says `processing` with a lease; a Lambda that died
  half-way leaves an expired lease, which the next delivery of the same message may take over,
  or which the sweep settles once no delivery is coming any more.
- `answer#<kind>#<address>#<day>`: one polite answer of a kind per address per day, claimed by
  a conditional put before sending.

Every delivery record sits in the `status-index` (partition: the status, `processing` included),
so the admin's lists and the sweep of abandoned deliveries are key-condition queries; the answer
caps have no `list_status` and stay out of it.
"""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist, PutError, UpdateError
from pynamodb.expressions.update import Action
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.data.base import REGION, Page, condition_failed, query_page, table_name

PROCESSING = "processing"
DONE = "done"
QUARANTINED = "quarantined"
REJECTED = "rejected"
DROPPED = "dropped"
FAILED = "failed"  # an error we could not classify: listed for an admin, retried on redelivery
SETTLED = (DONE, QUARANTINED, REJECTED, DROPPED, FAILED)

_ANSWER_DAYS = 2  # TTL backstop of the answer caps; the day is in the key


class StatusIndex(GlobalSecondaryIndex["InboundModel"]):
    class Meta:
        index_name = "status-index"
        projection = AllProjection()

    list_status = UnicodeAttribute(hash_key=True)
    received_at = NumberAttribute(range_key=True)


class InboundModel(Model):
    class Meta:
        table_name = table_name("inbound-mail")
        region = REGION
        billing_mode = "PAY_PER_REQUEST"

    key = UnicodeAttribute(hash_key=True)
    delivery_id = UnicodeAttribute(null=True)  # the SES message id
    status = UnicodeAttribute(null=True)
    list_status = UnicodeAttribute(null=True)  # = status (sparse index: delivery records only)
    outcome = UnicodeAttribute(null=True)  # ticket | reply | event | spam | virus | ...
    reason = UnicodeAttribute(null=True)
    bucket = UnicodeAttribute(null=True)
    object_key = UnicodeAttribute(null=True)
    sender = UnicodeAttribute(null=True)
    subject = UnicodeAttribute(null=True)
    receipt = JSONAttribute(null=True)  # the SES notification's verdicts, recipients, source
    ticket_id = UnicodeAttribute(null=True)
    message_seq = NumberAttribute(null=True)
    attempts = NumberAttribute(default=0)
    lease_until = NumberAttribute(null=True)
    kept_key = UnicodeAttribute(null=True)  # the copy of the raw message a quarantine keeps
    released_by = UnicodeAttribute(null=True)
    # What the first attempt decided before it wrote anything (who the sender is, which ticket,
    # as what): a retry carries it out instead of deciding again.
    decision = JSONAttribute(null=True)
    answers = JSONAttribute(null=True)  # {ticket_id, number} a held reply answers
    received_at = NumberAttribute(default=0)
    updated_at = NumberAttribute(default=0)
    expires_at = NumberAttribute(null=True)  # answer caps only

    status_index = StatusIndex()


def _key(delivery_id: str) -> str:
    return f"mail#{delivery_id}"


def get_delivery(delivery_id: str) -> InboundModel | None:
    try:
        return InboundModel.get(_key(delivery_id), consistent_read=True)
    except DoesNotExist:
        return None


def claim_delivery(
    delivery_id: str, *, fields: dict[str, Any], now: float, lease_seconds: float,
    reclaim: tuple[str, ...] = (),
) -> InboundModel | None:
    """Take the delivery for handling. Succeeds for a new delivery, one whose lease ran out
    (a crashed attempt), or one in a `reclaim` status (an admin's retry / release); None when
    someone else holds it or it is already settled."""
    existing = get_delivery(delivery_id)
    if existing is None:
        record = InboundModel(
            _key(delivery_id), delivery_id=delivery_id, status=PROCESSING,
            list_status=PROCESSING, attempts=1, lease_until=now + lease_seconds,
            received_at=now, updated_at=now, **fields,
        )
        try:
            record.save(condition=InboundModel.key.does_not_exist())
        except PutError as exc:
            if condition_failed(exc):
                return None  # a concurrent delivery of the same message won
            raise
        return record
    expired = existing.status == PROCESSING and float(existing.lease_until or 0) < now
    if not expired and existing.status not in reclaim:
        return None
    # Conditioned on what we read: of two concurrent claimers exactly one wins.
    condition = (InboundModel.status == existing.status) & (
        InboundModel.attempts == int(existing.attempts or 0)
    )
    try:
        existing.update(
            actions=[
                InboundModel.status.set(PROCESSING),
                InboundModel.list_status.set(PROCESSING),
                InboundModel.attempts.set(int(existing.attempts or 0) + 1),
                InboundModel.lease_until.set(now + lease_seconds),
                InboundModel.updated_at.set(now),
            ],
            condition=condition,
        )
    except UpdateError as exc:
        if condition_failed(exc):
            return None
        raise
    return existing


def record_decision(record: InboundModel, decision: dict[str, Any]) -> None:
    """Keep what this delivery decided, before it acts on it. Conditioned on the attempt that
    holds the lease: an attempt taken over since cannot overwrite its successor's decision."""
    try:
        record.update(
            actions=[InboundModel.decision.set(decision)],
            condition=(InboundModel.status == PROCESSING)
            & (InboundModel.attempts == int(record.attempts or 0)),
        )
    except UpdateError as exc:
        if condition_failed(exc):
            raise LeaseLost(str(record.delivery_id)) from None
        raise


def forget_decision(record: InboundModel) -> None:
    """Staff release a held delivery: it is decided again, with their word added."""
    record.update(actions=[InboundModel.decision.remove()])


class LeaseLost(Exception):
    """Another attempt took this delivery over: this one stops without writing."""


def settle(
    record: InboundModel, *, status: str, outcome: str, reason: str, now: float,
    ticket_id: str | None = None, message_seq: int | None = None,
    released_by: str | None = None, kept_key: str | None = None,
    extra: dict[str, Any] | None = None,
) -> InboundModel:
    actions: list[Action] = [
        InboundModel.status.set(status),
        InboundModel.list_status.set(status),
        InboundModel.outcome.set(outcome),
        InboundModel.reason.set(reason[:1000]),
        InboundModel.updated_at.set(now),
        InboundModel.lease_until.remove(),
    ]
    if ticket_id:
        actions.append(InboundModel.ticket_id.set(ticket_id))
    if message_seq is not None:
        actions.append(InboundModel.message_seq.set(message_seq))
    if released_by:
        actions.append(InboundModel.released_by.set(released_by))
    if kept_key:
        actions.append(InboundModel.kept_key.set(kept_key))
    for name, value in (extra or {}).items():
        actions.append(getattr(InboundModel, name).set(value))
    record.update(actions=actions)
    return record


def settle_abandoned(
    record: InboundModel, *, outcome: str, reason: str, now: float,
    kept_key: str | None = None,
) -> bool:
    """Quarantine a delivery whose attempt died, unless someone took it over since it was read
    (its attempts changed) or its lease is live: False then, and nothing is written."""
    actions: list[Action] = [
        InboundModel.status.set(QUARANTINED),
        InboundModel.list_status.set(QUARANTINED),
        InboundModel.outcome.set(outcome),
        InboundModel.reason.set(reason[:1000]),
        InboundModel.updated_at.set(now),
        InboundModel.lease_until.remove(),
    ]
    if kept_key:
        actions.append(InboundModel.kept_key.set(kept_key))
    condition = (
        (InboundModel.status == PROCESSING)
        & (InboundModel.attempts == int(record.attempts or 0))
        & (InboundModel.lease_until < now)
    )
    try:
        record.update(actions=actions, condition=condition)
    except UpdateError as exc:
        if condition_failed(exc):
            return False
        raise
    return True


def abandoned_deliveries(lease_ended_before: float, limit: int) -> list[InboundModel]:
    """Deliveries still `processing` whose lease ran out before the given time, oldest first
    (one partition of the status index: only deliveries in flight are in it)."""
    return list(
        InboundModel.status_index.query(
            PROCESSING,
            InboundModel.received_at < lease_ended_before,
            filter_condition=InboundModel.lease_until < lease_ended_before,
            limit=limit,
        )
    )


def list_deliveries(status: str, *, limit: int, cursor: str | None) -> Page[InboundModel]:
    return query_page(
        InboundModel.status_index, InboundModel, status, scope=f"inbound:{status}",
        limit=limit, cursor=cursor, newest_first=True,
    )


def claim_answer(kind: str, address: str, day: str, now: float) -> bool:
    """True the first time this (kind, address, day) is claimed: send then; False after."""
    try:
        InboundModel(
            f"answer#{kind}#{address}#{day}", received_at=now, updated_at=now,
            expires_at=now + _ANSWER_DAYS * 86400,
        ).save(condition=InboundModel.key.does_not_exist())
    except PutError as exc:
        if condition_failed(exc):
            return False
        raise
    return True

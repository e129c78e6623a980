"""The delivery record: one per SES message id, claimed with a lease before anything is done,
settled once with an outcome; the decision a first attempt recorded on it, which a retry
carries out; the ids derived from it, which make every write of a retry find the earlier one;
what the log shows of it; and the quarantine of deliveries whose attempt died or whose
notification could not be read (`data/inbound.py` stores it)."""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass
from typing import Any

from chalicelib import clock
from chalicelib.adapters import inbound_mail as raw_store
from chalicelib.data import inbound as store
from chalicelib.data.inbound import DROPPED, PROCESSING, QUARANTINED, InboundModel
from chalicelib.errors import NotFound
from chalicelib.observability import count, get_logger
from chalicelib.services.inbound.rules import RELEASABLE, Receipt
from chalicelib.shapes.inbound import Delivery, DeliveryPage

# The queue's contract with infra/ (tests/infra/test_inbound_budget.py holds the two to it).
# The inbound_mail function's timeout: no attempt lives longer.
FUNCTION_TIMEOUT_SECONDS = 60
# A little over the timeout: a live attempt is never taken over, a dead one is soon after.
LEASE_SECONDS = FUNCTION_TIMEOUT_SECONDS + 30
# The inbound queue's visibility timeout: a receive that failed comes back after this, by when
# the lease of the attempt it failed against has run out, so every receive is a real attempt.
QUEUE_VISIBILITY_SECONDS = 6 * FUNCTION_TIMEOUT_SECONDS
# Attempts at one delivery (each a receive of it) before it is quarantined for an admin. The
# queue allows more receives than this, so the receive after a final attempt that died still
# comes and quarantines it.
MAX_ATTEMPTS = 3
# A delivery still `processing` this long after its lease ran out is coming back no more (the
# queue would have brought it back within its visibility timeout): the sweep quarantines it.
ABANDONED_AFTER_SECONDS = 2 * QUEUE_VISIBILITY_SECONDS
KEPT_PREFIX = "quarantine/"
_KEPT_NAME = re.compile(r"[A-Za-z0-9._-]{1,200}")
_DERIVED_IDS = uuid.UUID("5b1f6a52-8d0e-4c1e-9a57-2f0c3e4d7a10")  # namespace: SES id → ids

# Outcomes, as the delivery log and the metrics name them
TICKET, REPLY, BLOCKED, NOTE, EVENT = "ticket", "reply", "blocked", "note", "event"
# Mail held for staff because of who sent it (SES's verdicts were fine): released, it goes on
# with the sender vouched for.
UNVERIFIED = "unverified_sender"  # SES could not prove the From address, which names a customer
NOT_PARTICIPANT = "not_participant"  # a reply to a ticket's mail from outside the ticket
HOLDS = frozenset({UNVERIFIED, NOT_PARTICIPANT})
DISCARDED = "discarded"  # staff read a held mail and threw it away


class Busy(Exception):
    """Another invocation is handling this delivery right now: the queue delivers it again
    later, by when it is settled (then nothing is done) or its lease has run out."""


@dataclass(frozen=True)
class Result:
    status: str
    outcome: str
    reason: str = ""
    ticket_id: str | None = None
    message_seq: int | None = None
    sender: str | None = None
    subject: str | None = None
    answers: dict[str, Any] | None = None  # a held reply: the ticket it answers


@dataclass(frozen=True)
class StaffWord:
    """What staff said about a delivery they ran again: `release` names the hold they let
    through (a verdict's, or one of `HOLDS`, which vouches for the sender), `into` where a
    not-a-participant reply goes ("ticket" it answers, or "new"), `force` runs dropped mail as a
    person's message."""

    release: str = ""
    into: str = ""
    force: bool = False

    @property
    def vouches(self) -> bool:
        return self.force or self.release in HOLDS


# ---------------------------------------------------------------------------------------------
# Decided once: what the first attempt decided, kept for a retry to carry out


def record_decision(record: InboundModel, plan: dict[str, Any], word: StaffWord) -> None:
    """Keep the decision, with the staff word it was made under (a retry after a release
    goes on as released)."""
    said = {"release": word.release, "into": word.into, "force": word.force}
    store.record_decision(record, {**plan, "word": said})


def recorded_word(recorded: dict[str, Any]) -> StaffWord:
    """The staff word a recorded decision was made under."""
    return StaffWord(**{k: v for k, v in dict(recorded.get("word") or {}).items()
                        if k in ("release", "into", "force")})


def forget_decision(record: InboundModel) -> None:
    if record.decision:
        store.forget_decision(record)


def new_ticket_id(delivery_id: str) -> str:
    """The id of the ticket a delivery opens: a second create on a retry finds it taken."""
    return uuid.uuid5(_DERIVED_IDS, delivery_id).hex


def file_id(delivery_id: str, index: int) -> str:
    """The id of a delivery's `index`-th file: a retry finds what an earlier attempt stored."""
    return uuid.uuid5(_DERIVED_IDS, f"{delivery_id}/file/{index}").hex


# ---------------------------------------------------------------------------------------------
# The log


def find_delivery(delivery_id: str) -> InboundModel:
    """The delivery record, or the same 404 routing gives an id no delivery can have."""
    record = store.get_delivery(delivery_id) if len(delivery_id) <= 200 else None
    if record is None:
        raise NotFound("No such delivery.", code="delivery_not_found")
    return record


def list_deliveries(status: str, limit: int, cursor: str | None) -> DeliveryPage:
    page = store.list_deliveries(status, limit=limit, cursor=cursor)
    return {"items": [shape_delivery(r) for r in page.items], "next_cursor": page.cursor}


def shape_delivery(record: InboundModel) -> Delivery:
    summary = record.receipt if isinstance(record.receipt, dict) else {}
    answers = record.answers if isinstance(record.answers, dict) else {}
    return {
        "id": str(record.delivery_id),
        "status": str(record.status),
        "outcome": record.outcome,
        "reason": record.reason,
        "sender": record.sender,
        "subject": record.subject,
        "verdicts": {str(k): str(v) for k, v in dict(summary.get("verdicts") or {}).items()},
        "ticket_id": record.ticket_id,
        "attempts": int(record.attempts or 0),
        "releasable": record.status == QUARANTINED and releasable(str(record.outcome)),
        "forcible": forcible(record),
        "answers_ticket_id": answers.get("ticket_id"),
        "answers_ticket_number": answers.get("number"),
        "stuck": stuck(record),
        "lease_until": clock.iso(float(record.lease_until)) if record.lease_until else None,
        "raw_kept": bool(record.kept_key),
        "released_by": record.released_by,
        "received_at": clock.iso(float(record.received_at or 0)),
        "updated_at": clock.iso(float(record.updated_at or 0)),
    }


def releasable(outcome: str) -> bool:
    return outcome in RELEASABLE or outcome in HOLDS


def forcible(record: InboundModel) -> bool:
    return record.status == DROPPED and bool(record.bucket) and record.outcome != DISCARDED


def stuck(record: InboundModel) -> bool:
    """Left `processing` by an attempt that died: its lease has run out."""
    return record.status == PROCESSING and float(record.lease_until or 0) < clock.now()


def receipt_of(record: InboundModel) -> Receipt:
    """What SES said, for running a delivery again: from the kept copy of the raw message when
    there is one (the original under `raw/` may have expired)."""
    summary = record.receipt if isinstance(record.receipt, dict) else {}
    return Receipt(
        delivery_id=str(record.delivery_id), bucket=str(record.bucket or ""),
        object_key=str(record.kept_key or record.object_key or ""),
        source=str(summary.get("source", "")),
        destination=list(summary.get("destination", [])),
        verdicts=dict(summary.get("verdicts", {})),
        dmarc_policy=str(summary.get("dmarc_policy", "")),
        timestamp=str(summary.get("timestamp", "")),
        dkim_domains=tuple(str(d) for d in summary.get("dkim_domains", [])),
    )


# ---------------------------------------------------------------------------------------------
# Quarantined without being handled: never dropped in silence


def keep_raw(record: InboundModel, receipt: Receipt) -> str | None:
    """Copy a quarantined message's raw mail under `quarantine/`, which the bucket's retention
    leaves alone: a retry or release works after `raw/` has expired. Returns where it is kept
    (None when there is nothing to keep). Never raises: the quarantine matters more."""
    if record.kept_key:
        return str(record.kept_key)
    if not receipt.bucket or not receipt.object_key:
        return None
    name = receipt.delivery_id
    if not _KEPT_NAME.fullmatch(name):
        name = hashlib.sha256(name.encode()).hexdigest()
    kept_key = KEPT_PREFIX + name
    try:
        kept = raw_store.keep_raw(receipt.bucket, receipt.object_key, kept_key)
    except Exception:
        get_logger().exception("raw message of a quarantined delivery not kept",
                               extra={"delivery": receipt.delivery_id})
        return None
    return kept_key if kept else None


def quarantine_unreadable(body: str, why: str) -> Result:
    delivery_id = "unreadable-" + hashlib.sha256(body.encode("utf-8", "replace")).hexdigest()[:32]
    record = store.claim_delivery(delivery_id, now=clock.now(), lease_seconds=LEASE_SECONDS,
                                  fields={"subject": body[:300]})
    if record is not None:
        store.settle(record, status=QUARANTINED, outcome="unreadable", reason=why,
                     now=clock.now())
    get_logger().warning("unreadable inbound notification quarantined", extra={"why": why})
    return Result(QUARANTINED, "unreadable", why)


def give_up(record: InboundModel, receipt: Receipt) -> Result:
    reason = _unfinished(record)
    store.settle(record, status=QUARANTINED, outcome="unfinished", reason=reason,
                 now=clock.now(), kept_key=keep_raw(record, receipt))
    get_logger().warning("inbound delivery quarantined after attempts that died",
                         extra={"delivery": receipt.delivery_id})
    count("InboundMailAbandoned")
    return Result(QUARANTINED, "unfinished", reason)


def quarantine_abandoned(batch: int = 100) -> int:
    """The schedule's sweep: deliveries left `processing` by an attempt that died, long enough
    ago that no delivery of them is coming (the queue's receives are spent, or it was a staff
    retry), are quarantined with the reason. Returns how many."""
    cutoff = clock.now() - ABANDONED_AFTER_SECONDS
    quarantined = 0
    while True:
        found = store.abandoned_deliveries(cutoff, batch)
        before = quarantined
        for record in found:
            kept = keep_raw(record, receipt_of(record))
            if store.settle_abandoned(record, outcome="unfinished", reason=_unfinished(record),
                                      now=clock.now(), kept_key=kept):
                quarantined += 1
                get_logger().warning("abandoned inbound delivery quarantined",
                                     extra={"delivery": record.delivery_id})
        # The index is eventually consistent: a round that settled nothing would read the same
        # entries again; the next run finds whatever is left.
        if len(found) < batch or quarantined == before:
            break
    if quarantined:
        count("InboundMailAbandoned", quarantined)
    return quarantined


def _unfinished(record: InboundModel) -> str:
    return (f"attempt {int(record.attempts or 1)} did not finish: the function stopped (a "
            "timeout, out of memory) before recording an outcome")

"""Staff deciding on held mail: reading a message before deciding, releasing it, running it
again, forcing a dropped one through as a person's, and discarding it. Every decision runs
through the delivery's claim, so of two clicked at once exactly one wins, and is audited.

Reading shows a held message as inert data for the Held mail page: who it claims to be from,
what SES's checks said, the plain text, the names of its attachments. The HTML part is never
returned, not even sanitised: the page is there to judge a suspect message, and a suspect
message's markup is exactly what should not reach a staff member's browser. Attachment bytes
stay in the bucket for the same reason.

Discarding settles a quarantined (or failed) delivery as dropped, audited, so it leaves the
list for good; the raw message stays where it is, the record of what arrived.
"""

from __future__ import annotations

from chalicelib import clock
from chalicelib.adapters import inbound_mail as raw_store
from chalicelib.config import get_settings
from chalicelib.data import inbound as store
from chalicelib.data import users as user_store
from chalicelib.data.inbound import DROPPED, FAILED, PROCESSING, QUARANTINED, InboundModel
from chalicelib.errors import Conflict, InvalidInput, NotFound
from chalicelib.mail.model import ParsedMail
from chalicelib.mail.parse import parse_mail
from chalicelib.observability import count
from chalicelib.services import audit
from chalicelib.services.inbound.deliveries import (
    DISCARDED,
    LEASE_SECONDS,
    NOT_PARTICIPANT,
    StaffWord,
    find_delivery,
    forcible,
    forget_decision,
    receipt_of,
    releasable,
    shape_delivery,
    stuck,
)
from chalicelib.services.inbound.pipeline import run
from chalicelib.services.principal import Principal
from chalicelib.shapes.inbound import Delivery, HeldMessage

# Enough to judge any human-written mail; a longer one says it was cut, the raw mail has it all.
MAX_TEXT_CHARS = 100_000
MAX_ADDRESSES = 50  # per header: a mail to a thousand recipients says so in fifty
MAX_ATTACHMENTS = 100
MAX_WARNINGS = 50
# A claim on a delivery being discarded lasts as long as a settle can take.
_DISCARD_LEASE_SECONDS = 60


def read_held(delivery_id: str) -> HeldMessage:
    """What a held (or any received) message says, safe to show: text only, never HTML."""
    record = find_delivery(delivery_id)
    parsed = _parse(_raw(record))
    summary = record.receipt if isinstance(record.receipt, dict) else {}
    text = parsed.body_text or ""
    return {
        "delivery": shape_delivery(record),
        "from": {"address": parsed.from_email or "", "name": (parsed.from_name or "")[:200]},
        "envelope_from": str(summary.get("source") or "")[:320],
        "to": parsed.to[:MAX_ADDRESSES],
        "cc": parsed.cc[:MAX_ADDRESSES],
        "reply_to": parsed.reply_to[:MAX_ADDRESSES],
        "subject": (parsed.subject or "")[:1000],
        "date": parsed.date,
        "verdicts": {str(k): str(v) for k, v in dict(summary.get("verdicts") or {}).items()},
        "dmarc_policy": str(summary.get("dmarc_policy") or ""),
        "sender_doubt": (parsed.sender_doubt or "")[:500],
        "classification": str(parsed.classification),
        "text": text[:MAX_TEXT_CHARS],
        "text_truncated": len(text) > MAX_TEXT_CHARS,
        "has_html": bool(parsed.body_html),
        "attachments": [
            {"filename": a.filename[:255], "content_type": a.content_type[:255], "size": a.size,
             "inline": a.inline}
            for a in parsed.attachments[:MAX_ATTACHMENTS]
        ],
        "warnings": [w[:300] for w in parsed.warnings[:MAX_WARNINGS]],
    }


def retry_delivery(principal: Principal, delivery_id: str) -> Delivery:
    """Run a quarantined (or failed, or stuck) delivery again, as if it had just arrived: for
    mail that could not be handled (an error since fixed, a raw message that arrived late, an
    attempt that died). A verdict quarantine ends where it was; those are released, not retried.
    Anything else (done, or being handled right now): no change."""
    record = find_delivery(delivery_id)
    if record.status in (QUARANTINED, FAILED) or stuck(record):
        _rerun(principal, record, StaffWord(), action="inbound.retry")
    return shape_delivery(find_delivery(delivery_id))


def release_delivery(
    principal: Principal, delivery_id: str, *, into: str | None = None
) -> Delivery:
    """Staff looked at held mail and let it through: a spam, virus or DMARC quarantine (a virus
    verdict still keeps its attachments out), mail whose sender SES could not prove (staff
    vouch for them), or a reply from outside a ticket, `into` the ticket it answers (for the
    team: an internal event) or a `new` ticket of the sender's own. Releasing twice changes
    nothing."""
    record = find_delivery(delivery_id)
    if record.status == QUARANTINED:
        outcome = str(record.outcome)
        if not releasable(outcome):
            raise Conflict(
                "This message was not held for staff to decide; retry it instead.",
                code="not_releasable",
            )
        if outcome == NOT_PARTICIPANT and into not in ("ticket", "new"):
            raise InvalidInput("Say whether this reply goes into the ticket it answers or "
                               "becomes a new ticket.", code="release_into_required")
        forget_decision(record)
        where = (into or "") if outcome == NOT_PARTICIPANT else ""
        word = StaffWord(release=outcome, into=where)
        _rerun(principal, record, word, action="inbound.release")
    return shape_delivery(find_delivery(delivery_id))


def force_delivery(principal: Principal, delivery_id: str) -> Delivery:
    """Staff say a dropped mail (taken for an auto-reply, a loop, an unknown or unproven
    sender) is a person's message: it runs again as one, with the sender vouched for and the
    unknown-sender policy set aside. Mail from the portal's own addresses, disabled accounts or
    staff that threads nowhere stays dropped. Forcing what is not dropped changes nothing."""
    record = find_delivery(delivery_id)
    if record.status == DROPPED:
        if not forcible(record):
            raise Conflict("This delivery cannot be run again.", code="not_forcible")
        forget_decision(record)
        _rerun(principal, record, StaffWord(force=True), action="inbound.force")
    return shape_delivery(find_delivery(delivery_id))


def discard_delivery(principal: Principal, delivery_id: str) -> Delivery:
    """Staff decided a held message is not to go through: it is dropped, audited, and no
    retry or release applies to it any more. Discarding twice changes nothing; a delivery
    being handled right now cannot be discarded (409)."""
    record = find_delivery(delivery_id)
    # An attempt that died (its lease ended) may be discarded without waiting for the sweep.
    if record.status in (QUARANTINED, FAILED) or stuck(record):
        before = (str(record.status), str(record.outcome or ""))
        # Claimed first, as a retry or a release would claim it: of a discard and a release
        # clicked at once, exactly one wins, and the other is told the delivery is busy.
        claimed = store.claim_delivery(
            delivery_id, fields={}, now=clock.now(), lease_seconds=_DISCARD_LEASE_SECONDS,
            reclaim=(QUARANTINED, FAILED),
        )
        if claimed is None:
            raise _busy()
        store.settle(claimed, status=DROPPED, outcome=DISCARDED,
                     reason=f"discarded by {_name(principal)}", now=clock.now())
        audit.record("inbound.discard", actor=principal, target=f"inbound:{delivery_id}",
                     details={"status": before[0], "outcome": before[1],
                              "sender": record.sender, "subject": (record.subject or "")[:200]})
        count("InboundMailDiscarded")
    elif record.status == PROCESSING:
        raise _busy()
    return shape_delivery(find_delivery(delivery_id))


# ---------------------------------------------------------------------------------------------


def _rerun(principal: Principal, record: InboundModel, word: StaffWord, *, action: str) -> None:
    if not record.bucket:  # an unreadable notification: nothing to run again
        raise Conflict("This notification could not be read; there is no message to run.",
                       code="not_runnable")
    # A stuck delivery is taken over through its expired lease; a live one never is.
    reclaim = () if record.status == PROCESSING else (str(record.status),)
    claimed = store.claim_delivery(
        str(record.delivery_id), fields={}, now=clock.now(), lease_seconds=LEASE_SECONDS,
        reclaim=reclaim,
    )
    if claimed is None:
        raise _busy()
    result = run(claimed, receipt_of(claimed), word=word, actor=principal, final=True)
    details = {"status": result.status, "outcome": result.outcome}
    if word.into:
        details["into"] = word.into
    audit.record(action, actor=principal, target=f"inbound:{record.delivery_id}",
                 details=details)


def _raw(record: InboundModel) -> bytes:
    bucket = str(record.bucket or "")
    # The kept copy outlives the bucket's retention of raw/; the original is tried after it.
    keys = [str(k) for k in (record.kept_key, record.object_key) if k]
    if not bucket or not keys:  # an unreadable notification named no message at all
        raise NotFound("This delivery has no message to read.", code="raw_missing")
    for key in keys:
        try:
            return raw_store.read_raw(bucket, key)
        except raw_store.RawMissing:
            continue
    raise NotFound("The message is no longer stored (its retention has passed).",
                   code="raw_missing")


def _parse(raw: bytes) -> ParsedMail:
    settings = get_settings()
    # Our own domain and sender, as the pipeline parses it: a loop reads as a loop here too.
    return parse_mail(raw, own_domains=[settings.mail_domain],
                      own_addresses=[settings.mail_from])


def _busy() -> Conflict:
    return Conflict("This delivery is being handled right now.", code="delivery_busy")


def _name(principal: Principal) -> str:
    user = user_store.get_user(principal.user_id)
    if user is not None:
        return str(user.name or user.email or principal.user_id)
    return principal.email or principal.user_id

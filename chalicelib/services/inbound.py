"""Inbound mail: every received message becomes a ticket, a reply, an internal event, a
quarantine entry, a rejection or a drop, exactly once, and the delivery log says which.

SES stores the raw message in the inbound bucket and announces it (SNS → SQS); the queue
handler hands each announcement to `receive`. The steps:

1. **Once**: a delivery record keyed on SES's message id is created with a condition before
   anything is done (`data/inbound.py`). A repeat of the delivery finds it and stops. A record
   left `processing` by a crash has a lease; once it has run out, the next delivery takes over
   and runs again with `resume`, in which every write first looks for what the earlier attempt
   wrote: a new ticket's id is derived from the SES id (a second create finds it taken), a
   message or event carries the SES id in its details (the ticket's latest messages are
   checked), the account of an unknown sender is found by its address, a suppression is an
   overwrite, and the polite answers are capped per address and day by a conditional write.
2. **Verdicts** (`inbound_rules.py`): DMARC failing under a REJECT policy → rejected; virus /
   spam → quarantined until staff release it (a virus verdict withholds the attachments for good).
3. **Machines**: our own mail coming back is dropped; a bounce suppresses the failed address and
   is noted on its ticket; an auto-reply is noted on its ticket or dropped. None is ever answered.
4. **Threading**, strongest proof first: a reply token signed for the sender in a recipient
   address (the token is the proof, whatever SES could prove); then, only for a sender SES
   proved, In-Reply-To / References naming a Message-ID of the ticket's mail from someone who
   belongs to the ticket, or a `[#1234]` subject tag from the requester or their organization.
   Anything else is a new message from the sender.
5. **Writing** goes through `services/tickets.py` (the one write path): a reply reopens like a
   portal reply; a blocked ticket keeps the mail as an internal event and the sender gets one
   polite answer a day; the stored text is the reply without quoted history, the full text
   stays in the message's details and the raw mail in the bucket, untouched.

Whatever cannot be handled is quarantined, never dropped in silence: an unexpected error is
retried by the queue a few times, then the delivery is quarantined with the error for an admin
to re-run (`retry`); an attempt that died without a word (a timeout, out of memory) is taken
over when the queue brings the message back, and quarantined once the attempts are spent or no
delivery is coming any more (`quarantine_abandoned`, a schedule). Spam and virus quarantines
are for staff to `release`. A quarantined message's raw mail is copied where the bucket's
retention does not reach, so a retry works at any age.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass, field, replace
from typing import Any

from chalicelib import clock
from chalicelib.adapters import inbound_mail as raw_store
from chalicelib.config import get_settings
from chalicelib.data import inbound as store
from chalicelib.data import mail_threads
from chalicelib.data import orgs as org_store
from chalicelib.data import teams as team_store
from chalicelib.data import tickets as ticket_store
from chalicelib.data import users as user_store
from chalicelib.data.inbound import (
    DONE,
    DROPPED,
    FAILED,
    PROCESSING,
    QUARANTINED,
    REJECTED,
    InboundModel,
)
from chalicelib.data.messages import INTERNAL, PUBLIC
from chalicelib.data.tickets import TicketModel
from chalicelib.errors import Conflict, InvalidInput, NotFound, ParleyError
from chalicelib.mail import tokens
from chalicelib.mail.model import ParsedMail
from chalicelib.mail.parse import parse_mail
from chalicelib.observability import count, get_logger
from chalicelib.services import audit, mailer, suppressions, tickets
from chalicelib.services.inbound_rules import (
    RELEASABLE,
    Decision,
    Receipt,
    UnreadableNotification,
    decide,
    domains_align,
    is_receipt,
    read_receipt,
    unwrap,
)
from chalicelib.services.principal import CUSTOMER, Principal
from chalicelib.services.settings import PortalSettings, get_portal_settings

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
FULL_TEXT_CHARS = 60_000  # a DynamoDB item holds 400 KB; the raw mail keeps everything
FULL_TEXT_BYTES = 180_000  # ... and 60,000 characters of some scripts are 240 KB of UTF-8
MAX_MAIL_FILES = 50  # files one mail may add; the rest stay in the raw mail, named in the event
EVENT_FILE_NAMES = 30  # files the attachments event names; it counts the others
EVENT_EXCERPT = 500
MAX_THREAD_LOOKUPS = 20
_TICKET_IDS = uuid.UUID("5b1f6a52-8d0e-4c1e-9a57-2f0c3e4d7a10")  # namespace: SES id → ticket id
_SUBJECT_TAG = re.compile(r"\[#(\d{1,9})\]")
_MESSAGE_ID_LINE = re.compile(r"^message-id:\s*(<[^<>\s]{1,500}>)", re.IGNORECASE | re.MULTILINE)
_TOKEN_ADDRESS = re.compile(r"reply\+[0-9a-z.-]{1,60}@[0-9a-z.-]{1,253}", re.IGNORECASE)
_REPORT_TYPES = ("message/rfc822", "text/rfc822-headers", "message/global",
                 "message/global-headers")

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


class _Unhandled(Exception):
    """A mail that cannot become anything: quarantined with the reason."""


@dataclass
class _Mail:
    """One delivery being handled: what SES said, what the parser read, what was decided."""

    receipt: Receipt
    parsed: ParsedMail
    decision: Decision
    resume: bool
    sender: str  # normalised From address ("" when there is none)
    settings: PortalSettings
    record: InboundModel
    word: StaffWord = field(default_factory=StaffWord)
    doubt: str = ""  # why the From address cannot be believed, whatever SES said

    @property
    def proven(self) -> bool:
        """Whether the From address is its author's: SES proved it (aligned with From) and
        nothing about the address is doubtful, or staff vouched for it by letting the mail in."""
        if self.word.vouches:
            return True
        return self.decision.proven_sender and not self.doubt

    def details(self, method: str = "", **extra: Any) -> dict[str, Any]:
        """What the console shows with a message from mail (customers never see details)."""
        full = self.parsed.body_text or ""
        details: dict[str, Any] = {
            "inbound_id": self.receipt.delivery_id,
            "from": self.sender,
            "from_name": self.parsed.from_name[:200],
            "subject": self.parsed.subject[:300],
            "message_id": self.parsed.message_id,
            "threaded_by": method or None,
            "raw": f"s3://{self.receipt.bucket}/{self.receipt.object_key}",
            "verdicts": self.receipt.verdicts,
            # Read by the notifications: an unproven sender gets no acknowledgement either.
            # The console marks what SES could not prove, even once staff let it in.
            "sender_proven": self.proven,
            "sender_verified_by_ses": self.decision.proven_sender and not self.doubt,
        }
        if self.doubt:
            details["sender_doubt"] = self.doubt[:200]
        if self.word.vouches:
            details["vouched_by_staff"] = True
        if full.strip() and full.strip() != (self.parsed.reply_text or "").strip():
            kept = _within_bytes(full[:FULL_TEXT_CHARS], FULL_TEXT_BYTES)
            details["full_text"] = kept
            details["full_text_truncated"] = len(kept) < len(full)
        details.update(extra)
        return details


# ---------------------------------------------------------------------------------------------
# Entry points


def receive(body: str, *, receive_count: int = 1) -> Result:
    """One queue message (an SES receipt notification, in an SNS envelope or raw), received
    `receive_count` times so far (SQS's ApproximateReceiveCount)."""
    try:
        notification = unwrap(body)
        if not is_receipt(notification):
            # SNS subscription confirmations, SES's setup notification: nothing was received.
            get_logger().info("inbound notification ignored",
                              extra={"type": notification.get("notificationType")})
            return Result(DROPPED, "not_a_receipt")
        receipt = read_receipt(notification)
    except UnreadableNotification as exc:
        return _quarantine_unreadable(body, str(exc))
    now = clock.now()
    record = store.claim_delivery(
        receipt.delivery_id, now=now, lease_seconds=LEASE_SECONDS, reclaim=(FAILED,),
        fields={"bucket": receipt.bucket, "object_key": receipt.object_key,
                "receipt": receipt.summary()},
    )
    if record is None:
        existing = store.get_delivery(receipt.delivery_id)
        if existing is not None and existing.status == PROCESSING:
            raise Busy(receipt.delivery_id)
        count("InboundMailRepeated")
        return Result(str(existing.status) if existing else DONE, "repeated")
    if int(record.attempts or 1) > MAX_ATTEMPTS:
        # The last attempt died without recording anything (a timeout, out of memory): one
        # more would most likely die the same way.
        return _give_up(record, receipt)
    final = max(int(record.attempts or 1), receive_count) >= MAX_ATTEMPTS
    return _run(record, receipt, word=StaffWord(), actor=None, final=final)


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
            receipt = _receipt_of(record)
            kept = _keep_raw(record, receipt)
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


def list_deliveries(status: str, limit: int, cursor: str | None) -> dict[str, Any]:
    page = store.list_deliveries(status, limit=limit, cursor=cursor)
    return {"items": [shape_delivery(r) for r in page.items], "next_cursor": page.cursor}


def retry_delivery(principal: Principal, delivery_id: str) -> dict[str, Any]:
    """Run a quarantined (or failed, or stuck) delivery again, as if it had just arrived: for
    mail that could not be handled (an error since fixed, a raw message that arrived late, an
    attempt that died). A verdict quarantine ends where it was; those are released, not retried.
    Anything else (done, or being handled right now): no change."""
    record = find_delivery(delivery_id)
    if record.status in (QUARANTINED, FAILED) or _stuck(record):
        _rerun(principal, record, StaffWord(), action="inbound.retry")
    return shape_delivery(find_delivery(delivery_id))


def release_delivery(
    principal: Principal, delivery_id: str, *, into: str | None = None
) -> dict[str, Any]:
    """Staff looked at held mail and let it through: a spam, virus or DMARC quarantine (a virus
    verdict still keeps its attachments out), mail whose sender SES could not prove (staff
    vouch for them), or a reply from outside a ticket, `into` the ticket it answers (for the
    team: an internal event) or a `new` ticket of the sender's own. Releasing twice changes
    nothing."""
    record = find_delivery(delivery_id)
    if record.status == QUARANTINED:
        outcome = str(record.outcome)
        if not _releasable(outcome):
            raise Conflict(
                "This message was not held for staff to decide; retry it instead.",
                code="not_releasable",
            )
        if outcome == NOT_PARTICIPANT and into not in ("ticket", "new"):
            raise InvalidInput("Say whether this reply goes into the ticket it answers or "
                               "becomes a new ticket.", code="release_into_required")
        _forget_decision(record)
        where = (into or "") if outcome == NOT_PARTICIPANT else ""
        word = StaffWord(release=outcome, into=where)
        _rerun(principal, record, word, action="inbound.release")
    return shape_delivery(find_delivery(delivery_id))


def force_delivery(principal: Principal, delivery_id: str) -> dict[str, Any]:
    """Staff say a dropped mail (taken for an auto-reply, a loop, an unknown or unproven
    sender) is a person's message: it runs again as one, with the sender vouched for and the
    unknown-sender policy set aside. Mail from the portal's own addresses, disabled accounts or
    staff that threads nowhere stays dropped. Forcing what is not dropped changes nothing."""
    record = find_delivery(delivery_id)
    if record.status == DROPPED:
        if not _forcible(record):
            raise Conflict("This delivery cannot be run again.", code="not_forcible")
        _forget_decision(record)
        _rerun(principal, record, StaffWord(force=True), action="inbound.force")
    return shape_delivery(find_delivery(delivery_id))


def _releasable(outcome: str) -> bool:
    return outcome in RELEASABLE or outcome in HOLDS


def _forcible(record: InboundModel) -> bool:
    return record.status == DROPPED and bool(record.bucket) and record.outcome != DISCARDED


def _forget_decision(record: InboundModel) -> None:
    if record.decision:
        store.forget_decision(record)


# ---------------------------------------------------------------------------------------------
# One attempt


def _run(
    record: InboundModel, receipt: Receipt, *, word: StaffWord, actor: Principal | None,
    final: bool,
) -> Result:
    try:
        result = _handle(record, receipt, word)
    except store.LeaseLost:
        # Taken over by a later attempt (this one outlived its lease): that one settles it.
        get_logger().warning("inbound attempt lost its lease", extra={
            "delivery": receipt.delivery_id})
        raise Busy(receipt.delivery_id) from None
    except Exception as exc:
        # Transient errors (throttling, a timeout) deserve the queue's retries; anything still
        # failing at the last attempt is quarantined with its error for an admin, never lost.
        get_logger().exception("inbound mail failed", extra={"delivery": receipt.delivery_id,
                                                              "final": final})
        count("InboundMailFailed")
        reason = f"{type(exc).__name__}: {exc}"
        if not final:
            store.settle(record, status=FAILED, outcome="error", reason=reason, now=clock.now())
            raise
        store.settle(record, status=QUARANTINED, outcome="error", reason=reason,
                     now=clock.now(), kept_key=_keep_raw(record, receipt))
        return Result(QUARANTINED, "error", str(exc))
    store.settle(
        record, status=result.status, outcome=result.outcome, reason=result.reason,
        now=clock.now(), ticket_id=result.ticket_id, message_seq=result.message_seq,
        released_by=actor.user_id if actor else None,
        kept_key=_keep_raw(record, receipt) if result.status == QUARANTINED else None,
        extra={"sender": result.sender or None, "subject": result.subject or None,
               "answers": result.answers},
    )
    count(f"InboundMail_{result.outcome}")
    return result


def _give_up(record: InboundModel, receipt: Receipt) -> Result:
    reason = _unfinished(record)
    store.settle(record, status=QUARANTINED, outcome="unfinished", reason=reason,
                 now=clock.now(), kept_key=_keep_raw(record, receipt))
    get_logger().warning("inbound delivery quarantined after attempts that died",
                         extra={"delivery": receipt.delivery_id})
    count("InboundMailAbandoned")
    return Result(QUARANTINED, "unfinished", reason)


def _unfinished(record: InboundModel) -> str:
    return (f"attempt {int(record.attempts or 1)} did not finish: the function stopped (a "
            "timeout, out of memory) before recording an outcome")


def _stuck(record: InboundModel) -> bool:
    """Left `processing` by an attempt that died: its lease has run out."""
    return record.status == PROCESSING and float(record.lease_until or 0) < clock.now()


def _keep_raw(record: InboundModel, receipt: Receipt) -> str | None:
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


def _handle(record: InboundModel, receipt: Receipt, word: StaffWord) -> Result:
    try:
        raw = raw_store.read_raw(receipt.bucket, receipt.object_key)
    except raw_store.RawMissing:
        return Result(QUARANTINED, "raw_missing",
                      f"no raw message at s3://{receipt.bucket}/{receipt.object_key}")
    settings = get_settings()
    parsed = parse_mail(raw, own_domains=[settings.mail_domain],
                        own_addresses=[settings.mail_from])
    try:
        result = _decide(record, receipt, parsed, word)
    except _Unhandled as exc:
        result = Result(QUARANTINED, "unhandled", str(exc))
    # The log names the mail, for the admin's list.
    return replace(result, sender=(parsed.from_email or "")[:320],
                   subject=(parsed.subject or "")[:300])


def _decide(
    record: InboundModel, receipt: Receipt, parsed: ParsedMail, word: StaffWord
) -> Result:
    sender, doubt = _sender_of(parsed)
    recorded = record.decision if isinstance(record.decision, dict) else None
    if recorded is not None:
        # An earlier attempt decided, staff's word included: carry it out, do not decide again.
        word = StaffWord(**{k: v for k, v in dict(recorded.get("word") or {}).items()
                            if k in ("release", "into", "force")})
    decision = decide(receipt.verdicts, receipt.dmarc_policy,
                      released=bool(word.release or word.force or recorded),
                      aligned=receipt.aligned(sender))
    if decision.action == "reject":
        return Result(REJECTED, decision.reason, "DMARC failed and the domain's policy is reject")
    if decision.action == "quarantine":
        return Result(QUARANTINED, decision.reason, f"SES verdicts: {', '.join(decision.notes)}")
    mail = _Mail(receipt, parsed, decision, int(record.attempts or 1) > 1, sender,
                 get_portal_settings(), record, word, doubt)
    if recorded is not None:
        return _person(mail)
    if not word.force:  # staff said it is a person's message, whatever it looked like
        if parsed.classification == "loop":
            return Result(DROPPED, "loop", parsed.classification_reason)
        if parsed.classification == "bounce":
            return _bounce(mail)
        if parsed.classification == "auto_reply":
            return _auto_reply(mail)
    if not mail.sender or "@" not in mail.sender:
        return Result(QUARANTINED, "no_sender", "the mail names no sender address")
    return _person(mail)


_PLAIN_ADDRESS = re.compile(r"[^@\s\"<>(),;:\\\[\]]{1,64}@[^@\s\"<>(),;:\\\[\]]{1,253}")


def _sender_of(parsed: ParsedMail) -> tuple[str, str]:
    """The From address as the lookups use it, and why it cannot be believed ("" if it can).
    An address that is not plain (a quoted local part holding another address, two From
    headers) may read one way to SES and another here: it proves nothing."""
    raw = (parsed.from_email or "").strip().lower()
    sender = tokens.normalize(raw).rstrip(".")
    doubt = parsed.sender_doubt
    if raw and (sender != raw.rstrip(".") or not _PLAIN_ADDRESS.fullmatch(sender)):
        doubt = doubt or "the From address is not a plain address"
    elif len(parsed.header_values("From")) > 1:
        doubt = doubt or "the mail has more than one From header"
    return sender, doubt


# ---------------------------------------------------------------------------------------------
# Machines: never answered


def _bounce(mail: _Mail) -> Result:
    """A delivery report is a claim about someone else: anyone can mail one listing any
    address. It suppresses an address only when it names a Message-ID we sent to that very
    address (SES's own bounce notifications, services/suppressions.py, are believed as they
    come); the evidence is kept with the suppression. It is noted on the ticket it is about."""
    failed = sorted({tokens.normalize(s.recipient) for s in mail.parsed.delivery_status
                     if s.failed and "@" in s.recipient})
    sent = _reported_mail(mail)
    own = get_settings().mail_domain.lower()
    suppressed = []
    for address in failed:
        message_id = next((m for m, (_, to) in sent.items() if tokens.normalize(to) == address),
                          None)
        if message_id is None or address.endswith("@" + own) or not _reports_for(mail, address):
            continue
        if suppressions.suppress_bounced(address, detail=_bounce_detail(mail, address),
                                         feedback_id=mail.receipt.delivery_id,
                                         evidence=_bounce_evidence(mail, address, message_id)):
            suppressed.append(address)
    unproven = [a for a in failed if a not in suppressed]
    ticket = _bounced_ticket(mail, sent, failed)
    summary = ", ".join(suppressed) or "none"
    if unproven:
        summary += ("; not shown to be about mail we sent them, by their own mail servers, "
                    f"so not believed: {', '.join(unproven)}")
    if ticket is None:
        return Result(DROPPED, "bounce", f"bounce not about a ticket; suppressed: {summary}")
    if suppressed:
        text = (f"Mail to {', '.join(suppressed)} could not be delivered; it will not be "
                "mailed again.")
    else:
        text = f"A delivery report came back ({mail.parsed.subject[:200]}); no failure for good."
    statuses = [s.status for s in mail.parsed.delivery_status][:20]
    message = tickets.record_email_event(
        ticket.ticket_id, text,
        mail.details("bounce", event="bounce", failed=failed[:20], suppressed=suppressed[:20],
                     delivery_status=statuses),
        resume=mail.resume,
    )
    return Result(DONE, "bounce", f"suppressed: {summary}", ticket.ticket_id,
                  int(message.seq) if message else None)


def _reports_for(mail: _Mail, address: str) -> bool:
    """Whether this report's sender may speak for `address`: proven, and of its domain (the
    recipient's mail servers report on it; ours, SES, report through SES's notifications). A
    Message-ID alone is no secret: the thread's other recipients see it in References."""
    return mail.proven and domains_align(mail.sender.rpartition("@")[2],
                                         address.rpartition("@")[2])


def _reported_mail(mail: _Mail) -> dict[str, tuple[str, str]]:
    """Message-IDs of mail we sent that the report names (in the returned message or its own
    threading headers): Message-ID → (ticket id, the address we sent it to)."""
    returned = _returned_text(mail)
    ids = _MESSAGE_ID_LINE.findall(returned)[:5] + _thread_ids(mail.parsed)
    found: dict[str, tuple[str, str]] = {}
    for message_id in list(dict.fromkeys(ids))[:MAX_THREAD_LOOKUPS]:
        sent = mail_threads.sent_message(message_id)
        if sent is not None:
            found[message_id] = sent
    return found


def _returned_text(mail: _Mail) -> str:
    return "\n".join(
        a.content[:65536].decode("utf-8", "replace") for a in mail.parsed.attachments
        if a.content_type.lower() in _REPORT_TYPES or a.filename.lower().endswith(".eml")
    ) + "\n" + (mail.parsed.body_text or "")[:65536]


def _bounce_detail(mail: _Mail, address: str) -> str:
    for status in mail.parsed.delivery_status:
        if tokens.normalize(status.recipient) == address:
            return f"inbound DSN {status.status} {status.diagnostic}".strip()
    return "inbound DSN"


def _bounce_evidence(mail: _Mail, address: str, message_id: str) -> dict[str, str]:
    status = next((s for s in mail.parsed.delivery_status
                   if tokens.normalize(s.recipient) == address), None)
    return {
        "source": "inbound_dsn",
        "message_id": message_id[:500],
        "delivery_id": mail.receipt.delivery_id,
        "reported_by": mail.sender[:320],
        "status": status.status[:40] if status else "",
        "diagnostic": (status.diagnostic or "")[:300] if status else "",
    }


def _bounced_ticket(
    mail: _Mail, sent: dict[str, tuple[str, str]], failed: list[str]
) -> TicketModel | None:
    """A bounce names the mail that failed: its Message-ID in the returned headers (or the
    bounce's own threading headers), or our signed Reply-To, which must verify for the address
    that failed (a forged report cannot note anything on a ticket of its choosing)."""
    for sent_ticket_id, _ in sent.values():
        ticket = ticket_store.get_ticket(sent_ticket_id)
        if ticket is not None:
            return ticket
    for address in _TOKEN_ADDRESS.findall(_returned_text(mail))[:10]:
        for recipient in failed:
            token_ticket_id = tokens.verify(address, recipient)
            ticket = ticket_store.get_ticket(token_ticket_id) if token_ticket_id else None
            if ticket is not None:
                return ticket
    return None


def _auto_reply(mail: _Mail) -> Result:
    user = user_store.find_user_by_email(mail.sender) if mail.sender else None
    found = _thread(mail, user)
    if found is None:
        return Result(DROPPED, "auto_reply", mail.parsed.classification_reason)
    ticket, method = found
    excerpt = (mail.parsed.reply_text or mail.parsed.body_text or "").strip()[:EVENT_EXCERPT]
    text = f"Automatic reply from {mail.sender or 'an unknown sender'}: {mail.parsed.subject[:200]}"
    message = tickets.record_email_event(
        ticket.ticket_id, f"{text}\n\n{excerpt}".strip(),
        mail.details(method, event="auto_reply", reason=mail.parsed.classification_reason),
        resume=mail.resume,
    )
    return Result(DONE, "auto_reply", mail.parsed.classification_reason, ticket.ticket_id,
                  int(message.seq) if message else None)


# ---------------------------------------------------------------------------------------------
# People: decided once, before anything is written, and kept on the delivery record; a retry
# carries out what the first attempt decided (the same account, ticket and visibility) instead
# of deciding again from a world its own writes have changed.


def _person(mail: _Mail) -> Result:
    plan = mail.record.decision if isinstance(mail.record.decision, dict) else None
    if plan is None:
        decided = _plan(mail)
        if isinstance(decided, Result):
            return decided
        plan = decided
        _record(mail, plan)
    return _carry_out(mail, plan)


def _record(mail: _Mail, plan: dict[str, Any]) -> None:
    """Keep the decision, with the staff word it was made under (a retry after a release
    goes on as released)."""
    word = {"release": mail.word.release, "into": mail.word.into, "force": mail.word.force}
    store.record_decision(mail.record, {**plan, "word": word})


def _plan(mail: _Mail) -> dict[str, Any] | Result:
    """Who wrote, and where their mail goes: {action: message | event | ticket, ticket_id,
    user_id, method, follows}, or the Result of mail that goes nowhere (held, dropped)."""
    user = user_store.find_user_by_email(mail.sender)
    if user is not None and user.status == "disabled":
        return Result(DROPPED, "sender_disabled", f"{mail.sender} is a disabled account")
    reserved = _reserved(mail.sender, mail.settings)
    if reserved and user is not None and user.role == CUSTOMER:
        # A customer account for one of our own addresses (made before this rule, or by hand)
        # never speaks for it: the team's mail must not become a customer's public message.
        get_logger().warning("customer account of a reserved address ignored",
                             extra={"user": user.user_id, "reserved": reserved})
        user = None
    if mail.word.into == "ticket":
        answers = mail.record.answers if isinstance(mail.record.answers, dict) else {}
        if answers.get("ticket_id"):
            return _decided("event", str(answers["ticket_id"]), None, "released_into_ticket")
    found = _thread(mail, user)
    if found is not None:
        ticket, method = found
        return _decided("message" if user else "event", ticket.ticket_id, user, method)
    if user is not None and user.role != CUSTOMER:
        return Result(DROPPED, "staff_unthreaded",
                      "mail from a staff address that threads to no ticket")
    if reserved:
        return Result(DROPPED, "reserved_sender",
                      f"mail from {reserved} that threads to no ticket is nobody's customer mail")
    if user is None and not mail.word.into and not mail.word.force:
        answered = _answered_ticket(mail)
        if answered is not None:
            return Result(
                QUARANTINED, NOT_PARTICIPANT,
                f"a reply to #{int(answered.number)} from {mail.sender}, who is not part of "
                "that conversation: add it to the ticket or make it a new one",
                answers={"ticket_id": answered.ticket_id, "number": int(answered.number)},
            )
    if user is None:
        refused = _unknown_sender_policy(mail)
        if refused is not None:
            return refused
    if not mail.proven:
        # Mail in a customer's name that SES could not prove is not shown to them as theirs,
        # and no account is made for an address nobody proved: staff decide.
        whose = "a customer's" if user is not None else "one without an account"
        doubt = mail.doubt or "SES could not prove the sender"
        return Result(QUARANTINED, UNVERIFIED, f"{doubt}; the From address is {whose}")
    ticket_id = uuid.uuid5(_TICKET_IDS, mail.receipt.delivery_id).hex
    return _decided("ticket", ticket_id, user, "")


def _decided(
    action: str, ticket_id: str, user: user_store.UserModel | None, method: str,
    follows: int | None = None,
) -> dict[str, Any]:
    return {"action": action, "ticket_id": ticket_id,
            "user_id": user.user_id if user is not None else None,
            "method": method, "follows": follows}


def _carry_out(mail: _Mail, plan: dict[str, Any]) -> Result:
    ticket_id, method = str(plan["ticket_id"]), str(plan.get("method") or "")
    if plan["action"] == "event":
        # From an address without a (usable) account: a team mailbox answering an alert, a
        # reply staff added to its ticket. The team sees it; nothing is published.
        message = tickets.record_email_event(
            ticket_id, f"Mail from {mail.sender or 'an unknown sender'}:\n\n{_text(mail)}",
            mail.details(method, event="mail_from_non_user"), resume=mail.resume,
        )
        _remember(mail, ticket_id)
        _attachments(mail, ticket_id, None, INTERNAL)
        return Result(DONE, EVENT, method, ticket_id, _seq(message))
    user = _account(mail, plan)
    if plan["action"] == "message":
        return _reply(mail, plan, user)
    if not user.org_id:
        user = _give_org(user, mail.settings)
    follows = plan.get("follows")
    extra = {"follows_ticket": follows} if follows else {}
    opened = tickets.open_email_ticket(
        ticket_id=ticket_id, requester=user, topic=mail.settings.inbound_default_topic,
        subject=mail.parsed.subject, body=_text(mail), details=mail.details("", **extra),
    )
    if opened is None and not mail.resume:
        raise Conflict("A ticket with this delivery's id exists.", code="ticket_exists")
    _remember(mail, ticket_id)
    _attachments(mail, ticket_id, user.user_id, PUBLIC)
    return Result(DONE, TICKET, "follows a closed ticket" if follows else "", ticket_id, 1)


def _reply(mail: _Mail, plan: dict[str, Any], user: user_store.UserModel) -> Result:
    ticket_id, method = str(plan["ticket_id"]), str(plan.get("method") or "")
    kind, message = tickets.email_message(
        ticket_id, user, _text(mail), mail.details(method), resume=mail.resume
    )
    if kind == "window_passed":
        # Closed too long ago to reopen: a new ticket follows it (decided, so kept).
        ticket = ticket_store.get_ticket(ticket_id)
        new_id = uuid.uuid5(_TICKET_IDS, mail.receipt.delivery_id).hex
        follows = int(ticket.number) if ticket is not None else None
        plan = _decided("ticket", new_id, user, "", follows)
        _record(mail, plan)
        return _carry_out(mail, plan)
    _remember(mail, ticket_id)
    # The files follow what was written, as it was written: a retry that finds the message of
    # an earlier attempt goes on with its visibility, never with a guess.
    visibility = str(message.visibility) if message is not None else INTERNAL
    if kind == "duplicate":
        kind = "reply" if visibility == PUBLIC else ("note" if user.role != CUSTOMER
                                                     else "blocked")
    if kind == "blocked":
        ticket = ticket_store.get_ticket(ticket_id)
        if ticket is not None:
            _answer_blocked(mail, user, ticket)
    _attachments(mail, ticket_id, user.user_id, visibility)
    outcome = {"reply": REPLY, "note": NOTE, "blocked": BLOCKED}[kind]
    return Result(DONE, outcome, method, ticket_id, _seq(message))


def _account(mail: _Mail, plan: dict[str, Any]) -> user_store.UserModel:
    """The account the decision named, or the one it decided to make (found by its address
    on a retry)."""
    if plan.get("user_id"):
        user = user_store.get_user(str(plan["user_id"]))
        if user is None:
            raise _Unhandled("the sender's account no longer exists")
        return user
    return _create_customer(mail, _mail_org(mail.sender, mail.settings))


def _unknown_sender_policy(mail: _Mail) -> Result | None:
    """What the admin chose for senders without an account: None to create one."""
    policy = mail.settings.inbound_unknown_sender
    if mail.word.vouches or policy == "create":
        return None
    if policy == "drop":
        return Result(DROPPED, "unknown_sender", f"{mail.sender} has no account")
    sent = _answer(mail, "unknown_sender", mail.sender, mail.settings.default_language,
                   "inbound_unknown_sender", {})
    return Result(REJECTED, "unknown_sender",
                  f"{mail.sender} has no account" + ("; answered" if sent else ""))


def _reserved(address: str, portal: PortalSettings) -> str:
    """Why an address may never be a customer's ("" when it may): it is the portal's own
    sender, at the portal's mail domain (or below it), or an address support alerts go to
    (a team's, the portal's support address, the alerts' extra recipients)."""
    settings = get_settings()
    own = settings.mail_domain.lower().rstrip(".")
    address = address.rstrip(".")
    if address == tokens.normalize(settings.mail_from):
        return "the portal's own sender address"
    domain = address.rpartition("@")[2]
    if domain == own or domain.endswith("." + own):
        return "an address at the portal's mail domain"
    alerts = {portal.support_address, *(a for recipients in (
        portal.support_alert_recipients, portal.customer_alert_recipients)
        for a in (*recipients.to, *recipients.cc, *recipients.bcc))}
    if address in {tokens.normalize(str(a)) for a in alerts if a}:
        return "an address support alerts go to"
    if address in {tokens.normalize(t.email) for t in team_store.list_teams() if t.email}:
        return "a team's alert address"
    return ""


def _create_customer(mail: _Mail, org_id: str) -> user_store.UserModel:
    from chalicelib.services.users import find_or_create_mail_customer

    # An invitation is mail back: only to a sender SES could prove (no backscatter).
    invite = _may_answer(mail, mail.sender)
    try:
        user = find_or_create_mail_customer(
            mail.sender, mail.parsed.from_name, org_id, mail.settings.default_language,
            invite=invite,
        )
    except InvalidInput:
        raise _Unhandled("the sender's address is not one an account can have") from None
    if (tokens.normalize(str(user.email)) != mail.sender or user.role != CUSTOMER
            or user.status == "disabled"):
        # Another account's address once folded (straße → strasse): never act as it.
        raise _Unhandled("the sender's address collides with another account's")
    return user


def _mail_org(address: str, settings: PortalSettings) -> str:
    """The organization of customers created from mail: the admin's choice, else one of their
    own (an id derived from the address, so a repeated delivery finds it)."""
    chosen = settings.inbound_default_org
    if chosen and org_store.get_org(chosen) is not None:
        return chosen
    org_id = "mail-" + hashlib.sha256(address.encode()).hexdigest()[:24]
    if org_store.get_org(org_id) is not None:
        return org_id
    # Organization names are unique: if an admin already named one after this address, the
    # mail customer's own gets the address with a short tag instead.
    for name in (address, f"{address} ({org_id[5:11]})"):
        try:
            org_store.create_org(org_store.OrgModel(org_id=org_id, name=name,
                                                    created_at=clock.now()))
            return org_id
        except Exception:
            # A concurrent create of the same organization is as good as ours.
            if org_store.get_org(org_id) is not None:
                return org_id
    raise _Unhandled("no organization could be made for the sender")


def _give_org(user: user_store.UserModel, settings: PortalSettings) -> user_store.UserModel:
    """A customer without an organization (self-registered) cannot hold a ticket: give them
    the one mail customers get."""
    user.org_id = _mail_org(str(user.email), settings)
    user_store.save_user(user)
    return user


# ---------------------------------------------------------------------------------------------
# Threading: a customer's mail only ever lands on a ticket the portal would show them


def _thread(mail: _Mail, user: user_store.UserModel | None) -> tuple[TicketModel, str] | None:
    parsed = mail.parsed
    if mail.sender:
        for address in _recipients(mail):
            ticket_id = tokens.verify(address, mail.sender)
            ticket = ticket_store.get_ticket(ticket_id) if ticket_id else None
            if ticket is not None and (user is None or _may_see(user, ticket, staff_ok=True)):
                return ticket, "reply_token"
    if user is None or not mail.proven:
        # Message-IDs travel in forwarded and copied mail, and anyone can type a ticket number:
        # headers and tags only vouch for a sender SES proved and we know.
        return None
    for message_id in _thread_ids(parsed):
        ticket_id = mail_threads.ticket_of_message_id(message_id)
        ticket = ticket_store.get_ticket(ticket_id) if ticket_id else None
        if ticket is not None and _may_see(user, ticket, staff_ok=True):
            return ticket, "in_reply_to"
    match = _SUBJECT_TAG.search(parsed.subject or "")
    if match:
        ticket = ticket_store.find_by_number(int(match.group(1)))
        if ticket is not None and _may_see(user, ticket, staff_ok=False):
            return ticket, "subject_tag"
    return None


def _answered_ticket(mail: _Mail) -> TicketModel | None:
    """The ticket whose mail this one answers, for a sender who is not part of it (someone
    a recipient copied or forwarded to): our Message-ID in its threading headers, or a reply
    token naming it (issued to whoever got that mail; it cannot be checked without their
    address, and holding is the safe side: staff decide). Only staff are told."""
    for address in _recipients(mail):
        token = tokens.parse(address)
        ticket = ticket_store.get_ticket(token.ticket_id) if token else None
        if ticket is not None:
            return ticket
    for message_id in _thread_ids(mail.parsed):
        ticket_id = mail_threads.ticket_of_message_id(message_id)
        ticket = ticket_store.get_ticket(ticket_id) if ticket_id else None
        if ticket is not None:
            return ticket
    return None


def _thread_ids(parsed: ParsedMail) -> list[str]:
    ids = [parsed.in_reply_to] if parsed.in_reply_to else []
    ids += [r for r in reversed(parsed.references) if r not in ids]
    return [i for i in ids if i and len(i) <= 500][:MAX_THREAD_LOOKUPS]


def _recipients(mail: _Mail) -> list[str]:
    addresses = [*mail.parsed.to, *mail.parsed.cc, *mail.parsed.header_values("Delivered-To"),
                 *mail.parsed.header_values("X-Original-To"), *mail.receipt.destination]
    return list(dict.fromkeys(a for a in addresses if a and tokens.PREFIX in a.lower()))[:20]


def _may_see(user: user_store.UserModel, ticket: TicketModel, *, staff_ok: bool) -> bool:
    """The portal's own rule for customers (the requester, or their organization with the
    organization view); staff may write on any ticket only where `staff_ok`."""
    if user.role != CUSTOMER:
        return staff_ok
    return tickets.customer_may_see(tickets.principal_of(user), ticket, get_portal_settings())


def _remember(mail: _Mail, ticket_id: str) -> None:
    if mail.parsed.message_id and len(mail.parsed.message_id) <= 500:
        mail_threads.remember_message_id(mail.parsed.message_id, ticket_id, clock.now())


# ---------------------------------------------------------------------------------------------
# What is stored


def _text(mail: _Mail) -> str:
    return (mail.parsed.reply_text or "").strip() or (mail.parsed.body_text or "")


def _seq(message: Any) -> int | None:
    return int(message.seq) if message is not None else None


def _within_bytes(text: str, limit: int) -> str:
    encoded = text.encode("utf-8")
    return text if len(encoded) <= limit else encoded[:limit].decode("utf-8", "ignore")


def _attachments(
    mail: _Mail, ticket_id: str, uploader_id: str | None, visibility: str
) -> None:
    """Files go through the documents' checks (types, sizes, per-ticket limit); whatever is
    refused, or withheld by a virus verdict, is named in an internal event. Each file's id is
    derived from the delivery, so a retry finds what an earlier attempt stored; the event is
    bounded, so no number of files can outgrow its item and fail the delivery half-way."""
    files = mail.parsed.attachments
    if not files:
        return
    stored: list[str] = []
    dropped: list[dict[str, str]] = []
    store_bytes = _attachment_store()
    for index, attachment in enumerate(files):
        name = attachment.filename[:150]
        if index >= MAX_MAIL_FILES:
            dropped.append({"filename": name, "reason": f"more than {MAX_MAIL_FILES} files in "
                                                        "one mail; kept in the raw mail"})
            continue
        if mail.decision.withhold_attachments:
            dropped.append({"filename": name, "reason": "withheld: SES virus verdict "
                                                        + mail.receipt.verdicts.get("virus", "")})
            continue
        if store_bytes is None:
            dropped.append({"filename": name, "reason": "attachments cannot be stored yet"})
            continue
        file_id = uuid.uuid5(_TICKET_IDS, f"{mail.receipt.delivery_id}/file/{index}").hex
        try:
            store_bytes(ticket_id, attachment.filename, attachment.content_type,
                        attachment.content, uploader_id, visibility=visibility,
                        attachment_id=file_id)
        except ParleyError as exc:
            dropped.append({"filename": name, "reason": exc.message[:200]})
            continue
        stored.append(name)
    tickets.record_email_event(
        ticket_id, _files_text(stored, dropped),
        {"inbound_id": mail.receipt.delivery_id, "event": "mail_attachments",
         "stored": stored[:EVENT_FILE_NAMES], "dropped": dropped[:EVENT_FILE_NAMES],
         "stored_count": len(stored), "dropped_count": len(dropped)},
        resume=mail.resume,
    )


def _files_text(stored: list[str], dropped: list[dict[str, str]]) -> str:
    lines = []
    if stored:
        more = len(stored) - EVENT_FILE_NAMES
        lines.append(f"Stored from the mail: {', '.join(stored[:EVENT_FILE_NAMES])}"
                     + (f" and {more} more." if more > 0 else "."))
    lines += [f"Not stored: {d['filename']} ({d['reason']})" for d in dropped[:EVENT_FILE_NAMES]]
    if len(dropped) > EVENT_FILE_NAMES:
        lines.append(f"… and {len(dropped) - EVENT_FILE_NAMES} more files not stored.")
    return "\n".join(lines)


def _attachment_store() -> Any:
    """Integration point with the documents store (services/attachments.py `store_bytes`)."""
    try:
        from chalicelib.services.attachments import store_bytes
    except ImportError:
        return None
    return store_bytes


# ---------------------------------------------------------------------------------------------
# Mail back: rare, polite, capped, and never to a machine or an unproven sender


def _may_answer(mail: _Mail, address: str) -> bool:
    own = get_settings().mail_domain.lower()
    return (
        mail.proven
        and mail.parsed.classification == "normal"
        and "@" in address
        and not address.endswith("@" + own)
    )


def _answer(
    mail: _Mail, kind: str, address: str, language: str, template: str, context: dict[str, Any]
) -> bool:
    if not _may_answer(mail, address):
        return False
    day = clock.utcnow().strftime("%Y-%m-%d")
    if not store.claim_answer(kind, address, day, clock.now()):
        return False  # one a day is polite; more would be a mail loop in the making
    sent = mailer.send(to=address, language=language, template=template, context=context)
    return sent is not None


def _answer_blocked(mail: _Mail, user: user_store.UserModel, ticket: TicketModel) -> None:
    from chalicelib.services.outbox import ticket_link

    _answer(mail, "blocked", mail.sender, str(user.language or "en"), "inbound_blocked", {
        "name": user.name, "ticket_number": int(ticket.number),
        "ticket_title": ticket.subject, "link": ticket_link("customer", ticket.ticket_id),
    })


# ---------------------------------------------------------------------------------------------
# The log


def _quarantine_unreadable(body: str, why: str) -> Result:
    delivery_id = "unreadable-" + hashlib.sha256(body.encode("utf-8", "replace")).hexdigest()[:32]
    record = store.claim_delivery(delivery_id, now=clock.now(), lease_seconds=LEASE_SECONDS,
                                  fields={"subject": body[:300]})
    if record is not None:
        store.settle(record, status=QUARANTINED, outcome="unreadable", reason=why,
                     now=clock.now())
    get_logger().warning("unreadable inbound notification quarantined", extra={"why": why})
    return Result(QUARANTINED, "unreadable", why)


def find_delivery(delivery_id: str) -> InboundModel:
    """The delivery record, or the same 404 routing gives an id no delivery can have."""
    record = store.get_delivery(delivery_id) if len(delivery_id) <= 200 else None
    if record is None:
        raise NotFound("No such delivery.", code="delivery_not_found")
    return record


def _receipt_of(record: InboundModel) -> Receipt:
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
        raise Conflict("This delivery is being handled right now.", code="delivery_busy")
    result = _run(claimed, _receipt_of(claimed), word=word, actor=principal, final=True)
    details = {"status": result.status, "outcome": result.outcome}
    if word.into:
        details["into"] = word.into
    audit.record(action, actor=principal, target=f"inbound:{record.delivery_id}",
                 details=details)


def shape_delivery(record: InboundModel) -> dict[str, Any]:
    summary = record.receipt if isinstance(record.receipt, dict) else {}
    answers = record.answers if isinstance(record.answers, dict) else {}
    return {
        "id": record.delivery_id,
        "status": record.status,
        "outcome": record.outcome,
        "reason": record.reason,
        "sender": record.sender,
        "subject": record.subject,
        "verdicts": summary.get("verdicts", {}),
        "ticket_id": record.ticket_id,
        "attempts": int(record.attempts or 0),
        "releasable": record.status == QUARANTINED and _releasable(str(record.outcome)),
        "forcible": _forcible(record),
        "answers_ticket_id": answers.get("ticket_id"),
        "answers_ticket_number": answers.get("number"),
        "stuck": _stuck(record),
        "lease_until": clock.iso(float(record.lease_until)) if record.lease_until else None,
        "raw_kept": bool(record.kept_key),
        "released_by": record.released_by,
        "received_at": clock.iso(float(record.received_at or 0)),
        "updated_at": clock.iso(float(record.updated_at or 0)),
    }

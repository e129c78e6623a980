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
    notes: list[str] = field(default_factory=list)

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
            "sender_proven": self.decision.proven_sender,
        }
        if full.strip() and full.strip() != (self.parsed.reply_text or "").strip():
            details["full_text"] = full[:FULL_TEXT_CHARS]
            details["full_text_truncated"] = len(full) > FULL_TEXT_CHARS
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
    return _run(record, receipt, released=False, actor=None, final=final)


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
    return {"items": [_shape(r) for r in page.items], "next_cursor": page.cursor}


def retry_delivery(principal: Principal, delivery_id: str) -> dict[str, Any]:
    """Run a quarantined (or failed, or stuck) delivery again, as if it had just arrived: for
    mail that could not be handled (an error since fixed, a raw message that arrived late, an
    attempt that died). A verdict quarantine ends where it was; those are released, not retried.
    Anything else (done, or being handled right now): no change."""
    record = _delivery(delivery_id)
    if record.status in (QUARANTINED, FAILED) or _stuck(record):
        _rerun(principal, record, released=False, action="inbound.retry")
    return _shape(_delivery(delivery_id))


def release_delivery(principal: Principal, delivery_id: str) -> dict[str, Any]:
    """Staff looked at a spam, virus or DMARC quarantine and let the mail through (a virus
    verdict still keeps its attachments out). Releasing twice changes nothing."""
    record = _delivery(delivery_id)
    if record.status == QUARANTINED:
        if str(record.outcome) not in RELEASABLE:
            raise Conflict(
                "This message was not held by a spam or virus verdict; retry it instead.",
                code="not_releasable",
            )
        _rerun(principal, record, released=True, action="inbound.release")
    return _shape(_delivery(delivery_id))


# ---------------------------------------------------------------------------------------------
# One attempt


def _run(
    record: InboundModel, receipt: Receipt, *, released: bool, actor: Principal | None,
    final: bool,
) -> Result:
    resume = int(record.attempts or 1) > 1
    try:
        result = _handle(receipt, released=released, resume=resume)
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
        extra={"sender": result.sender or None, "subject": result.subject or None},
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


def _handle(receipt: Receipt, *, released: bool, resume: bool) -> Result:
    try:
        raw = raw_store.read_raw(receipt.bucket, receipt.object_key)
    except raw_store.RawMissing:
        return Result(QUARANTINED, "raw_missing",
                      f"no raw message at s3://{receipt.bucket}/{receipt.object_key}")
    settings = get_settings()
    parsed = parse_mail(raw, own_domains=[settings.mail_domain],
                        own_addresses=[settings.mail_from])
    try:
        result = _decide(receipt, parsed, released=released, resume=resume)
    except _Unhandled as exc:
        result = Result(QUARANTINED, "unhandled", str(exc))
    # The log names the mail, for the admin's list.
    return replace(result, sender=(parsed.from_email or "")[:320],
                   subject=(parsed.subject or "")[:300])


def _decide(receipt: Receipt, parsed: ParsedMail, *, released: bool, resume: bool) -> Result:
    decision = decide(receipt.verdicts, receipt.dmarc_policy, released=released)
    if decision.action == "reject":
        return Result(REJECTED, decision.reason, "DMARC failed and the domain's policy is reject")
    if decision.action == "quarantine":
        return Result(QUARANTINED, decision.reason, f"SES verdicts: {', '.join(decision.notes)}")
    mail = _Mail(receipt, parsed, decision, resume, tokens.normalize(parsed.from_email or ""),
                 get_portal_settings())
    if parsed.classification == "loop":
        return Result(DROPPED, "loop", parsed.classification_reason)
    if parsed.classification == "bounce":
        return _bounce(mail)
    if parsed.classification == "auto_reply":
        return _auto_reply(mail)
    if not mail.sender or "@" not in mail.sender:
        return Result(QUARANTINED, "no_sender", "the mail names no sender address")
    return _person(mail)


# ---------------------------------------------------------------------------------------------
# Machines: never answered


def _bounce(mail: _Mail) -> Result:
    failed = sorted({tokens.normalize(s.recipient) for s in mail.parsed.delivery_status
                     if s.failed and "@" in s.recipient})
    own = get_settings().mail_domain.lower()
    suppressed = [a for a in failed if not a.endswith("@" + own) and suppressions.suppress_bounced(
        a, detail=_bounce_detail(mail, a), feedback_id=mail.receipt.delivery_id)]
    ticket = _bounced_ticket(mail, failed)
    summary = ", ".join(suppressed) or "no permanent failure named"
    if ticket is None:
        return Result(DROPPED, "bounce", f"bounce not about a ticket; suppressed: {summary}")
    if suppressed:
        text = f"Mail to {', '.join(failed)} could not be delivered; it will not be mailed again."
    else:
        text = f"A delivery report came back ({mail.parsed.subject[:200]}); no failure for good."
    statuses = [s.status for s in mail.parsed.delivery_status]
    message = tickets.record_email_event(
        ticket.ticket_id, text,
        mail.details("bounce", event="bounce", failed=failed, delivery_status=statuses),
        resume=mail.resume,
    )
    return Result(DONE, "bounce", f"suppressed: {summary}", ticket.ticket_id,
                  int(message.seq) if message else None)


def _bounce_detail(mail: _Mail, address: str) -> str:
    for status in mail.parsed.delivery_status:
        if tokens.normalize(status.recipient) == address:
            return f"inbound DSN {status.status} {status.diagnostic}".strip()
    return "inbound DSN"


def _bounced_ticket(mail: _Mail, failed: list[str]) -> TicketModel | None:
    """A bounce names the mail that failed: its Message-ID in the returned headers (or the
    bounce's own threading headers), or our signed Reply-To, which must verify for the address
    that failed (a forged report cannot note anything on a ticket of its choosing)."""
    returned = "\n".join(
        a.content[:65536].decode("utf-8", "replace") for a in mail.parsed.attachments
        if a.content_type.lower() in _REPORT_TYPES or a.filename.lower().endswith(".eml")
    ) + "\n" + (mail.parsed.body_text or "")[:65536]
    ids = _MESSAGE_ID_LINE.findall(returned)[:5] + _thread_ids(mail.parsed)
    for message_id in ids[:MAX_THREAD_LOOKUPS]:
        ticket_id = mail_threads.ticket_of_message_id(message_id)
        ticket = ticket_store.get_ticket(ticket_id) if ticket_id else None
        if ticket is not None:
            return ticket
    for address in _TOKEN_ADDRESS.findall(returned)[:10]:
        for recipient in failed:
            ticket_id = tokens.verify(address, recipient)
            ticket = ticket_store.get_ticket(ticket_id) if ticket_id else None
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
# People


def _person(mail: _Mail) -> Result:
    user = user_store.find_user_by_email(mail.sender)
    if user is not None and user.status == "disabled":
        return Result(DROPPED, "sender_disabled", f"{mail.sender} is a disabled account")
    found = _thread(mail, user)
    follows: int | None = None
    if found is not None:
        ticket, method = found
        if user is None:
            # A genuine reply token, answered from an address without an account (a team
            # mailbox that got a support alert): the team sees it; nothing is published.
            message = tickets.record_email_event(
                ticket.ticket_id, f"Mail from {mail.sender}:\n\n{_text(mail)}",
                mail.details(method, event="mail_from_non_user"), resume=mail.resume,
            )
            _remember(mail, ticket.ticket_id)
            return Result(DONE, EVENT, method, ticket.ticket_id, _seq(message))
        kind, message = tickets.email_message(
            ticket.ticket_id, user, _text(mail), mail.details(method), resume=mail.resume
        )
        if kind != "window_passed":
            _remember(mail, ticket.ticket_id)
            if kind == "blocked":
                _answer_blocked(mail, user, ticket)
            _attachments(mail, ticket.ticket_id, user.user_id,
                         PUBLIC if kind in ("reply", "duplicate") else INTERNAL)
            outcome = {"reply": REPLY, "note": NOTE, "blocked": BLOCKED}.get(kind, REPLY)
            return Result(DONE, outcome, method, ticket.ticket_id, _seq(message))
        follows = int(ticket.number)  # closed too long ago to reopen: a new ticket follows it
    if user is None:
        created = _unknown_sender(mail)
        if isinstance(created, Result):
            return created
        user = created
    if user.role != CUSTOMER:
        return Result(DROPPED, "staff_unthreaded",
                      "mail from a staff address that threads to no ticket")
    if not user.org_id:
        user = _give_org(user, mail.settings)
    ticket_id = uuid.uuid5(_TICKET_IDS, mail.receipt.delivery_id).hex
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


def _unknown_sender(mail: _Mail) -> user_store.UserModel | Result:
    policy = mail.settings.inbound_unknown_sender
    if policy == "drop":
        return Result(DROPPED, "unknown_sender", f"{mail.sender} has no account")
    if policy == "reject":
        sent = _answer(mail, "unknown_sender", mail.sender, mail.settings.default_language,
                       "inbound_unknown_sender", {})
        return Result(REJECTED, "unknown_sender",
                      f"{mail.sender} has no account" + ("; answered" if sent else ""))
    return _create_customer(mail, _mail_org(mail.sender, mail.settings))


def _create_customer(mail: _Mail, org_id: str) -> user_store.UserModel:
    from chalicelib.services.users import find_or_create_mail_customer

    # An invitation is mail back: only to a sender SES could prove (no backscatter).
    invite = _may_answer(mail, mail.sender)
    try:
        return find_or_create_mail_customer(
            mail.sender, mail.parsed.from_name, org_id, mail.settings.default_language,
            invite=invite,
        )
    except InvalidInput:
        raise _Unhandled("the sender's address is not one an account can have") from None


def _mail_org(address: str, settings: PortalSettings) -> str:
    """The organization of customers created from mail: the admin's choice, else one of their
    own (an id derived from the address, so a repeated delivery finds it)."""
    chosen = settings.inbound_default_org
    if chosen and org_store.get_org(chosen) is not None:
        return chosen
    org_id = "mail-" + hashlib.sha256(address.encode()).hexdigest()[:24]
    if org_store.get_org(org_id) is None:
        try:
            org_store.create_org(org_store.OrgModel(org_id=org_id, name=address,
                                                    created_at=clock.now()))
        except Exception:
            if org_store.get_org(org_id) is None:  # not a concurrent create of the same: real
                raise
    return org_id


def _give_org(user: user_store.UserModel, settings: PortalSettings) -> user_store.UserModel:
    """A customer without an organization (self-registered) cannot hold a ticket: give them
    the one mail customers get."""
    user.org_id = _mail_org(str(user.email), settings)
    user_store.save_user(user)
    return user


# ---------------------------------------------------------------------------------------------
# Threading


def _thread(mail: _Mail, user: user_store.UserModel | None) -> tuple[TicketModel, str] | None:
    parsed = mail.parsed
    if mail.sender:
        for address in _recipients(mail):
            ticket_id = tokens.verify(address, mail.sender)
            ticket = ticket_store.get_ticket(ticket_id) if ticket_id else None
            if ticket is not None:
                return ticket, "reply_token"
    if user is None or not mail.decision.proven_sender:
        # Message-IDs travel in forwarded and copied mail, and anyone can type a ticket number:
        # headers and tags only vouch for a sender SES proved and we know.
        return None
    for message_id in _thread_ids(parsed):
        ticket_id = mail_threads.ticket_of_message_id(message_id)
        ticket = ticket_store.get_ticket(ticket_id) if ticket_id else None
        if ticket is not None and _belongs(user, ticket, staff_ok=True):
            return ticket, "in_reply_to"
    match = _SUBJECT_TAG.search(parsed.subject or "")
    if match:
        ticket = ticket_store.find_by_number(int(match.group(1)))
        if ticket is not None and _belongs(user, ticket, staff_ok=False):
            return ticket, "subject_tag"
    return None


def _thread_ids(parsed: ParsedMail) -> list[str]:
    ids = [parsed.in_reply_to] if parsed.in_reply_to else []
    ids += [r for r in reversed(parsed.references) if r not in ids]
    return [i for i in ids if i and len(i) <= 500][:MAX_THREAD_LOOKUPS]


def _recipients(mail: _Mail) -> list[str]:
    addresses = [*mail.parsed.to, *mail.parsed.cc, *mail.parsed.header_values("Delivered-To"),
                 *mail.parsed.header_values("X-Original-To"), *mail.receipt.destination]
    return list(dict.fromkeys(a for a in addresses if a and tokens.PREFIX in a.lower()))[:20]


def _belongs(user: user_store.UserModel, ticket: TicketModel, *, staff_ok: bool) -> bool:
    if user.user_id == ticket.requester_id:
        return True
    if user.role == CUSTOMER:
        return bool(user.org_id) and user.org_id == ticket.org_id
    return staff_ok


def _remember(mail: _Mail, ticket_id: str) -> None:
    if mail.parsed.message_id and len(mail.parsed.message_id) <= 500:
        mail_threads.remember_message_id(mail.parsed.message_id, ticket_id, clock.now())


# ---------------------------------------------------------------------------------------------
# What is stored


def _text(mail: _Mail) -> str:
    return (mail.parsed.reply_text or "").strip() or (mail.parsed.body_text or "")


def _seq(message: Any) -> int | None:
    return int(message.seq) if message is not None else None


def _attachments(mail: _Mail, ticket_id: str, uploader_id: str, visibility: str) -> None:
    """Files go through the documents' checks (types, sizes, per-ticket limit); whatever is
    refused, or withheld by a virus verdict, is named in an internal event."""
    files = mail.parsed.attachments
    if not files:
        return
    stored: list[str] = []
    dropped: list[dict[str, str]] = []
    store_bytes = _attachment_store()
    for attachment in files:
        name = attachment.filename[:150]
        if mail.decision.withhold_attachments:
            dropped.append({"filename": name, "reason": "withheld: SES virus verdict "
                                                        + mail.receipt.verdicts.get("virus", "")})
            continue
        if store_bytes is None:
            dropped.append({"filename": name, "reason": "attachments cannot be stored yet"})
            continue
        try:
            store_bytes(ticket_id, attachment.filename, attachment.content_type,
                        attachment.content, uploader_id, visibility=visibility)
        except ParleyError as exc:
            dropped.append({"filename": name, "reason": exc.message})
            continue
        stored.append(name)
    lines = [f"Stored from the mail: {', '.join(stored)}."] if stored else []
    lines += [f"Not stored: {d['filename']} ({d['reason']})" for d in dropped]
    tickets.record_email_event(
        ticket_id, "\n".join(lines),
        {"inbound_id": mail.receipt.delivery_id, "event": "mail_attachments",
         "stored": stored, "dropped": dropped},
        resume=mail.resume,
    )


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
        mail.decision.proven_sender
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


def _delivery(delivery_id: str) -> InboundModel:
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
    )


def _rerun(principal: Principal, record: InboundModel, *, released: bool, action: str) -> None:
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
    result = _run(claimed, _receipt_of(claimed), released=released, actor=principal,
                  final=True)
    audit.record(action, actor=principal, target=f"inbound:{record.delivery_id}",
                 details={"status": result.status, "outcome": result.outcome})


def _shape(record: InboundModel) -> dict[str, Any]:
    summary = record.receipt if isinstance(record.receipt, dict) else {}
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
        "releasable": record.status == QUARANTINED and str(record.outcome) in RELEASABLE,
        "stuck": _stuck(record),
        "lease_until": clock.iso(float(record.lease_until)) if record.lease_until else None,
        "raw_kept": bool(record.kept_key),
        "released_by": record.released_by,
        "received_at": clock.iso(float(record.received_at or 0)),
        "updated_at": clock.iso(float(record.updated_at or 0)),
    }

"""Inbound mail: every received message becomes a ticket, a reply, an internal event, a
quarantine entry, a rejection or a drop, exactly once, and the delivery log says which.

SES stores the raw message in the inbound bucket and announces it (SNS → SQS); the queue
handler hands each announcement to `receive`. The steps:

1. **Once** (`deliveries.py`): a delivery record keyed on SES's message id is created with a
   condition before anything is done (`data/inbound.py`). A repeat of the delivery finds it and
   stops. A record left `processing` by a crash has a lease; once it has run out, the next
   delivery takes over and runs again with `resume`, in which every write first looks for what
   the earlier attempt wrote: a new ticket's id is derived from the SES id (a second create
   finds it taken), a message or event carries the SES id in its details (the ticket's latest
   messages are checked), the account of an unknown sender is found by its address, a
   suppression is an overwrite, and the polite answers are capped per address and day by a
   conditional write.
2. **Verdicts** (`rules.py`): DMARC failing under a REJECT policy → rejected; virus / spam →
   quarantined until staff release it (a virus verdict withholds the attachments for good).
3. **Machines** (`machines.py`): our own mail coming back is dropped; a bounce suppresses the
   failed address and is noted on its ticket; an auto-reply is noted on its ticket or dropped.
   None is ever answered.
4. **Threading** (`threads.py`), strongest proof first: a reply token signed for the sender in a
   recipient address (the token is the proof, whatever SES could prove); then, only for a
   sender SES proved (`senders.py`), In-Reply-To / References naming a Message-ID of the
   ticket's mail from someone who belongs to the ticket, or a `[#1234]` subject tag from the
   requester or their organization. Anything else is a new message from the sender.
5. **Writing** (`people.py`) goes through `services/tickets/email.py`, and so through the one
   write path (`tickets/commit.py`): a reply reopens like a portal reply; a blocked ticket
   keeps the mail as an internal event and the sender gets one polite answer a day
   (`replies.py`); the stored text is the reply without quoted history, the full text stays in
   the message's details and the raw mail in the bucket, untouched.

Whatever cannot be handled is quarantined, never dropped in silence: an unexpected error is
retried by the queue a few times, then the delivery is quarantined with the error for an admin
to re-run (`held.retry_delivery`); an attempt that died without a word (a timeout, out of
memory) is taken over when the queue brings the message back, and quarantined once the
attempts are spent or no delivery is coming any more (`deliveries.quarantine_abandoned`, a
schedule). Spam and virus quarantines are for staff to release (`held.py`). A quarantined
message's raw mail is copied where the bucket's retention does not reach, so a retry works at
any age.
"""

from __future__ import annotations

from dataclasses import replace

from chalicelib import clock
from chalicelib.adapters import inbound_mail as raw_store
from chalicelib.config import get_settings
from chalicelib.data import inbound as store
from chalicelib.data.inbound import (
    DONE,
    DROPPED,
    FAILED,
    PROCESSING,
    QUARANTINED,
    REJECTED,
    InboundModel,
)
from chalicelib.mail.model import ParsedMail
from chalicelib.mail.parse import parse_mail
from chalicelib.observability import append_log_keys, count, get_logger
from chalicelib.services.inbound.deliveries import (
    LEASE_SECONDS,
    MAX_ATTEMPTS,
    Busy,
    Result,
    StaffWord,
    give_up,
    keep_raw,
    quarantine_unreadable,
    recorded_word,
)
from chalicelib.services.inbound.machines import auto_reply, bounce
from chalicelib.services.inbound.people import person
from chalicelib.services.inbound.received import Mail, Unhandled
from chalicelib.services.inbound.rules import (
    Receipt,
    UnreadableNotification,
    decide,
    is_receipt,
    read_receipt,
    unwrap,
)
from chalicelib.services.inbound.senders import sender_of
from chalicelib.services.principal import Principal
from chalicelib.services.settings import get_portal_settings


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
        return quarantine_unreadable(body, str(exc))
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
        return give_up(record, receipt)
    final = max(int(record.attempts or 1), receive_count) >= MAX_ATTEMPTS
    return run(record, receipt, word=StaffWord(), actor=None, final=final)


def run(
    record: InboundModel, receipt: Receipt, *, word: StaffWord, actor: Principal | None,
    final: bool,
) -> Result:
    """One attempt at a claimed delivery, settled with its outcome: by the queue, or by staff
    running it again (`actor`, with their `word`)."""
    append_log_keys(delivery_id=receipt.delivery_id)
    try:
        result = _handle(record, receipt, word)
        append_log_keys(ticket_id=result.ticket_id)
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
                     now=clock.now(), kept_key=keep_raw(record, receipt))
        return Result(QUARANTINED, "error", str(exc))
    store.settle(
        record, status=result.status, outcome=result.outcome, reason=result.reason,
        now=clock.now(), ticket_id=result.ticket_id, message_seq=result.message_seq,
        released_by=actor.user_id if actor else None,
        kept_key=keep_raw(record, receipt) if result.status == QUARANTINED else None,
        extra={"sender": result.sender or None, "subject": result.subject or None,
               "answers": result.answers},
    )
    count("InboundMail", outcome=result.outcome)
    return result


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
    except Unhandled as exc:
        result = Result(QUARANTINED, "unhandled", str(exc))
    # The log names the mail, for the admin's list.
    return replace(result, sender=(parsed.from_email or "")[:320],
                   subject=(parsed.subject or "")[:300])


def _decide(
    record: InboundModel, receipt: Receipt, parsed: ParsedMail, word: StaffWord
) -> Result:
    sender, doubt = sender_of(parsed)
    recorded = record.decision if isinstance(record.decision, dict) else None
    if recorded is not None:
        # An earlier attempt decided, staff's word included: carry it out, do not decide again.
        word = recorded_word(recorded)
    decision = decide(receipt.verdicts, receipt.dmarc_policy,
                      released=bool(word.release or word.force or recorded),
                      aligned=receipt.aligned(sender))
    if decision.action == "reject":
        return Result(REJECTED, decision.reason, "DMARC failed and the domain's policy is reject")
    if decision.action == "quarantine":
        return Result(QUARANTINED, decision.reason, f"SES verdicts: {', '.join(decision.notes)}")
    mail = Mail(receipt, parsed, decision, int(record.attempts or 1) > 1, sender,
                get_portal_settings(), record, word, doubt)
    if recorded is not None:
        return person(mail)
    if not word.force:  # staff said it is a person's message, whatever it looked like
        if parsed.classification == "loop":
            return Result(DROPPED, "loop", parsed.classification_reason)
        if parsed.classification == "bounce":
            return bounce(mail)
        if parsed.classification == "auto_reply":
            return auto_reply(mail)
    if not mail.sender or "@" not in mail.sender:
        return Result(QUARANTINED, "no_sender", "the mail names no sender address")
    return person(mail)

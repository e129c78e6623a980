"""Mail from machines, never answered: a delivery report (bounce) suppresses the failed
address only on evidence and is noted on the ticket it is about; an automatic reply is noted on
its ticket or dropped. (Our own mail coming back, a loop, is dropped by the pipeline.)"""

from __future__ import annotations

import re

from chalicelib.config import get_settings
from chalicelib.data import mail_threads
from chalicelib.data import tickets as ticket_store
from chalicelib.data import users as user_store
from chalicelib.data.inbound import DONE, DROPPED
from chalicelib.data.tickets import TicketModel
from chalicelib.mail import tokens
from chalicelib.services import suppressions
from chalicelib.services.inbound.deliveries import Result
from chalicelib.services.inbound.received import Mail
from chalicelib.services.inbound.rules import domains_align
from chalicelib.services.inbound.threads import MAX_THREAD_LOOKUPS, thread, thread_ids
from chalicelib.services.tickets import email as ticket_mail

EVENT_EXCERPT = 500
_MESSAGE_ID_LINE = re.compile(r"^message-id:\s*(<[^<>\s]{1,500}>)", re.IGNORECASE | re.MULTILINE)
_TOKEN_ADDRESS = re.compile(r"reply\+[0-9a-z.-]{1,60}@[0-9a-z.-]{1,253}", re.IGNORECASE)
_REPORT_TYPES = ("message/rfc822", "text/rfc822-headers", "message/global",
                 "message/global-headers")


def bounce(mail: Mail) -> Result:
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
    message = ticket_mail.record_email_event(
        ticket.ticket_id, text,
        mail.details("bounce", event="bounce", failed=failed[:20], suppressed=suppressed[:20],
                     delivery_status=statuses),
        resume=mail.resume,
    )
    return Result(DONE, "bounce", f"suppressed: {summary}", ticket.ticket_id,
                  int(message.seq) if message else None)


def auto_reply(mail: Mail) -> Result:
    user = user_store.find_user_by_email(mail.sender) if mail.sender else None
    found = thread(mail, user)
    if found is None:
        return Result(DROPPED, "auto_reply", mail.parsed.classification_reason)
    ticket, method = found
    excerpt = (mail.parsed.reply_text or mail.parsed.body_text or "").strip()[:EVENT_EXCERPT]
    text = f"Automatic reply from {mail.sender or 'an unknown sender'}: {mail.parsed.subject[:200]}"
    message = ticket_mail.record_email_event(
        ticket.ticket_id, f"{text}\n\n{excerpt}".strip(),
        mail.details(method, event="auto_reply", reason=mail.parsed.classification_reason),
        resume=mail.resume,
    )
    return Result(DONE, "auto_reply", mail.parsed.classification_reason, ticket.ticket_id,
                  int(message.seq) if message else None)


def _reports_for(mail: Mail, address: str) -> bool:
    """Whether this report's sender may speak for `address`: proven, and of its domain (the
    recipient's mail servers report on it; ours, SES, report through SES's notifications). A
    Message-ID alone is no secret: the thread's other recipients see it in References."""
    return mail.proven and domains_align(mail.sender.rpartition("@")[2],
                                         address.rpartition("@")[2])


def _reported_mail(mail: Mail) -> dict[str, tuple[str, str]]:
    """Message-IDs of mail we sent that the report names (in the returned message or its own
    threading headers): Message-ID → (ticket id, the address we sent it to)."""
    returned = _returned_text(mail)
    ids = _MESSAGE_ID_LINE.findall(returned)[:5] + thread_ids(mail.parsed)
    found: dict[str, tuple[str, str]] = {}
    for message_id in list(dict.fromkeys(ids))[:MAX_THREAD_LOOKUPS]:
        sent = mail_threads.sent_message(message_id)
        if sent is not None:
            found[message_id] = sent
    return found


def _returned_text(mail: Mail) -> str:
    return "\n".join(
        a.content[:65536].decode("utf-8", "replace") for a in mail.parsed.attachments
        if a.content_type.lower() in _REPORT_TYPES or a.filename.lower().endswith(".eml")
    ) + "\n" + (mail.parsed.body_text or "")[:65536]


def _bounce_detail(mail: Mail, address: str) -> str:
    for status in mail.parsed.delivery_status:
        if tokens.normalize(status.recipient) == address:
            return f"inbound DSN {status.status} {status.diagnostic}".strip()
    return "inbound DSN"


def _bounce_evidence(mail: Mail, address: str, message_id: str) -> dict[str, str]:
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
    mail: Mail, sent: dict[str, tuple[str, str]], failed: list[str]
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

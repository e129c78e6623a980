"""Notification mail, sent exactly once per (source, template, recipient), within a rate cap.

Exactly once
------------
Before a mail is sent its outbox record is written with a condition: it must not exist yet, or
its last attempt must have failed. A stream batch delivered again finds the record and sends
nothing; a send that raised marks the record `failed`, so the retry of the batch may send.

Between the conditional write and SES accepting the mail there is a window where the process
can die (timeout, crash) without recording the outcome. SES has no idempotency key, so after
such a crash nobody can tell whether the mail left. We choose at most once for that window: a
record left `sending` is never sent again, because a duplicate secure notification is noise
while the in-portal feed (written first, idempotently) still tells the customer. Such records
keep `status = sending` with no `finished_at`, which is how an operator finds them.

Rate cap and digest
-------------------
At most WINDOW_LIMIT mails per recipient per ticket in a WINDOW_SECONDS window opened by the
first one. Mail beyond the cap is recorded `held` and counted on the window; when the window
closes the scheduled flush sends one "N more updates" digest (uncapped, exactly once by the
same outbox rule) and the next mail opens a new window. A customer who chose a daily digest
(profile page) gets a day-long window with a limit of 0: nothing goes at once, and one digest
per ticket follows a day after the first update.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chalicelib import clock
from chalicelib.data import mail_windows as windows
from chalicelib.data import outbox as store
from chalicelib.data import tickets as ticket_store
from chalicelib.data.tickets import TicketModel
from chalicelib.observability import count, get_logger
from chalicelib.services import mailer
from chalicelib.services.settings import AlertRecipients, get_portal_settings

WINDOW_SECONDS = 600
WINDOW_LIMIT = 10
DAY_SECONDS = 86_400
CUSTOMER = "customer"
SUPPORT = "support"

DUPLICATE = "duplicate"
SENT, HELD, SUPPRESSED = store.SENT, store.HELD, store.SUPPRESSED


@dataclass(frozen=True)
class Delivery:
    """One mail to one person about one ticket."""

    source_id: str  # what caused it: the ticket message's id, or the digest's
    template: str
    audience: str  # customer | support: which links and extra recipients apply
    to: str
    name: str
    language: str
    ticket: TicketModel
    context: dict[str, Any] = field(default_factory=dict)
    capped: bool = True
    # The rate cap's window and how many mails it sends at once; a daily digest is
    # (DAY_SECONDS, 0): everything is held for one "N updates" mail a day per ticket.
    window: float = WINDOW_SECONDS
    limit: int = WINDOW_LIMIT

    @property
    def recipient(self) -> str:
        return mailer.normalize_address(self.to)

    @property
    def delivery_id(self) -> str:
        return f"{self.source_id}#{self.template}#{self.recipient}"


def ticket_link(audience: str, ticket_id: str) -> str:
    path = f"/tickets/{ticket_id}" if audience == CUSTOMER else f"/console/tickets/{ticket_id}"
    return mailer.link(path)


def ticket_context(
    ticket: TicketModel, audience: str, name: str, language: str = ""
) -> dict[str, Any]:
    """What every ticket mail may say: never a message's text. The title is the subject the
    customer (or the agent opening on their behalf) typed, not the console's title, which
    defaults to the start of the first message; the topic is named in the recipient's
    `language` (its default name without one)."""
    return {
        "name": name,
        "ticket_number": int(ticket.number),
        "ticket_title": str(ticket.subject),
        "topic_name": get_portal_settings().topic_name(str(ticket.topic), language),
        "link": ticket_link(audience, str(ticket.ticket_id)),
    }


def deliver(delivery: Delivery) -> str:
    """Send unless this delivery was made (or is being made) already; returns the outcome."""
    now = clock.now()
    claimed = store.claim(
        delivery.delivery_id,
        ticket_id=str(delivery.ticket.ticket_id),
        recipient=delivery.recipient,
        template=delivery.template,
        now=now,
    )
    if not claimed:
        count("MailDuplicateSkipped")
        return DUPLICATE
    try:
        if delivery.capped and not windows.admit(
            str(delivery.ticket.ticket_id),
            delivery.recipient,
            now=now,
            window=delivery.window,
            limit=delivery.limit,
            audience=delivery.audience,
            language=delivery.language,
            name=delivery.name,
        ):
            store.finish(delivery.delivery_id, HELD, now=clock.now())
            count("MailHeldForDigest")
            return HELD
        extra = _extra_recipients(delivery.audience)
        message_id = mailer.send(
            to=delivery.recipient,
            language=delivery.language,
            template=delivery.template,
            context={**ticket_context(delivery.ticket, delivery.audience, delivery.name,
                                      delivery.language),
                     **delivery.context},
            ticket_id=str(delivery.ticket.ticket_id),
            extra_to=extra.to,
            cc=extra.cc,
            bcc=extra.bcc,
        )
    except Exception as exc:
        # Let a later delivery of the same event try again.
        store.finish(delivery.delivery_id, store.FAILED, now=clock.now(), error=type(exc).__name__)
        raise
    if message_id is None:
        store.finish(delivery.delivery_id, SUPPRESSED, now=clock.now())
        return SUPPRESSED
    store.finish(delivery.delivery_id, SENT, now=clock.now(), mail_message_id=message_id)
    return SENT


def _extra_recipients(audience: str) -> AlertRecipients:
    portal = get_portal_settings()
    if audience == CUSTOMER:
        return portal.customer_alert_recipients
    return portal.support_alert_recipients


def flush_digests(limit: int = 100) -> int:
    """The scheduled flush: one digest per closed window that held mail; returns how many
    went out. A window whose digest fails stays due for the next run."""
    sent = 0
    for window in windows.due_windows(clock.now(), limit):
        try:
            sent += _flush(window)
        except Exception:
            get_logger().exception(
                "digest failed; it stays due", extra={"ticket_id": window.ticket_id}
            )
    return sent


def _flush(window: windows.MailWindowModel) -> int:
    held = int(window.held or 0)
    digests_sent = int(window.digests_sent or 0)
    ticket = ticket_store.get_ticket(str(window.ticket_id))
    audience = str(window.audience or CUSTOMER)
    # A ticket hidden from customers since the mail was held: they hear nothing more of it.
    hidden = ticket is not None and audience == CUSTOMER and get_portal_settings().hides(
        str(ticket.topic), str(ticket.channel)
    )
    if held <= 0 or ticket is None or hidden:
        windows.settle_digest(str(window.window_key), count=held, digests_sent=digests_sent)
        return 0
    delivery = Delivery(
        source_id=f"digest:{window.ticket_id}:{float(window.window_start):.3f}:{digests_sent}",
        template="digest",
        audience=audience,
        to=str(window.recipient),
        name=str(window.name or ""),
        language=str(window.language or "en"),
        ticket=ticket,
        context={"count": held},
        capped=False,
    )
    outcome = deliver(delivery)
    # DUPLICATE: this digest went out before a crash kept the window from being settled.
    windows.settle_digest(str(window.window_key), count=held, digests_sent=digests_sent)
    return 1 if outcome == SENT else 0

"""Mail back to whoever wrote: rare, polite, capped at one of a kind per address and day, and
never to a machine or a sender SES could not prove (that would be backscatter to a forged
address). The answers: messaging on the ticket is blocked, the sender has no account; the
invitation of a customer created from mail asks `may_answer` too."""

from __future__ import annotations

from typing import Any

from chalicelib import clock
from chalicelib.config import get_settings
from chalicelib.data import inbound as store
from chalicelib.data.tickets import TicketModel
from chalicelib.data.users import UserModel
from chalicelib.services import mailer
from chalicelib.services.inbound.received import Mail
from chalicelib.services.outbox import ticket_link


def may_answer(mail: Mail, address: str) -> bool:
    own = get_settings().mail_domain.lower()
    return (
        mail.proven
        and mail.parsed.classification == "normal"
        and "@" in address
        and not address.endswith("@" + own)
    )


def answer(
    mail: Mail, kind: str, address: str, language: str, template: str, context: dict[str, Any]
) -> bool:
    if not may_answer(mail, address):
        return False
    day = clock.utcnow().strftime("%Y-%m-%d")
    if not store.claim_answer(kind, address, day, clock.now()):
        return False  # one a day is polite; more would be a mail loop in the making
    sent = mailer.send(to=address, language=language, template=template, context=context)
    return sent is not None


def answer_blocked(mail: Mail, user: UserModel, ticket: TicketModel) -> None:
    answer(mail, "blocked", mail.sender, str(user.language or "en"), "inbound_blocked", {
        "name": user.name, "ticket_number": int(ticket.number),
        "ticket_title": ticket.subject, "link": ticket_link("customer", ticket.ticket_id),
    })


def answer_unknown_sender(mail: Mail) -> bool:
    """The sender has no account and the admin chose to tell them so."""
    return answer(mail, "unknown_sender", mail.sender, mail.settings.default_language,
                  "inbound_unknown_sender", {})

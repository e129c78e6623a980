"""Finding the ticket a mail belongs to, strongest proof first: a reply token signed for the
sender in a recipient address (the token is the proof, whatever SES could prove); then, only
for a sender SES proved and we know, In-Reply-To / References naming a Message-ID of the
ticket's mail, or a `[#1234]` subject tag. A customer's mail only ever lands on a ticket the
portal would show them."""

from __future__ import annotations

import re

from chalicelib import clock
from chalicelib.data import mail_threads
from chalicelib.data import tickets as ticket_store
from chalicelib.data import users as user_store
from chalicelib.data.tickets import TicketModel
from chalicelib.mail import tokens
from chalicelib.mail.model import ParsedMail
from chalicelib.services.inbound.received import Mail
from chalicelib.services.principal import CUSTOMER
from chalicelib.services.settings import get_portal_settings
from chalicelib.services.tickets import access
from chalicelib.services.tickets import email as ticket_mail

MAX_THREAD_LOOKUPS = 20
MAX_MERGE_HOPS = 10  # merged tickets followed to their survivor (A into B, then B into C)
_SUBJECT_TAG = re.compile(r"\[#(\d{1,9})\]")


def thread(mail: Mail, user: user_store.UserModel | None) -> tuple[TicketModel, str] | None:
    """The ticket the mail answers and how that was found, or None: a new message. A merged
    ticket's mail lands on its last survivor (tickets/merge.py: the same requester's), merged
    since into another or not."""
    found = _thread(mail, user)
    if found is None or not found[0].merged_into:
        return found
    survivor = _last_survivor(found[0])
    if survivor is None or (user is not None and not _may_see(user, survivor, staff_ok=True)):
        return None  # nowhere the sender may write: a new ticket, as for an unknown thread
    return survivor, found[1]


def _last_survivor(ticket: TicketModel) -> TicketModel | None:
    """Where a merged ticket's messages went last, following `merged_into`; None when a ticket
    on the way is gone, the chain loops or is longer than MAX_MERGE_HOPS (merge.py allows
    neither: a broken record, never a reason to write on a merged ticket)."""
    seen = {ticket.ticket_id}
    for _ in range(MAX_MERGE_HOPS):
        next_id = str(ticket.merged_into or "")
        if not next_id:
            return ticket
        if next_id in seen:
            return None
        seen.add(next_id)
        found = ticket_store.get_ticket(next_id)
        if found is None:
            return None
        ticket = found
    return None if ticket.merged_into else ticket


def _thread(mail: Mail, user: user_store.UserModel | None) -> tuple[TicketModel, str] | None:
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
    for message_id in thread_ids(parsed):
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


def answered_ticket(mail: Mail) -> TicketModel | None:
    """The ticket whose mail this one answers, for a sender who is not part of it (someone
    a recipient copied or forwarded to): our Message-ID in its threading headers, or a reply
    token naming it (issued to whoever got that mail; it cannot be checked without their
    address, and holding is the safe side: staff decide). Only staff are told."""
    for address in _recipients(mail):
        token = tokens.parse(address)
        ticket = ticket_store.get_ticket(token.ticket_id) if token else None
        if ticket is not None:
            return ticket
    for message_id in thread_ids(mail.parsed):
        ticket_id = mail_threads.ticket_of_message_id(message_id)
        ticket = ticket_store.get_ticket(ticket_id) if ticket_id else None
        if ticket is not None:
            return ticket
    return None


def thread_ids(parsed: ParsedMail) -> list[str]:
    """The Message-IDs a mail says it follows, nearest first, as many as are looked up."""
    ids = [parsed.in_reply_to] if parsed.in_reply_to else []
    ids += [r for r in reversed(parsed.references) if r not in ids]
    return [i for i in ids if i and len(i) <= 500][:MAX_THREAD_LOOKUPS]


def remember(mail: Mail, ticket_id: str) -> None:
    """The mail's own Message-ID joins its ticket's: a reply to it threads there too."""
    if mail.parsed.message_id and len(mail.parsed.message_id) <= 500:
        mail_threads.remember_message_id(mail.parsed.message_id, ticket_id, clock.now())


def _recipients(mail: Mail) -> list[str]:
    addresses = [*mail.parsed.to, *mail.parsed.cc, *mail.parsed.header_values("Delivered-To"),
                 *mail.parsed.header_values("X-Original-To"), *mail.receipt.destination]
    return list(dict.fromkeys(a for a in addresses if a and tokens.PREFIX in a.lower()))[:20]


def _may_see(user: user_store.UserModel, ticket: TicketModel, *, staff_ok: bool) -> bool:
    """The portal's own rule for customers (the requester, or their organization with the
    organization view); staff may write on any ticket only where `staff_ok`."""
    if user.role != CUSTOMER:
        return staff_ok
    return access.customer_may_see(ticket_mail.principal_of(user), ticket, get_portal_settings())

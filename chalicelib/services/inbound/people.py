"""Mail from people: decided once, before anything is written, and kept on the delivery record;
a retry carries out what the first attempt decided (the same account, ticket and visibility)
instead of deciding again from a world its own writes have changed.

The decision: a message on the ticket the mail threads to (an internal event when the sender
has no usable account, unless the ticket's followers include their address: see
`_address_follower`), a new ticket, or nowhere: held for staff (a sender SES could not prove,
a reply from outside the ticket it answers), dropped or refused (a disabled account, staff or
one of our own addresses threading nowhere, the unknown-sender policy). Writing goes through
`services/tickets/email.py` and so the one write path (`tickets/commit.py`): a reply reopens
like a portal reply; a blocked ticket keeps the mail as an internal event and the sender gets
one polite answer a day."""

from __future__ import annotations

from typing import Any

from chalicelib.data import tickets as ticket_store
from chalicelib.data import users as user_store
from chalicelib.data.inbound import DONE, DROPPED, QUARANTINED
from chalicelib.data.messages import INTERNAL, PUBLIC
from chalicelib.data.tickets import TicketModel
from chalicelib.errors import Conflict
from chalicelib.observability import get_logger
from chalicelib.services import followers
from chalicelib.services.inbound.attachments import store_files
from chalicelib.services.inbound.deliveries import (
    BLOCKED,
    EVENT,
    NOT_PARTICIPANT,
    NOTE,
    REPLY,
    TICKET,
    UNVERIFIED,
    Result,
    new_ticket_id,
    record_decision,
)
from chalicelib.services.inbound.received import Mail
from chalicelib.services.inbound.replies import answer_blocked
from chalicelib.services.inbound.senders import (
    account,
    give_org,
    reserved,
    unknown_sender_policy,
)
from chalicelib.services.inbound.threads import answered_ticket, remember, thread
from chalicelib.services.principal import CUSTOMER
from chalicelib.services.tickets import email as ticket_mail
from chalicelib.services.tickets.access import follower_admitted


def person(mail: Mail) -> Result:
    plan = mail.record.decision if isinstance(mail.record.decision, dict) else None
    if plan is None:
        decided = _plan(mail)
        if isinstance(decided, Result):
            return decided
        plan = decided
        record_decision(mail.record, plan, mail.word)
    return _carry_out(mail, plan)


def _plan(mail: Mail) -> dict[str, Any] | Result:
    """Who wrote, and where their mail goes: {action: message | event | ticket, ticket_id,
    user_id, method, follows}, or the Result of mail that goes nowhere (held, dropped)."""
    user = user_store.find_user_by_email(mail.sender)
    if user is not None and user.status == "disabled":
        return Result(DROPPED, "sender_disabled", f"{mail.sender} is a disabled account")
    why_reserved = reserved(mail.sender, mail.settings)
    if why_reserved and user is not None and user.role == CUSTOMER:
        # A customer account for one of our own addresses (made before this rule, or by hand)
        # never speaks for it: the team's mail must not become a customer's public message.
        get_logger().warning("customer account of a reserved address ignored",
                             extra={"user": user.user_id, "reserved": why_reserved})
        user = None
    if mail.word.into == "ticket":
        answers = mail.record.answers if isinstance(mail.record.answers, dict) else {}
        if answers.get("ticket_id"):
            return _decided("event", str(answers["ticket_id"]), None, "released_into_ticket")
    found = thread(mail, user)
    if found is not None:
        ticket, method = found
        if (user is None and follower_admitted(None, ticket, mail.settings)
                and not mail.settings.hides(ticket.topic, ticket.channel)
                and followers.follows_by_address(ticket.ticket_id, mail.sender)):
            # Only while the rules still let them follow it and see it: otherwise the team
            # reads it as an event, as for anyone else without an account.
            return _address_follower(mail, ticket, method)
        return _decided("message" if user else "event", ticket.ticket_id, user, method)
    if user is not None and user.role != CUSTOMER:
        return Result(DROPPED, "staff_unthreaded",
                      "mail from a staff address that threads to no ticket")
    if why_reserved:
        return Result(DROPPED, "reserved_sender",
                      f"mail from {why_reserved} that threads to no ticket is nobody's "
                      "customer mail")
    if user is None and not mail.word.into and not mail.word.force:
        answered = answered_ticket(mail)
        if answered is not None:
            return Result(
                QUARANTINED, NOT_PARTICIPANT,
                f"a reply to #{int(answered.number)} from {mail.sender}, who is not part of "
                "that conversation: add it to the ticket or make it a new one",
                answers={"ticket_id": answered.ticket_id, "number": int(answered.number)},
            )
    if user is None:
        refused = unknown_sender_policy(mail)
        if refused is not None:
            return refused
    if not mail.proven:
        # Mail in a customer's name that SES could not prove is not shown to them as theirs,
        # and no account is made for an address nobody proved: staff decide.
        whose = "a customer's" if user is not None else "one without an account"
        doubt = mail.doubt or "SES could not prove the sender"
        return Result(QUARANTINED, UNVERIFIED, f"{doubt}; the From address is {whose}")
    return _decided("ticket", new_ticket_id(mail.receipt.delivery_id), user, "")


def _address_follower(mail: Mail, ticket: TicketModel, method: str) -> dict[str, Any] | Result:
    """A follower added by address, without an account, answering the ticket's mail: the answer
    goes in the thread as theirs, on an account made for them as for any unknown sender the
    admin lets in; never from mail SES could not prove (held for staff), and where the admin
    makes no accounts from mail, the team reads it as an event."""
    if not mail.proven:
        doubt = mail.doubt or "SES could not prove the sender"
        return Result(QUARANTINED, UNVERIFIED, f"{doubt}; the From address follows "
                      f"#{int(ticket.number)} without an account")
    if mail.word.vouches or mail.settings.inbound_unknown_sender == "create":
        return _decided("message", ticket.ticket_id, None, method)
    return _decided("event", ticket.ticket_id, None, method)


def _decided(
    action: str, ticket_id: str, user: user_store.UserModel | None, method: str,
    follows: int | None = None,
) -> dict[str, Any]:
    return {"action": action, "ticket_id": ticket_id,
            "user_id": user.user_id if user is not None else None,
            "method": method, "follows": follows}


def _carry_out(mail: Mail, plan: dict[str, Any]) -> Result:
    ticket_id, method = str(plan["ticket_id"]), str(plan.get("method") or "")
    if plan["action"] == "event":
        # From an address without a (usable) account: a team mailbox answering an alert, a
        # reply staff added to its ticket. The team sees it; nothing is published.
        message = ticket_mail.record_email_event(
            ticket_id, f"Mail from {mail.sender or 'an unknown sender'}:\n\n{mail.text}",
            mail.details(method, event="mail_from_non_user"), resume=mail.resume,
        )
        remember(mail, ticket_id)
        store_files(mail, ticket_id, None, INTERNAL)
        return Result(DONE, EVENT, method, ticket_id, _seq(message))
    user = account(mail, plan)
    if plan["action"] == "message":
        return _reply(mail, plan, user)
    if not user.org_id:
        user = give_org(user, mail.settings)
    follows = plan.get("follows")
    extra = {"follows_ticket": follows} if follows else {}
    opened = ticket_mail.open_email_ticket(
        ticket_id=ticket_id, requester=user, topic=mail.settings.inbound_default_topic,
        subject=mail.parsed.subject, body=mail.text, details=mail.details("", **extra),
    )
    if opened is None and not mail.resume:
        raise Conflict("A ticket with this delivery's id exists.", code="ticket_exists")
    remember(mail, ticket_id)
    store_files(mail, ticket_id, user.user_id, PUBLIC)
    return Result(DONE, TICKET, "follows a closed ticket" if follows else "", ticket_id, 1)


def _reply(mail: Mail, plan: dict[str, Any], user: user_store.UserModel) -> Result:
    ticket_id, method = str(plan["ticket_id"]), str(plan.get("method") or "")
    kind, message = ticket_mail.email_message(
        ticket_id, user, mail.text, mail.details(method), resume=mail.resume
    )
    if kind == "window_passed":
        # Closed too long ago to reopen: a new ticket follows it (decided, so kept).
        ticket = ticket_store.get_ticket(ticket_id)
        follows = int(ticket.number) if ticket is not None else None
        plan = _decided("ticket", new_ticket_id(mail.receipt.delivery_id), user, "", follows)
        record_decision(mail.record, plan, mail.word)
        return _carry_out(mail, plan)
    remember(mail, ticket_id)
    if user.role == CUSTOMER:
        # A follower added by address follows as this account from now on (its portal).
        followers.link_account(ticket_id, user)
    # The files follow what was written, as it was written: a retry that finds the message of
    # an earlier attempt goes on with its visibility, never with a guess.
    visibility = str(message.visibility) if message is not None else INTERNAL
    if kind == "duplicate":
        kind = "reply" if visibility == PUBLIC else ("note" if user.role != CUSTOMER
                                                     else "blocked")
    if kind == "blocked":
        ticket = ticket_store.get_ticket(ticket_id)
        if ticket is not None:
            answer_blocked(mail, user, ticket)
    store_files(mail, ticket_id, user.user_id, visibility)
    outcome = {"reply": REPLY, "note": NOTE, "blocked": BLOCKED}[kind]
    return Result(DONE, outcome, method, ticket_id, _seq(message))


def _seq(message: Any) -> int | None:
    return int(message.seq) if message is not None else None

"""Opening tickets: by a customer from the portal's form or a troubleshooter, by an agent on a
customer's behalf, and (through email.py) by a mail. Each stores the ticket with its first
message in one transaction (commit.py:store_draft)."""

from __future__ import annotations

import re
import uuid
from typing import Any

from chalicelib import clock
from chalicelib.data import reads as read_store
from chalicelib.data import users as user_store
from chalicelib.data.counters import next_value
from chalicelib.data.messages import PUBLIC
from chalicelib.data.tickets import TicketModel
from chalicelib.errors import Forbidden, InvalidInput
from chalicelib.observability import append_log_keys, count
from chalicelib.services import troubleshooters
from chalicelib.services.identity import language_of
from chalicelib.services.principal import CUSTOMER, Principal
from chalicelib.services.settings import PortalSettings, get_portal_settings
from chalicelib.services.tickets.commit import store_draft
from chalicelib.services.tickets.console import console_view
from chalicelib.services.tickets.drafts import (
    AGENT_REPLY,
    CUSTOMER_MESSAGE,
    Draft,
    check_body,
    default_title,
    load_user,
)
from chalicelib.services.tickets.portal import customer_view
from chalicelib.shapes.tickets import ConsoleTicketView, CustomerTicketView
from chalicelib.shapes.troubleshooters import TroubleshooterSummary

FIRST_NUMBER = 1001


def create_ticket(
    principal: Principal,
    *,
    topic: str,
    subject: str,
    body: str | None,
    troubleshooter: dict[str, Any] | None = None,
) -> CustomerTicketView:
    """A customer opens a ticket from the portal's form, or from a troubleshooter."""
    settings = get_portal_settings()
    if principal.role != CUSTOMER or not principal.org_id:
        raise Forbidden("Only customers of an organization open tickets here.")
    channel = "troubleshooter" if troubleshooter else "portal"
    requester = load_user(principal.user_id)
    # Checked against the form as the page showed it: in the customer's language.
    summary = (troubleshooters.checked(settings, troubleshooter, topic, language_of(requester))
               if troubleshooter else None)
    if settings.hides(topic, channel):
        # A ticket the customer could not see once opened: refuse it like an unknown topic.
        raise _unknown_topic(settings)
    title = None
    if summary and not (body or "").strip():
        # Nothing typed: the summary is the first message, and the form's name (rather than
        # "Troubleshooter: ..." cut at 80 characters) the console's title.
        body = _summary_text(summary)
        title = default_title(summary["name"]) or None
    ticket = open_ticket(
        settings,
        requester=requester,
        creator=principal,
        topic=topic,
        subject=subject or (summary["name"] if summary else ""),
        body=check_body(body or ""),
        channel=channel,
        kind=CUSTOMER_MESSAGE,
        troubleshooter=summary,
        title=title,
    )
    count("TicketCreated")
    return customer_view(principal, ticket.ticket_id, language=language_of(requester))


def create_on_behalf(
    principal: Principal, *, requester_id: str, topic: str, subject: str, body: str
) -> ConsoleTicketView:
    """An agent opens a ticket for a customer (phone call, walk-in): assigned to the agent."""
    settings = get_portal_settings()
    requester = user_store.get_user(requester_id)
    if requester is None or requester.role != CUSTOMER or not requester.org_id:
        raise InvalidInput("The requester must be an existing customer.", code="unknown_requester")
    ticket = open_ticket(
        settings,
        requester=requester,
        creator=principal,
        topic=topic,
        subject=subject,
        body=check_body(body),
        channel="agent",
        kind=AGENT_REPLY,
        assignee_id=principal.user_id,
    )
    count("TicketCreated")
    return console_view(principal, ticket.ticket_id)


def open_ticket(
    settings: PortalSettings,
    *,
    requester: user_store.UserModel,
    creator: Principal,
    topic: str,
    subject: str,
    body: str,
    channel: str,
    kind: str,
    troubleshooter: TroubleshooterSummary | None = None,
    title: str | None = None,
    assignee_id: str | None = None,
    ticket_id: str | None = None,
    details: dict[str, Any] | None = None,
) -> TicketModel:
    """The ticket and its first message. A `ticket_id` already taken is a Conflict
    `ticket_changed` (a repeated delivery of a mail finds its ticket so)."""
    topic_config = settings.topic(topic)
    if topic_config is None:
        raise _unknown_topic(settings)
    subject = re.sub(r"\s+", " ", subject or "").strip()
    if not subject:
        raise InvalidInput("The subject is empty.", code="empty_subject")
    now = clock.now()
    ticket = TicketModel(
        ticket_id=ticket_id or uuid.uuid4().hex,
        number=next_value("ticket_number", FIRST_NUMBER - 1),
        title=title or default_title(body),
        subject=subject[:200],
        topic=topic_config.id,
        channel=channel,
        status="open" if assignee_id else "new",
        requester_id=requester.user_id,
        org_id=requester.org_id or "",
        assignee_id=assignee_id,
        team_id=topic_config.team_id,
        troubleshooter=troubleshooter,
        created_at=now,
        last_activity_at=now,
        public_activity_at=now,
        created_by=creator.user_id,
    )
    draft = Draft(
        kind=kind,
        visibility=PUBLIC,
        body=body,
        author=creator,
        author_name=load_user(creator.user_id).name,
        details=details,
        channel=channel if channel != "troubleshooter" else "portal",
    )
    store_draft(ticket, draft, settings)
    append_log_keys(ticket_id=ticket.ticket_id)
    read = ticket.last_public_seq if creator.role == CUSTOMER else ticket.last_seq
    read_store.mark_read(creator.user_id, ticket.ticket_id, int(read))
    return ticket


def _unknown_topic(settings: PortalSettings) -> InvalidInput:
    # Hidden topics are left out: this answer also reaches customers.
    return InvalidInput(
        "Choose one of the configured topics.",
        code="unknown_topic",
        details={"topics": [t.id for t in settings.customer_topics()]},
    )


def _summary_text(troubleshooter: TroubleshooterSummary) -> str:
    """One line a question: an answer's own line breaks are folded, so that no answer can add a
    line that reads as another question answered."""
    def line(text: Any) -> str:
        return re.sub(r"\s+", " ", str(text)).strip()

    def answered(question: str, answer: str) -> str:
        # "Which device? Laptop", not "Which device?: Laptop"
        end = ("?", ":", "!", ".")
        return f"{question} {answer}" if question.endswith(end) else f"{question}: {answer}"

    lines = [f"Troubleshooter: {line(troubleshooter['name'])}"]
    for qa in troubleshooter["answers"]:
        lines.append(f"- {answered(line(qa['question']), line(qa['answer']))}")
    return "\n".join(lines)

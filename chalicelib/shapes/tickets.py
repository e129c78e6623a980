"""What the ticket routes answer: a conversation as the customer sees it (the portal) and as the
team sees it (the console), its messages, lists and thread pages (services/tickets/)."""

from __future__ import annotations

from typing import Any, Literal, NotRequired

from typing_extensions import TypedDict

from chalicelib.shapes.suppressions import SuppressionDetail
from chalicelib.shapes.troubleshooters import TroubleshooterSummary

# ---------------------------------------------------------------------------------------------
# The customer's


class TicketRequester(TypedDict):
    """Who opened a ticket, shown in the organization's list."""

    id: str
    name: str


class TicketLink(TypedDict):
    """Another ticket, by id and number: a merged ticket's survivor."""

    id: str
    number: int


class CustomerTicket(TypedDict):
    id: str
    number: int
    subject: str
    topic: str
    topic_name: str
    channel: str  # portal, email, troubleshooter or agent
    status: str  # open / closed, or every status when the portal shows them all
    created_at: str  # ISO 8601, UTC
    last_activity_at: str  # of the public thread
    message_count: int  # public messages
    unread: bool
    messaging_blocked: bool
    blocked_reason: str | None  # when blocked
    rating: int | None
    rating_comment: str | None
    troubleshooter: TroubleshooterSummary | None
    merged_into: TicketLink | None  # merged: the portal opens the survivor instead
    requester: NotRequired[TicketRequester]  # in lists


class CustomerMessage(TypedDict):
    id: str
    seq: int  # among the public messages
    kind: Literal["mine", "customer", "team"]
    author: str  # a team member as the portal's author display says
    body: str
    attachment_ids: list[str]
    created_at: str


class CustomerTicketPage(TypedDict):
    items: list[CustomerTicket]
    next_cursor: str | None


class ReplyRefusal(TypedDict):
    """Why the customer may not write on the ticket (blocked, reopen window passed)."""

    code: str
    message: str


class CustomerTicketView(TypedDict):
    ticket: CustomerTicket
    messages: list[CustomerMessage]  # the newest page, oldest first
    earlier_cursor: str | None  # the page before it
    message_count: int
    can_reply: bool
    reply_refusal: ReplyRefusal | None
    can_resolve: bool  # the caller is the requester, and the ticket is open
    can_rate: bool  # the caller is the requester, and the ticket is resolved or closed


class CustomerNewMessages(TypedDict):
    messages: list[CustomerMessage]
    ticket: CustomerTicket
    last_seq: int


class CustomerEarlierMessages(TypedDict):
    messages: list[CustomerMessage]
    earlier_cursor: str | None


class CustomerMessageAnswer(TypedDict):
    message: CustomerMessage


class TicketRating(TypedDict):
    rating: int  # 1-5
    comment: str | None


# ---------------------------------------------------------------------------------------------
# The console's


class ConsoleRequester(TypedDict):
    id: str
    name: str
    email: str
    org_id: str
    # A conversation's detail only: whether mail to the requester is refused, and why.
    email_suppressed: NotRequired[bool]
    suppression: NotRequired[SuppressionDetail | None]


class ConsoleAssignee(TypedDict):
    id: str
    name: str


class ConsoleTicket(TypedDict):
    id: str
    number: int
    title: str
    subject: str
    topic: str
    channel: str
    status: str  # new, open, pending, resolved or closed
    state: str  # open or closed
    team_id: str
    requester: ConsoleRequester
    assignee: ConsoleAssignee | None
    created_at: str
    last_activity_at: str  # internal notes too
    message_count: int
    public_count: int
    unread: bool
    messaging_blocked: bool
    blocked_reason: str | None
    rating: int | None
    rating_comment: str | None
    version: int
    tags: list[str]  # staff only (services/tickets/tags.py)
    merged_into: TicketLink | None  # merged into this survivor (services/tickets/merge.py)


class MessageAuthor(TypedDict):
    id: str | None  # none for what the system wrote
    name: str
    role: str  # customer, agent, admin or system


class ConsoleMessage(TypedDict):
    id: str
    seq: int  # position among all messages, internal ones too
    kind: str  # customer_message, agent_reply, internal_note, resolve_note or system_event
    visibility: str  # public or internal
    internal: bool
    author: MessageAuthor
    body: str
    channel: str
    details: dict[str, Any] | None  # what an event or a mail recorded, by kind
    attachment_ids: list[str]
    created_at: str


class ConsoleTicketPage(TypedDict):
    items: list[ConsoleTicket]
    next_cursor: str | None


class ConsoleTicketView(TypedDict):
    ticket: ConsoleTicket
    messages: list[ConsoleMessage]  # the newest page, oldest first
    earlier_cursor: str | None
    message_count: int
    public_count: int
    troubleshooter: TroubleshooterSummary | None


class ConsoleNewMessages(TypedDict):
    messages: list[ConsoleMessage]
    last_seq: int


class ConsoleEarlierMessages(TypedDict):
    messages: list[ConsoleMessage]
    earlier_cursor: str | None


class ConsoleMessageAnswer(TypedDict):
    message: ConsoleMessage


class Teammate(TypedDict):
    id: str
    name: str
    email: str
    team_ids: list[str]  # sorted


class TeammateList(TypedDict):
    items: list[Teammate]


# ---------------------------------------------------------------------------------------------
# The desk's tools: tags, bulk actions, merging (services/tickets/tags.py, bulk.py, merge.py)


class BulkRefusal(TypedDict):
    code: str  # as any refusal of the same action on one ticket
    message: str
    details: dict[str, Any] | None  # the facts its message names (a limit)


class BulkItem(TypedDict):
    ticket_id: str
    ok: bool
    error: BulkRefusal | None  # why this ticket was refused, when it was


class BulkResult(TypedDict):
    action: str
    items: list[BulkItem]  # in the order asked
    done: int
    refused: int


class MergeCandidate(TypedDict):
    id: str
    number: int
    subject: str
    title: str
    status: str


class MergeCandidates(TypedDict):
    items: list[MergeCandidate]  # open first, then the latest opened


class MergeResult(TypedDict):
    merged: TicketLink
    survivor: TicketLink
    messages: int  # moved to the survivor
    documents: int

"""What the console's customer routes answer: the requester's context beside a conversation,
and the customers "New on behalf" finds (services/customers.py)."""

from __future__ import annotations

from typing_extensions import TypedDict

from chalicelib.shapes.suppressions import SuppressionDetail


class CustomerOrg(TypedDict):
    id: str
    name: str


class CustomerProfile(TypedDict):
    id: str
    name: str
    email: str
    language: str  # en, fr or pl: what the portal and the mails speak to them
    status: str  # active, disabled or unverified
    org: CustomerOrg | None
    email_suppressed: bool  # mail to the address is refused (bounce, complaint)
    suppression: SuppressionDetail | None


class CustomerTicketLine(TypedDict):
    """One of the customer's other tickets."""

    id: str
    number: int
    title: str
    subject: str
    status: str  # new, open, pending, resolved or closed
    state: str  # open or closed
    last_activity_at: str  # ISO 8601, UTC; internal notes too


class CustomerRating(TypedDict):
    ticket_id: str
    number: int
    subject: str
    rating: int  # 1-5
    comment: str | None


class CustomerRatings(TypedDict):
    average: float | None  # of `items`, one decimal; none without a rating
    count: int
    items: list[CustomerRating]  # rated tickets, latest activity first


class CustomerContext(TypedDict):
    customer: CustomerProfile
    tickets: list[CustomerTicketLine]  # open ones first, then the latest closed ones
    # The customer has tickets past the ones read (services/customers.py:HISTORY): the lists
    # and the ratings cover the latest ones only.
    more_tickets: bool
    ratings: CustomerRatings


class CustomerMatch(TypedDict):
    id: str
    name: str
    email: str
    org: CustomerOrg


class CustomerMatchList(TypedDict):
    items: list[CustomerMatch]  # by name

"""What is said about an address the portal no longer mails, to whom."""

from __future__ import annotations

from typing_extensions import TypedDict


class MailSuppression(TypedDict):
    """What a customer is told about their own address."""

    reason: str  # bounce or complaint
    since: str  # ISO 8601, UTC


class SuppressionDetail(MailSuppression):
    """What agents see beside the requester."""

    detail: str | None


class SuppressionEntry(SuppressionDetail):
    """One row of the admin list."""

    email: str
    evidence: dict[str, str]


class SuppressionPage(TypedDict):
    items: list[SuppressionEntry]
    next_cursor: str | None

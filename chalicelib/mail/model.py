"""What the portal learns from one inbound message: the typed result of `parse_mail`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chalicelib.mail.classify import Classification
from chalicelib.mail.dsn import DeliveryStatus


@dataclass(frozen=True)
class Attachment:
    filename: str  # always set and safe to show: generated when the mail gave none
    content_type: str
    size: int
    inline: bool
    content_id: str | None
    content: bytes = field(repr=False)

    def summary(self) -> dict[str, Any]:
        return {
            "filename": self.filename,
            "content_type": self.content_type,
            "size": self.size,
            "inline": self.inline,
            "content_id": self.content_id,
        }


@dataclass(frozen=True)
class ParsedMail:
    from_email: str | None
    from_name: str
    to: list[str]
    cc: list[str]
    reply_to: list[str]
    subject: str
    message_id: str | None  # with angle brackets, as our own outbound ids are stored
    in_reply_to: str | None
    references: list[str]
    date: str | None  # ISO 8601 with offset
    body_text: str
    body_html: str  # sanitised
    reply_text: str
    attachments: list[Attachment]
    classification: Classification
    classification_reason: str
    delivery_status: list[DeliveryStatus]
    warnings: list[str]
    # Every top-level header in order, values decoded (RFC 2047, 8-bit) and unfolded: for the
    # SES verdict headers and anything else a later rule needs.
    headers: list[tuple[str, str]] = field(repr=False)
    # Why the From address cannot be trusted whatever SES proved ("" when nothing is amiss).
    sender_doubt: str = ""

    def header(self, name: str) -> str | None:
        """First value of a header (case-insensitive), or None."""
        values = self.header_values(name)
        return values[0] if values else None

    def header_values(self, name: str) -> list[str]:
        wanted = name.lower()
        return [value for key, value in self.headers if key.lower() == wanted]

    @property
    def bounced(self) -> bool:
        """A delivery report with at least one permanent failure (not a mere delay)."""
        return any(status.failed for status in self.delivery_status)

    def summary(self) -> dict[str, Any]:
        """JSON-ready view: everything except attachment bytes and the full header list."""
        return {
            "from_email": self.from_email,
            "from_name": self.from_name,
            "sender_doubt": self.sender_doubt,
            "to": self.to,
            "cc": self.cc,
            "reply_to": self.reply_to,
            "subject": self.subject,
            "message_id": self.message_id,
            "in_reply_to": self.in_reply_to,
            "references": self.references,
            "date": self.date,
            "body_text": self.body_text,
            "body_html": self.body_html,
            "reply_text": self.reply_text,
            "attachments": [attachment.summary() for attachment in self.attachments],
            "classification": self.classification,
            "classification_reason": self.classification_reason,
            "bounced": self.bounced,
            "delivery_status": [
                {
                    "recipient": status.recipient,
                    "action": status.action,
                    "status": status.status,
                    "diagnostic": status.diagnostic,
                    "remote_mta": status.remote_mta,
                }
                for status in self.delivery_status
            ],
            "warnings": self.warnings,
        }

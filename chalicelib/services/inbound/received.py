"""One received mail being handled: what SES said, what the parser read, what the verdicts
decided, who sent it and whether that is proven, and what the console is shown with whatever
it becomes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chalicelib.data.inbound import InboundModel
from chalicelib.mail.model import ParsedMail
from chalicelib.services.inbound.deliveries import StaffWord
from chalicelib.services.inbound.rules import Decision, Receipt
from chalicelib.services.settings import PortalSettings

FULL_TEXT_CHARS = 60_000  # a DynamoDB item holds 400 KB; the raw mail keeps everything
FULL_TEXT_BYTES = 180_000  # ... and 60,000 characters of some scripts are 240 KB of UTF-8


class Unhandled(Exception):
    """A mail that cannot become anything: quarantined with the reason."""


@dataclass
class Mail:
    """One delivery being handled: what SES said, what the parser read, what was decided."""

    receipt: Receipt
    parsed: ParsedMail
    decision: Decision
    resume: bool
    sender: str  # normalised From address ("" when there is none)
    settings: PortalSettings
    record: InboundModel
    word: StaffWord = field(default_factory=StaffWord)
    doubt: str = ""  # why the From address cannot be believed, whatever SES said

    @property
    def proven(self) -> bool:
        """Whether the From address is its author's: SES proved it (aligned with From) and
        nothing about the address is doubtful, or staff vouched for it by letting the mail in."""
        if self.word.vouches:
            return True
        return self.decision.proven_sender and not self.doubt

    @property
    def text(self) -> str:
        """What is stored as the message: the reply without its quoted history."""
        return (self.parsed.reply_text or "").strip() or (self.parsed.body_text or "")

    def details(self, method: str = "", **extra: Any) -> dict[str, Any]:
        """What the console shows with a message from mail (customers never see details)."""
        full = self.parsed.body_text or ""
        details: dict[str, Any] = {
            "inbound_id": self.receipt.delivery_id,
            "from": self.sender,
            "from_name": self.parsed.from_name[:200],
            "subject": self.parsed.subject[:300],
            "message_id": self.parsed.message_id,
            "threaded_by": method or None,
            "raw": f"s3://{self.receipt.bucket}/{self.receipt.object_key}",
            "verdicts": self.receipt.verdicts,
            # Read by the notifications: an unproven sender gets no acknowledgement either.
            # The console marks what SES could not prove, even once staff let it in.
            "sender_proven": self.proven,
            "sender_verified_by_ses": self.decision.proven_sender and not self.doubt,
        }
        if self.doubt:
            details["sender_doubt"] = self.doubt[:200]
        if self.word.vouches:
            details["vouched_by_staff"] = True
        if full.strip() and full.strip() != (self.parsed.reply_text or "").strip():
            kept = _within_bytes(full[:FULL_TEXT_CHARS], FULL_TEXT_BYTES)
            details["full_text"] = kept
            details["full_text_truncated"] = len(kept) < len(full)
        details.update(extra)
        return details


def _within_bytes(text: str, limit: int) -> str:
    encoded = text.encode("utf-8")
    return text if len(encoded) <= limit else encoded[:limit].decode("utf-8", "ignore")

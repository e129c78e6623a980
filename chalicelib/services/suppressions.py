"""Bounces and complaints reported by SES: the address goes on the suppression list.

The mailer refuses suppressed recipients, so one list stops every kind of mail. Only permanent
bounces count: a transient one (full mailbox, greylisting) is retried by SES itself, and
suppressing it would silence a customer for good over a bad afternoon.
"""

from __future__ import annotations

import json
from typing import Any

from chalicelib import clock
from chalicelib.data import suppressions as store
from chalicelib.mail.tokens import normalize
from chalicelib.observability import count, get_logger

BOUNCE = "bounce"
COMPLAINT = "complaint"


def record_feedback(raw_message: str) -> list[str]:
    """One SES notification (the JSON SNS delivers, from identity notifications or from a
    configuration set's event destination); returns the addresses suppressed."""
    try:
        notification = json.loads(raw_message)
    except ValueError:
        get_logger().warning("mail feedback is not JSON; ignored")
        return []
    if not isinstance(notification, dict):
        return []
    kind = notification.get("notificationType") or notification.get("eventType")
    mail = notification.get("mail") or {}
    detail: str | None
    if kind == "Bounce":
        bounce = notification.get("bounce") or {}
        if bounce.get("bounceType") != "Permanent":
            return []
        reason, detail = BOUNCE, f"{bounce.get('bounceType')}/{bounce.get('bounceSubType', '')}"
        feedback_id = bounce.get("feedbackId")
        recipients = bounce.get("bouncedRecipients") or []
    elif kind == "Complaint":
        complaint = notification.get("complaint") or {}
        reason, detail = COMPLAINT, complaint.get("complaintFeedbackType")
        feedback_id = complaint.get("feedbackId")
        recipients = complaint.get("complainedRecipients") or []
    else:
        return []  # deliveries, opens and the like are none of our business
    addresses = sorted({a for a in (_address(r) for r in recipients) if a})
    for address in addresses:
        store.add_suppression(
            address, reason=reason, detail=detail, feedback_id=feedback_id or mail.get("messageId"),
            now=clock.now(),
        )
        count(f"MailSuppressed_{reason}")
    return addresses


def _address(recipient: Any) -> str:
    if not isinstance(recipient, dict):
        return ""
    address = normalize(str(recipient.get("emailAddress") or ""))
    return address if "@" in address else ""


def suppress_bounced(address: str, *, detail: str, feedback_id: str | None) -> bool:
    """A bounce that came back to the support address as mail (a DSN, not SES's own bounce
    notification): a permanent failure suppresses the address the same way."""
    address = normalize(address)
    if "@" not in address:
        return False
    store.add_suppression(
        address, reason=BOUNCE, detail=detail[:200], feedback_id=feedback_id, now=clock.now()
    )
    count(f"MailSuppressed_{BOUNCE}")
    return True


def is_suppressed(email: str | None) -> bool:
    return bool(email) and store.get_suppression(normalize(email or "")) is not None

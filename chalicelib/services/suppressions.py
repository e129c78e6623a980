"""Bounces and complaints: the address goes on the suppression list, with the evidence.

The mailer refuses suppressed recipients, so one list stops every kind of mail. Only permanent
bounces count: a transient one (full mailbox, greylisting) is retried by SES itself, and
suppressing it would silence a customer for good over a bad afternoon. Only two sources are
believed: SES's own feedback notifications (SNS, `record_feedback`) and a returned-mail report
that inbound mail matched to a Message-ID we sent to that recipient (`suppress_bounced`). An
admin sees each entry with its evidence and may lift it (audited); agents and the customer are
told why mail does not go out.
"""

from __future__ import annotations

import json
from typing import Any

from chalicelib import clock
from chalicelib.data import suppressions as store
from chalicelib.errors import NotFound
from chalicelib.mail.tokens import normalize
from chalicelib.observability import count, get_logger
from chalicelib.services import audit
from chalicelib.services.fields import MAX_ADDRESS  # a longer one gets no entry either
from chalicelib.services.principal import Principal
from chalicelib.shapes.suppressions import MailSuppression, SuppressionDetail, SuppressionEntry

BOUNCE = "bounce"
COMPLAINT = "complaint"
SES_FEEDBACK = "ses_feedback"
_MAX_EVIDENCE_VALUE = 500  # a diagnostic line is short; a hostile one is cut, never refused


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
    mail = _object(notification.get("mail"))
    common: dict[str, str] = {
        "source": SES_FEEDBACK,
        "ses_message_id": _text(mail.get("messageId")),  # SES's id of the mail we sent
        "message_id": _text(_object(mail.get("commonHeaders")).get("messageId")),  # our header
    }
    detail: str | None
    if kind == "Bounce":
        bounce = _object(notification.get("bounce"))
        if bounce.get("bounceType") != "Permanent":
            return []
        reason = BOUNCE
        detail = f"{bounce.get('bounceType')}/{bounce.get('bounceSubType', '')}"
        report = bounce
        recipients = bounce.get("bouncedRecipients")
        common |= {"bounce_type": _text(bounce.get("bounceType")),
                   "bounce_subtype": _text(bounce.get("bounceSubType")),
                   "reporting_mta": _text(bounce.get("reportingMTA"))}
    elif kind == "Complaint":
        complaint = _object(notification.get("complaint"))
        reason, detail = COMPLAINT, _text(complaint.get("complaintFeedbackType")) or None
        report = complaint
        recipients = complaint.get("complainedRecipients")
        common |= {"complaint_type": _text(complaint.get("complaintFeedbackType")),
                   "user_agent": _text(complaint.get("userAgent"))}
    else:
        return []  # deliveries, opens and the like are none of our business
    feedback_id = _text(report.get("feedbackId")) or None
    common |= {"feedback_id": feedback_id or "", "timestamp": _text(report.get("timestamp"))}
    by_address: dict[str, dict[str, Any]] = {}
    for recipient in recipients if isinstance(recipients, list) else []:
        address = _address(recipient)
        if address:
            by_address.setdefault(address, recipient)
    for address, recipient in sorted(by_address.items()):
        evidence = common | {"status": _text(recipient.get("status")),
                             "diagnostic": _text(recipient.get("diagnosticCode"))}
        store.add_suppression(
            address, reason=reason, detail=detail,
            feedback_id=feedback_id or common["ses_message_id"] or None, now=clock.now(),
            evidence=_clean(evidence),
        )
        count("AddressSuppressed", reason=reason)
    return sorted(by_address)


def suppress_bounced(
    address: str, *, detail: str, feedback_id: str | None,
    evidence: dict[str, str] | None = None,
) -> bool:
    """A bounce that came back to the support address as mail (a DSN, not SES's own bounce
    notification), already matched by the caller to a message we sent to `address`: a
    permanent failure suppresses the address the same way. `evidence` says what proved it
    (source, Message-ID, delivery id, status, diagnostic)."""
    address = normalize(address)
    if "@" not in address or len(address) > MAX_ADDRESS:
        return False
    store.add_suppression(
        address, reason=BOUNCE, detail=detail[:200], feedback_id=feedback_id, now=clock.now(),
        evidence=_clean(evidence or {}),
    )
    count("AddressSuppressed", reason=BOUNCE)
    return True


def is_suppressed(email: str | None) -> bool:
    return suppression_detail(email) is not None


def suppression_detail(email: str | None) -> SuppressionDetail | None:
    """Why mail to this address is not sent (None: it is sent)."""
    entry = _get(email)
    if entry is None:
        return None
    return {"reason": entry.reason, "since": clock.iso(float(entry.created_at)),
            "detail": entry.detail}


def mail_suppression(email: str | None) -> MailSuppression | None:
    """The customer's own view: the reason and since when, not the remote server's words."""
    entry = _get(email)
    if entry is None:
        return None
    return {"reason": entry.reason, "since": clock.iso(float(entry.created_at))}


def list_suppressions(
    cursor: str | None, limit: int, email: str | None = None
) -> tuple[list[SuppressionEntry], str | None]:
    """Newest first; with `email`, that one address's entry (also one written before the list
    had its index)."""
    if email is not None:
        entry = _get(email)
        return ([_entry(entry)] if entry else []), None
    page = store.list_suppressions(limit, cursor)
    return [_entry(item) for item in page.items], page.cursor


def lift_suppression(actor: Principal, email: str) -> None:
    """Mail to the address goes out again. Audited with the reason it had, so a lifted entry's
    evidence is not lost."""
    entry = _get(email)
    if entry is None:
        raise NotFound("No suppression for this address.", code="suppression_not_found")
    store.remove_suppression(entry)
    evidence = _evidence(entry)
    audit.record("suppression.lift", actor=actor, target=entry.email, details={
        "reason": entry.reason, "detail": entry.detail,
        "since": clock.iso(float(entry.created_at)), "source": evidence.get("source"),
    })
    count("MailSuppressionLifted")


def _get(email: str | None) -> store.SuppressionModel | None:
    address = normalize(email or "")
    if "@" not in address or len(address) > MAX_ADDRESS:
        return None
    return store.get_suppression(address)


def _entry(item: store.SuppressionModel) -> SuppressionEntry:
    return {"email": item.email, "reason": item.reason, "detail": item.detail,
            "since": clock.iso(float(item.created_at)), "evidence": _evidence(item)}


def _evidence(item: store.SuppressionModel) -> dict[str, str]:
    evidence = item.evidence if isinstance(item.evidence, dict) else {}
    if not evidence and item.feedback_id:  # written before evidence was kept
        evidence = {"feedback_id": item.feedback_id}
    return {str(k): str(v) for k, v in evidence.items()}


def _clean(evidence: dict[str, str]) -> dict[str, str]:
    return {str(k)[:40]: str(v)[:_MAX_EVIDENCE_VALUE] for k, v in evidence.items()
            if v not in (None, "")}


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _address(recipient: Any) -> str:
    if not isinstance(recipient, dict):
        return ""
    address = normalize(str(recipient.get("emailAddress") or ""))
    return address if "@" in address and len(address) <= MAX_ADDRESS else ""

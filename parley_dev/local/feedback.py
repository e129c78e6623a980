"""What SES does when a sent mail bounces or its reader complains, done by hand for the local run
and the tests: publish a notification shaped like the one SES's configuration-set event
destination publishes (as infra/ wires it; tests/events/ses_bounce.json, ses_complaint.json) to
the feedback topic. The event pump hands it to the same handler Lambda runs."""

from __future__ import annotations

import secrets
from typing import Any

from chalicelib import clock
from chalicelib.adapters import inbound_mail
from chalicelib.config import get_settings

BOUNCE = "Bounce"
COMPLAINT = "Complaint"


def _ses_id() -> str:
    """SES's ids look like this: hex groups and a six-digit suffix."""
    return f"0102{secrets.token_hex(6)}-{secrets.token_hex(4)}-{secrets.token_hex(2)}-" \
           f"{secrets.token_hex(2)}-{secrets.token_hex(2)}-{secrets.token_hex(6)}-000000"


def feedback_notification(
    kind: str,
    address: str,
    *,
    bounce_subtype: str = "General",
    complaint_type: str = "abuse",
    diagnostic: str = "",
) -> dict[str, Any]:
    settings = get_settings()
    now = clock.utcnow().strftime("%Y-%m-%dT%H:%M:%S.000Z")
    feedback_id = _ses_id()
    report: dict[str, Any]
    if kind == BOUNCE:
        report = {
            "feedbackId": feedback_id,
            "bounceType": "Permanent",
            "bounceSubType": bounce_subtype,
            "bouncedRecipients": [{
                "emailAddress": address, "action": "failed", "status": "5.1.1",
                "diagnosticCode": diagnostic or f"smtp; 550 5.1.1 <{address}>: user unknown",
            }],
            "timestamp": now,
            "reportingMTA": "dsn; a8-31.smtp-out.local.amazonses.com",
        }
    elif kind == COMPLAINT:
        report = {
            "feedbackId": feedback_id,
            "complaintSubType": None,
            "complainedRecipients": [{"emailAddress": address}],
            "timestamp": now,
            "userAgent": "parley mail feedback",
            "complaintFeedbackType": complaint_type,
            "arrivalDate": now,
        }
    else:
        raise ValueError(f"unknown feedback kind {kind!r}")
    return {
        "eventType": kind,
        kind.lower(): report,
        "mail": {
            "timestamp": now,
            "source": settings.mail_from,
            "sourceArn": f"arn:aws:ses:{settings.region}:123456789012:identity/"
                         f"{settings.mail_domain}",
            "sendingAccountId": "123456789012",
            "messageId": _ses_id(),
            "destination": [address],
            "headersTruncated": False,
            "headers": [],
            "commonHeaders": {"from": [settings.mail_from], "to": [address]},
        },
    }


def send_feedback(kind: str, address: str, **options: str) -> str:
    """Publish one notification to the feedback topic; returns its SES feedback id."""
    notification = feedback_notification(kind, address, **options)
    inbound_mail.publish(get_settings().feedback_topic, notification)
    return str(notification[kind.lower()]["feedbackId"])

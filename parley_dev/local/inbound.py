"""What SES does when mail arrives, done by hand for the local run and the tests: store the raw
message in the inbound bucket and publish a receipt notification shaped like SES's own to the
inbound topic, which feeds the queue the handler reads. Same path as on AWS from there on."""

from __future__ import annotations

import secrets
import string
from collections.abc import Mapping, Sequence
from typing import Any

from chalicelib import clock
from chalicelib.adapters import inbound_mail
from chalicelib.config import get_settings
from chalicelib.mail.parse import parse_mail

PASSING = {"spam": "PASS", "virus": "PASS", "spf": "PASS", "dkim": "PASS", "dmarc": "PASS"}
_ID_ALPHABET = string.ascii_lowercase + string.digits


def new_delivery_id() -> str:
    """SES message ids look like this: 40 lower-case letters and digits."""
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(40))


def receipt_notification(
    raw: bytes,
    *,
    delivery_id: str,
    bucket: str,
    object_key: str,
    destination: Sequence[str] = (),
    verdicts: Mapping[str, str] | None = None,
    dmarc_policy: str = "",
    envelope_sender: str | None = None,
    dkim_domain: str | None = None,
) -> dict[str, Any]:
    """`envelope_sender` (MAIL FROM, which SPF checks) and `dkim_domain` (the signer) default to
    the From address and its domain: mail sent by its author's own server."""
    parsed = parse_mail(raw)
    settings = get_settings()
    recipients = list(destination) or [
        a for a in [*parsed.to, *parsed.cc] if a.lower().endswith("@" + settings.mail_domain)
    ] or [settings.mail_from]
    timestamp = clock.utcnow().strftime("%Y-%m-%dT%H:%M:%S.000Z")
    status = {**PASSING, **(verdicts or {})}
    receipt: dict[str, Any] = {
        "timestamp": timestamp,
        "processingTimeMillis": 321,
        "recipients": recipients,
        **{f"{name}Verdict": {"status": value} for name, value in status.items()},
        "action": {
            "type": "S3",
            "topicArn": f"arn:aws:sns:{settings.region}:123456789012:{settings.inbound_topic}",
            "bucketName": bucket,
            "objectKeyPrefix": "raw/",
            "objectKey": object_key,
        },
    }
    if dmarc_policy:
        receipt["dmarcPolicy"] = dmarc_policy.upper()
    source = (parsed.from_email or "") if envelope_sender is None else envelope_sender
    from_domain = (parsed.from_email or "").rpartition("@")[2]
    signer = from_domain if dkim_domain is None else dkim_domain
    # SES puts its own verdicts above the sender's headers (the only ones trusted for DKIM).
    ses_headers = [{"name": "Authentication-Results", "value": (
        f"amazonses.com; spf={status['spf'].lower()} envelope-from={source}; "
        f"dkim={status['dkim'].lower()} header.i=@{signer}; "
        f"dmarc={status['dmarc'].lower()} header.from={from_domain};"
    )}]
    return {
        "notificationType": "Received",
        "mail": {
            "timestamp": timestamp,
            "source": source,
            "messageId": delivery_id,
            "destination": recipients,
            "headersTruncated": False,
            "headers": ses_headers + [{"name": k, "value": v} for k, v in parsed.headers[:100]],
            "commonHeaders": {
                "from": [parsed.from_email or ""],
                "to": parsed.to,
                "subject": parsed.subject,
                "messageId": parsed.message_id,
            },
        },
        "receipt": receipt,
    }


def receive_mail(
    raw: bytes,
    *,
    destination: Sequence[str] = (),
    verdicts: Mapping[str, str] | None = None,
    dmarc_policy: str = "",
    delivery_id: str | None = None,
    envelope_sender: str | None = None,
    dkim_domain: str | None = None,
) -> str:
    """Store and announce one message as SES would; returns its SES message id."""
    settings = get_settings()
    delivery_id = delivery_id or new_delivery_id()
    object_key = f"raw/{delivery_id}"
    inbound_mail.put_raw(settings.inbound_bucket, object_key, raw)
    inbound_mail.publish(settings.inbound_topic, receipt_notification(
        raw, delivery_id=delivery_id, bucket=settings.inbound_bucket, object_key=object_key,
        destination=destination, verdicts=verdicts, dmarc_policy=dmarc_policy,
        envelope_sender=envelope_sender, dkim_domain=dkim_domain,
    ))
    return delivery_id

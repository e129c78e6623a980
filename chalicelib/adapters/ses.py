"""Outbound mail through SES v2, always as a raw MIME message we built ourselves."""

from __future__ import annotations

from chalicelib.adapters.aws import client


def send_raw(sender: str, recipients: list[str], raw: bytes) -> str:
    response = client("sesv2").send_email(
        FromEmailAddress=sender,
        Destination={"ToAddresses": recipients},
        Content={"Raw": {"Data": raw}},
    )
    return str(response["MessageId"])

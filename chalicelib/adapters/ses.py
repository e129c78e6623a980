"""Outbound mail through SES v2, always as a raw MIME message we built ourselves."""

from __future__ import annotations

from chalicelib.adapters.aws import client

# What SES answers when we send faster than the account's rate or quota allows for now.
_THROTTLING = frozenset(
    {"TooManyRequestsException", "ThrottlingException", "Throttling", "LimitExceededException"}
)


class Throttled(Exception):
    """SES asked us to slow down: worth another try later, unlike a rejected message."""


def send_raw(sender: str, recipients: list[str], raw: bytes) -> str:
    """`recipients` is the envelope (To, Cc and Bcc alike): only the MIME headers tell them
    apart, and Bcc addresses appear in no header."""
    from botocore.exceptions import ClientError

    try:
        response = client("sesv2").send_email(
            FromEmailAddress=sender,
            Destination={"ToAddresses": recipients},
            Content={"Raw": {"Data": raw}},
        )
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in _THROTTLING:
            raise Throttled(str(exc)) from exc
        raise
    return str(response["MessageId"])

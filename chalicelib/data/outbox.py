"""The outbox: one record per (source, template, recipient), written before the mail is sent.

The conditional write is what makes a redelivered stream batch send nothing twice: only the
invocation whose write created the record (or found it marked failed) goes on to send.
"""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist, UpdateError
from pynamodb.expressions.update import Action
from pynamodb.models import Model

from chalicelib.data.base import REGION, condition_failed, expiry, table_name

SENDING = "sending"  # claimed; the send is under way (or the sender crashed: see services/outbox)
SENT = "sent"
FAILED = "failed"  # the send raised: the next delivery of the record may claim it again
HELD = "held"  # over the per-recipient cap: counted into the digest instead
SUPPRESSED = "suppressed"  # the address bounced or complained
KEEP_DAYS = 30  # longer than a stream keeps records (24 h): no redelivery outlives its record


class OutboxModel(Model):
    class Meta:
        table_name = table_name("outbox")
        region = REGION
        billing_mode = "PAY_PER_REQUEST"

    delivery_id = UnicodeAttribute(hash_key=True)  # "<source>#<template>#<recipient>"
    ticket_id = UnicodeAttribute(null=True)
    recipient = UnicodeAttribute()
    template = UnicodeAttribute()
    status = UnicodeAttribute()
    attempts = NumberAttribute(default=0)
    claimed_at = NumberAttribute()
    finished_at = NumberAttribute(null=True)
    mail_message_id = UnicodeAttribute(null=True)  # the Message-ID header we gave the mail
    error = UnicodeAttribute(null=True)
    expires_at = TTLAttribute()


def claim(delivery_id: str, *, ticket_id: str, recipient: str, template: str,
          now: float) -> bool:
    """True when this caller may send: the record did not exist, or its last send failed."""
    record = OutboxModel(delivery_id)
    try:
        record.update(
            actions=[
                OutboxModel.status.set(SENDING),
                OutboxModel.ticket_id.set(ticket_id),
                OutboxModel.recipient.set(recipient),
                OutboxModel.template.set(template),
                OutboxModel.claimed_at.set(now),
                OutboxModel.attempts.add(1),
                OutboxModel.error.remove(),
                OutboxModel.expires_at.set(expiry(now + KEEP_DAYS * 86400)),
            ],
            condition=OutboxModel.delivery_id.does_not_exist() | (OutboxModel.status == FAILED),
        )
    except UpdateError as exc:
        if condition_failed(exc):
            return False
        raise
    return True


def finish(delivery_id: str, status: str, *, now: float, mail_message_id: str | None = None,
           error: str | None = None) -> None:
    actions: list[Action] = [OutboxModel.status.set(status), OutboxModel.finished_at.set(now)]
    if mail_message_id:
        actions.append(OutboxModel.mail_message_id.set(mail_message_id))
    if error:
        actions.append(OutboxModel.error.set(error[:500]))
    OutboxModel(delivery_id).update(actions=actions, condition=OutboxModel.delivery_id.exists())


def get_delivery(delivery_id: str) -> OutboxModel | None:
    try:
        return OutboxModel.get(delivery_id, consistent_read=True)
    except DoesNotExist:
        return None

"""New messages, from the messages table's stream: secure notifications, the feed, live pushes.
And the schedule that sends the digests of mail held back by the rate cap."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, CloudWatchEvent, DynamoDBEvent, Rate

from chalicelib.config import get_settings
from chalicelib.events.batches import each_stream_record
from chalicelib.observability import in_invocation

blueprint = Blueprint(__name__)


@blueprint.on_dynamodb_record(
    stream_arn=get_settings().messages_stream_arn, name="notify_messages", batch_size=50
)
@in_invocation
def notify_messages(event: DynamoDBEvent) -> dict[str, Any]:
    """One bad record does not hold up the others: it is reported in batchItemFailures."""
    from chalicelib.services.notifications import on_stream_record

    return each_stream_record(event, on_stream_record)


@blueprint.schedule(Rate(5, unit=Rate.MINUTES), name="flush_mail_digests")
@in_invocation
def flush_mail_digests(event: CloudWatchEvent) -> dict[str, Any]:
    from chalicelib.services.outbox import flush_digests

    return {"digests": flush_digests()}

"""New messages, from the messages table's stream: secure notifications, the feed, live pushes.
And the schedule that sends the digests of mail held back by the rate cap."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

from chalice.app import Blueprint, CloudWatchEvent, DynamoDBEvent, Rate

from chalicelib.config import get_settings
from chalicelib.observability import in_invocation, record_scope

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.batch import BatchProcessor
    from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import (
        DynamoDBRecord,
    )

blueprint = Blueprint(__name__)


@lru_cache(maxsize=1)
def _processor() -> BatchProcessor:
    # Imported here: the API function loads this module too and never needs Powertools batch.
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType

    return BatchProcessor(event_type=EventType.DynamoDBStreams)


@blueprint.on_dynamodb_record(
    stream_arn=get_settings().messages_stream_arn, name="notify_messages", batch_size=50
)
@in_invocation
def notify_messages(event: DynamoDBEvent) -> dict[str, Any]:
    """One bad record does not hold up the others: it is reported in batchItemFailures."""
    from aws_lambda_powertools.utilities.batch import process_partial_response

    return dict(
        process_partial_response(
            event=event.to_dict(),
            record_handler=_notify,
            processor=_processor(),
            context=event.context,  # type: ignore[arg-type]
        )
    )


def _notify(record: DynamoDBRecord) -> None:
    from chalicelib.services.notifications import on_stream_record

    with record_scope():
        on_stream_record(record.raw_event)


@blueprint.schedule(Rate(5, unit=Rate.MINUTES), name="flush_mail_digests")
@in_invocation
def flush_mail_digests(event: CloudWatchEvent) -> dict[str, Any]:
    from chalicelib.services.outbox import flush_digests

    return {"digests": flush_digests()}

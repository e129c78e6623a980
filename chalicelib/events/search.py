"""The search index, written from the messages table's stream (services/search.py)."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

from chalice.app import Blueprint, DynamoDBEvent

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


# The stream's second reader (notifications is the first): DynamoDB advises at most two
# functions per stream; a third would need a fan-out.
@blueprint.on_dynamodb_record(
    stream_arn=get_settings().messages_stream_arn, name="index_messages", batch_size=100
)
@in_invocation
def index_messages(event: DynamoDBEvent) -> dict[str, Any]:
    """One bad record does not hold up the others: it is reported in batchItemFailures."""
    from aws_lambda_powertools.utilities.batch import process_partial_response

    return dict(
        process_partial_response(
            event=event.to_dict(),
            record_handler=_index,
            processor=_processor(),
            context=event.context,  # type: ignore[arg-type]
        )
    )


def _index(record: DynamoDBRecord) -> None:
    from chalicelib.services.search import on_stream_record

    with record_scope():
        on_stream_record(record.raw_event)

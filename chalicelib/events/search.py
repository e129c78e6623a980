"""The search index, written from the messages table's stream (services/search.py)."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, DynamoDBEvent

from chalicelib.config import get_settings
from chalicelib.events.batches import each_stream_record
from chalicelib.observability import in_invocation

blueprint = Blueprint(__name__)


# The stream's second reader (notifications is the first): DynamoDB advises at most two
# functions per stream; a third would need a fan-out.
@blueprint.on_dynamodb_record(
    stream_arn=get_settings().messages_stream_arn, name="index_messages", batch_size=100
)
@in_invocation
def index_messages(event: DynamoDBEvent) -> dict[str, Any]:
    """One bad record does not hold up the others: it is reported in batchItemFailures."""
    from chalicelib.services.search import on_stream_record

    return each_stream_record(event, on_stream_record)


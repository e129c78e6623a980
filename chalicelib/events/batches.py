"""The one way a stream function reads its batch: each record on its own, a bad one reported in
batchItemFailures (Lambda retries from it) without holding up the others."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from chalice.app import DynamoDBEvent

from chalicelib.observability import record_scope

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import (
        DynamoDBRecord,
    )


def each_stream_record(
    event: DynamoDBEvent, handle: Callable[[dict[str, Any]], object]
) -> dict[str, Any]:
    """`handle` gets each record as DynamoDB Streams sends it, in its own record scope (logs)."""
    # Imported here: the API function loads the event modules too and never needs Powertools
    # batch. A processor per call: it holds the batch's results, and the local event pump runs
    # two stream functions at once in one process.
    from aws_lambda_powertools.utilities.batch import (
        BatchProcessor,
        EventType,
        process_partial_response,
    )

    def one(record: DynamoDBRecord) -> None:
        with record_scope():
            handle(record.raw_event)

    return dict(
        process_partial_response(
            event=event.to_dict(),
            record_handler=one,
            processor=BatchProcessor(event_type=EventType.DynamoDBStreams),
            context=event.context,  # type: ignore[arg-type]
        )
    )

"""Received mail: SES stores it in the inbound bucket and announces it through SNS → SQS; a
schedule quarantines deliveries whose attempt died and that no delivery will come back for."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

from chalice.app import Blueprint, CloudWatchEvent, Rate, SQSEvent

from chalicelib.config import get_settings
from chalicelib.observability import in_invocation, record_scope

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.batch import BatchProcessor
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

blueprint = Blueprint(__name__)


@lru_cache(maxsize=1)
def _processor() -> BatchProcessor:
    # Imported here: the API function loads this module too and never needs Powertools batch.
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType

    return BatchProcessor(event_type=EventType.SQS)


@blueprint.on_sqs_message(queue=get_settings().inbound_queue, name="inbound_mail", batch_size=10)
@in_invocation
def inbound_mail(event: SQSEvent) -> dict[str, Any]:
    """A message that fails is reported in batchItemFailures and comes back; the others go on."""
    from aws_lambda_powertools.utilities.batch import process_partial_response

    return dict(
        process_partial_response(
            event=event.to_dict(),
            record_handler=_receive,
            processor=_processor(),
            context=event.context,  # type: ignore[arg-type]
        )
    )


def _receive(record: SQSRecord) -> None:
    from chalicelib.services.inbound.pipeline import receive

    with record_scope():
        receive(record.body, receive_count=_receive_count(record))


def _receive_count(record: SQSRecord) -> int:
    """How many times the queue has handed this message over, this time included."""
    try:
        return max(1, int(record.attributes.approximate_receive_count))
    except (KeyError, TypeError, ValueError):
        return 1


@blueprint.schedule(Rate(15, unit=Rate.MINUTES), name="sweep_inbound")
@in_invocation
def sweep_inbound(event: CloudWatchEvent) -> dict[str, Any]:
    from chalicelib.services.inbound.deliveries import quarantine_abandoned

    return {"quarantined": quarantine_abandoned()}

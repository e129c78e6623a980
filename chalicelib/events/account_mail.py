"""Account mail the API queued (password reset and sign-in links, registration): sent after the
request has answered, so the answer and its time are the same for known and unknown addresses."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

from chalice.app import Blueprint, SQSEvent

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


@blueprint.on_sqs_message(queue=get_settings().account_mail_queue, name="account_mail",
                          batch_size=10)
@in_invocation
def account_mail(event: SQSEvent) -> dict[str, Any]:
    """A request that fails is reported in batchItemFailures and comes back; the others go on."""
    from aws_lambda_powertools.utilities.batch import process_partial_response

    return dict(
        process_partial_response(
            event=event.to_dict(),
            record_handler=_send,
            processor=_processor(),
            context=event.context,  # type: ignore[arg-type]
        )
    )


def _send(record: SQSRecord) -> None:
    from chalicelib.services import magic_links
    from chalicelib.services.users import send_account_mail

    with record_scope():
        if not magic_links.send_queued(record.body):  # sign-in links: their own module
            send_account_mail(record.body)

"""SES bounce and complaint notifications, through SNS: the suppression list."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, SNSEvent

from chalicelib.config import get_settings
from chalicelib.observability import in_invocation

blueprint = Blueprint(__name__)


@blueprint.on_sns_message(topic=get_settings().feedback_topic, name="mail_feedback")
@in_invocation
def mail_feedback(event: SNSEvent) -> dict[str, Any]:
    from chalicelib.services.suppressions import record_feedback

    return {"suppressed": len(record_feedback(event.message))}

"""Items as a DynamoDB stream delivers them (attribute-value JSON) turned back into models."""

from __future__ import annotations

from typing import Any

from chalicelib.data.messages import MessageModel


def message_from_image(image: dict[str, Any]) -> MessageModel:
    """A NEW_IMAGE of the messages table; raises on an image that is not a message."""
    message = MessageModel.from_raw_data(image)
    if not message.ticket_id or not message.message_id:
        raise ValueError("stream image is not a message")
    return message

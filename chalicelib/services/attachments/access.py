"""What every part of the documents shares: who may see a file, and one file of a ticket the
caller may see."""

from __future__ import annotations

import re

from chalicelib.data import attachments as store
from chalicelib.data.attachments import AttachmentModel
from chalicelib.data.messages import PUBLIC
from chalicelib.data.tickets import TicketModel
from chalicelib.errors import NotFound
from chalicelib.services.principal import Principal

SYSTEM = "system"  # the uploader role of a file the server stored itself (a mail's)
ID_FORMAT = re.compile(r"[0-9a-f]{32}")


def may_see(principal: Principal, attachment: AttachmentModel) -> bool:
    return principal.is_staff or attachment.visibility == PUBLIC


def visible_attachment(
    principal: Principal, ticket: TicketModel, attachment_id: str
) -> AttachmentModel:
    """One file of a ticket the caller may see; an internal file is, for a customer, the same
    404 as one that does not exist or belongs to another ticket."""
    attachment = (
        store.get_attachment(ticket.ticket_id, attachment_id)
        if ID_FORMAT.fullmatch(attachment_id) else None
    )
    if attachment is None or not may_see(principal, attachment):
        raise NotFound("No such document.", code="attachment_not_found")
    return attachment

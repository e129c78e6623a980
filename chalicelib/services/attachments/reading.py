"""Reading the documents: the documents area's lists, download links, and whether files may go
with a message."""

from __future__ import annotations

from collections.abc import Sequence

from chalicelib.adapters import s3
from chalicelib.data import attachments as store
from chalicelib.data.attachments import READY, AttachmentModel
from chalicelib.data.messages import INTERNAL, PUBLIC
from chalicelib.data.tickets import TicketModel
from chalicelib.errors import Conflict, InvalidInput, NotFound
from chalicelib.observability import count
from chalicelib.services import files
from chalicelib.services.attachments.access import ID_FORMAT, may_see, visible_attachment
from chalicelib.services.attachments.limits import MAX_PER_MESSAGE
from chalicelib.services.attachments.views import customer_shape, staff_shape
from chalicelib.services.principal import Principal
from chalicelib.services.settings import MAX_ATTACHMENTS_PER_TICKET, get_portal_settings
from chalicelib.services.tickets import access
from chalicelib.shapes.attachments import CustomerAttachmentList, StaffAttachmentList

DOWNLOAD_SECONDS = 5 * 60  # how long a download link works


# ---------------------------------------------------------------------------------------------
# The documents area and downloads


def list_customer_attachments(principal: Principal, ticket_id: str) -> CustomerAttachmentList:
    """The ticket's verified public files, newest first."""
    settings = get_portal_settings()
    ticket = access.customer_ticket(principal, ticket_id)
    return {"items": [customer_shape(a, principal, settings)
                      for a in _ready_files(ticket, public_only=True)]}


def list_staff_attachments(principal: Principal, ticket_id: str) -> StaffAttachmentList:
    """The ticket's verified files, internal ones too, newest first."""
    ticket = access.staff_ticket(principal, ticket_id)
    return {"items": [staff_shape(a) for a in _ready_files(ticket, public_only=False)]}


def _ready_files(ticket: TicketModel, *, public_only: bool) -> list[AttachmentModel]:
    found = store.list_attachments(
        ticket.ticket_id, public_only=public_only, limit=MAX_ATTACHMENTS_PER_TICKET
    )
    found.sort(key=lambda a: float(a.confirmed_at or a.created_at), reverse=True)
    return found


def download_url(principal: Principal, ticket_id: str, attachment_id: str) -> str:
    """A short-lived link to the verified bytes, served as a download under the cleaned name
    and the verified type."""
    ticket = access.readable_ticket(principal, ticket_id)
    attachment = visible_attachment(principal, ticket, attachment_id)
    if attachment.status != READY or not attachment.storage_key:
        raise NotFound("No such document.", code="attachment_not_found")
    file_type = files.CATALOG.get(str(attachment.content_type))
    count("AttachmentDownloaded")
    return s3.download_url(
        str(attachment.storage_key),
        content_type=files.served_type(file_type) if file_type else "application/octet-stream",
        disposition=files.content_disposition(str(attachment.filename)),
        expires_in=DOWNLOAD_SECONDS,
    )


# ---------------------------------------------------------------------------------------------
# Attaching to a message (called by services/tickets/ inside its rule functions)


def attachable(
    principal: Principal, ticket_id: str, attachment_ids: Sequence[str], visibility: str
) -> tuple[str, ...]:
    """Check that these files may go with a message of this visibility on this ticket; the
    message's transaction then attaches them, conditioned on the same facts."""
    wanted = tuple(dict.fromkeys(attachment_ids))
    if not wanted:
        return ()
    if len(wanted) > MAX_PER_MESSAGE:
        raise InvalidInput(f"A message carries at most {MAX_PER_MESSAGE} files.",
                           code="too_many_attachments")
    found = store.get_attachments(ticket_id, [a for a in wanted if ID_FORMAT.fullmatch(a)])
    for attachment_id in wanted:
        attachment = found.get(attachment_id)
        if attachment is None or not may_see(principal, attachment):
            raise InvalidInput("No such document on this ticket.", code="unknown_attachment",
                               details={"attachment_id": attachment_id})
        if attachment.status != READY:
            raise Conflict("This file has not been confirmed yet.",
                           code="attachment_not_confirmed",
                           details={"attachment_id": attachment_id})
        if attachment.message_id:
            raise Conflict("This file already went with another message.",
                           code="attachment_already_attached",
                           details={"attachment_id": attachment_id})
        if visibility == INTERNAL and attachment.visibility == PUBLIC:
            raise Conflict("The customer can already see this file: it cannot go with an "
                           "internal note.", code="attachment_public",
                           details={"attachment_id": attachment_id})
    return wanted

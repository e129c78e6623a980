"""Files turned into the customer's and the console's answers."""

from __future__ import annotations

from chalicelib import clock
from chalicelib.data.attachments import AttachmentModel
from chalicelib.data.messages import INTERNAL, PUBLIC
from chalicelib.services.attachments.access import SYSTEM
from chalicelib.services.principal import CUSTOMER, Principal
from chalicelib.services.settings import PortalSettings
from chalicelib.services.tickets import views as ticket_views
from chalicelib.shapes.attachments import CustomerAttachment, StaffAttachment


def customer_shape(
    attachment: AttachmentModel, principal: Principal, settings: PortalSettings
) -> CustomerAttachment:
    # Built field by field from a public file only: nothing internal can ride along.
    if attachment.visibility != PUBLIC:
        raise AssertionError("internal attachment on a customer path")
    return {
        "id": attachment.attachment_id,
        "filename": attachment.filename,
        "content_type": attachment.content_type,
        "size": int(attachment.size),
        "status": attachment.status,
        "created_at": _shown_at(attachment),
        "uploaded_by": _uploader_for_customer(attachment, settings),
        "mine": attachment.uploaded_by == principal.user_id,
        "message_id": attachment.message_id,
    }


def _uploader_for_customer(attachment: AttachmentModel, settings: PortalSettings) -> str:
    """Agents are shown to customers as the portal's author display says (as their messages)."""
    if attachment.uploader_role in (CUSTOMER, SYSTEM):
        return str(attachment.uploader_name)
    return ticket_views.agent_shown_as(str(attachment.uploader_name), settings)


def staff_shape(attachment: AttachmentModel) -> StaffAttachment:
    return {
        "id": attachment.attachment_id,
        "filename": attachment.filename,
        "content_type": attachment.content_type,
        "size": int(attachment.size),
        "status": attachment.status,
        "created_at": _shown_at(attachment),
        "visibility": attachment.visibility,
        "internal": attachment.visibility == INTERNAL,
        "sha256": attachment.sha256,
        "uploaded_by": {
            "id": attachment.uploaded_by,
            "name": attachment.uploader_name,
            "role": attachment.uploader_role,
        },
        "message_id": attachment.message_id,
        "message_seq": int(attachment.message_seq) if attachment.message_seq is not None else None,
    }


def _shown_at(attachment: AttachmentModel) -> str:
    """When the file was confirmed (asked for, while it is pending)."""
    return clock.iso(float(attachment.confirmed_at or attachment.created_at))

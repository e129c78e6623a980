"""A file the server received itself (an inbound mail's attachment), stored under the same
limits and checks as an upload, with no presigned step."""

from __future__ import annotations

import uuid

from chalicelib import clock
from chalicelib.adapters import s3
from chalicelib.data import attachments as store
from chalicelib.data import users as user_store
from chalicelib.data.attachments import AttachmentModel
from chalicelib.data.messages import PUBLIC
from chalicelib.errors import Conflict
from chalicelib.observability import count
from chalicelib.services import files
from chalicelib.services.attachments.access import SYSTEM
from chalicelib.services.attachments.views import staff_shape
from chalicelib.services.settings import get_portal_settings
from chalicelib.services.tickets import access
from chalicelib.shapes.attachments import StaffAttachment


def store_bytes(
    ticket_id: str,
    filename: str,
    content_type: str,
    data: bytes,
    uploaded_by: str | None,
    *,
    visibility: str = PUBLIC,
    attachment_id: str | None = None,
) -> StaffAttachment:
    """Store a file the server received itself (an inbound mail's attachment) under the same
    limits and checks as an upload; it is verified before it is recorded. Raises what a confirm
    would (InvalidInput, PayloadTooLarge, Unprocessable, Conflict `too_many_files`).
    `attachment_id`, derived from the delivery by the caller, makes a retry find the file an
    earlier attempt stored, as it was stored, instead of storing it a second time."""
    settings = get_portal_settings()
    ticket = access.existing_ticket(ticket_id)
    if attachment_id is not None:
        earlier = store.get_attachment(ticket.ticket_id, attachment_id)
        if earlier is not None:
            return staff_shape(earlier)
    declared = files.normalize_type(content_type)
    if declared not in files.CATALOG:  # mail clients often say application/octet-stream
        declared = files.guess_type(filename) or declared
    file_type = files.check_declared(
        declared, len(data), allowed=settings.attachment_types,
        max_bytes=settings.attachment_max_bytes,
    )
    verified = files.verify(
        [data], file_type, declared_size=len(data), max_bytes=settings.attachment_max_bytes
    )
    attachment_id = attachment_id or uuid.uuid4().hex
    storage_key = f"tickets/{ticket.ticket_id}/{attachment_id}/{verified.sha256}"
    try:
        s3.put_object(storage_key, verified.body, file_type.mime)
    finally:
        verified.close()
    uploader = user_store.get_user(uploaded_by) if uploaded_by else None
    now = clock.now()
    attachment = AttachmentModel(
        ticket_id=ticket.ticket_id,
        attachment_id=attachment_id,
        visibility=visibility,
        filename=files.clean_filename(filename, file_type),
        content_type=file_type.mime,
        size=verified.size,
        storage_key=storage_key,
        sha256=verified.sha256,
        uploaded_by=uploader.user_id if uploader else None,
        uploader_role=uploader.role if uploader else SYSTEM,
        uploader_name=uploader.name if uploader else "",
        created_at=now,
        confirmed_at=now,
    )
    try:
        store.create_ready(attachment, settings.attachments_per_ticket)
    except Conflict:
        s3.delete_object(storage_key)
        raise
    count("AttachmentStored")
    return staff_shape(attachment)

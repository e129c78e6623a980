"""Uploads, for either side: ask (a presigned POST for a key the server chose), then confirm
(read back and proved before anything is visible); and the hourly purge of uploads nobody
confirmed."""

from __future__ import annotations

import contextlib
import uuid

from chalicelib import clock
from chalicelib.adapters import s3
from chalicelib.data import attachments as store
from chalicelib.data import users as user_store
from chalicelib.data.attachments import READY, AttachmentModel
from chalicelib.data.messages import INTERNAL, PUBLIC
from chalicelib.data.tickets import TicketModel
from chalicelib.errors import Conflict, NotFound, PayloadTooLarge, Unprocessable
from chalicelib.observability import count
from chalicelib.services import audit, files
from chalicelib.services.attachments.access import visible_attachment
from chalicelib.services.attachments.views import customer_shape, staff_shape
from chalicelib.services.principal import Principal
from chalicelib.services.settings import PortalSettings, get_portal_settings
from chalicelib.services.tickets import access
from chalicelib.shapes.attachments import (
    CustomerAttachment,
    CustomerUpload,
    StaffAttachment,
    StaffUpload,
    UploadForm,
)

UPLOAD_WINDOW_SECONDS = 10 * 60  # how long the presigned POST form may be used
STALE_AFTER_SECONDS = 24 * 3600  # pending uploads older than this are removed


# ---------------------------------------------------------------------------------------------
# Upload: ask, then confirm


def request_customer_upload(
    principal: Principal, ticket_id: str, *, filename: str, content_type: str, size: int
) -> CustomerUpload:
    """A customer's file is for the team to see (public); none while messaging is blocked."""
    settings = get_portal_settings()
    ticket = access.customer_ticket(principal, ticket_id)
    refusal = access.blocked_refusal(ticket)
    if refusal:
        raise refusal.error()
    attachment, upload = _request_upload(
        principal, ticket, settings, filename=filename, content_type=content_type, size=size,
        visibility=PUBLIC,
    )
    return {"attachment": customer_shape(attachment, principal, settings), "upload": upload}


def request_staff_upload(
    principal: Principal,
    ticket_id: str,
    *,
    filename: str,
    content_type: str,
    size: int,
    visibility: str = INTERNAL,
) -> StaffUpload:
    """An agent's file is internal until it is sent with a public answer, unless the agent
    shares it (`visibility="public"`) straight away."""
    settings = get_portal_settings()
    ticket = access.staff_ticket(principal, ticket_id)
    attachment, upload = _request_upload(
        principal, ticket, settings, filename=filename, content_type=content_type, size=size,
        visibility=visibility,
    )
    return {"attachment": staff_shape(attachment), "upload": upload}


def _request_upload(
    principal: Principal,
    ticket: TicketModel,
    settings: PortalSettings,
    *,
    filename: str,
    content_type: str,
    size: int,
    visibility: str,
) -> tuple[AttachmentModel, UploadForm]:
    """Check the limits, record a pending upload, and hand out the form to POST to S3."""
    declared = files.normalize_type(content_type) or files.guess_type(filename) or ""
    file_type = files.check_declared(
        declared, size, allowed=settings.attachment_types, max_bytes=settings.attachment_max_bytes
    )
    now = clock.now()
    attachment_id = uuid.uuid4().hex
    attachment = AttachmentModel(
        ticket_id=ticket.ticket_id,
        attachment_id=attachment_id,
        visibility=visibility,
        filename=files.clean_filename(filename, file_type),
        content_type=file_type.mime,
        size=size,
        upload_key=f"uploads/{ticket.ticket_id}/{attachment_id}",
        uploaded_by=principal.user_id,
        uploader_role=principal.role,
        uploader_name=_user_name(principal.user_id),
        created_at=now,
    )
    store.create_pending(attachment, settings.attachments_per_ticket)
    form = s3.presigned_upload(
        str(attachment.upload_key), file_type.mime, size, UPLOAD_WINDOW_SECONDS
    )
    count("AttachmentRequested")
    upload: UploadForm = {
        "url": str(form["url"]),
        "fields": {str(k): str(v) for k, v in dict(form["fields"]).items()},
        "expires_at": clock.iso(now + UPLOAD_WINDOW_SECONDS),
    }
    return attachment, upload


def confirm_customer_upload(
    principal: Principal, ticket_id: str, attachment_id: str
) -> CustomerAttachment:
    settings = get_portal_settings()
    ticket = access.customer_ticket(principal, ticket_id)
    return customer_shape(
        _confirm_upload(principal, ticket, attachment_id, settings), principal, settings
    )


def confirm_staff_upload(
    principal: Principal, ticket_id: str, attachment_id: str
) -> StaffAttachment:
    settings = get_portal_settings()
    ticket = access.staff_ticket(principal, ticket_id)
    return staff_shape(_confirm_upload(principal, ticket, attachment_id, settings))


def _confirm_upload(
    principal: Principal, ticket: TicketModel, attachment_id: str, settings: PortalSettings
) -> AttachmentModel:
    """Verify what arrived in S3 and make it visible. Confirming a verified file again answers
    the same as the first time (a retry after a lost answer is not an error)."""
    attachment = visible_attachment(principal, ticket, attachment_id)
    if attachment.status == READY:
        return attachment
    upload_key = str(attachment.upload_key)
    stored = s3.head_object(upload_key)
    if stored is None:
        # The browser may confirm before its POST finished, or the POST failed: it can still
        # upload with the same form until it expires, so the record stays.
        raise Conflict("The file has not arrived yet: upload it, then confirm.",
                       code="upload_missing")
    max_bytes = settings.attachment_max_bytes
    file_type = files.CATALOG.get(str(attachment.content_type))
    try:
        if file_type is None or file_type.mime not in settings.attachment_types:
            raise Unprocessable("This type of file is no longer accepted here.",
                                code="type_not_allowed")
        if stored.size > max_bytes:
            raise PayloadTooLarge(f"Files may be at most {max_bytes} bytes.",
                                  code="file_too_large", details={"max_bytes": max_bytes})
        if stored.size == 0:
            raise Unprocessable("The file is empty.", code="file_empty")
        if stored.size != int(attachment.size):
            raise Unprocessable(
                f"The file has {stored.size} bytes, not the {int(attachment.size)} that were "
                "announced.", code="size_mismatch",
            )
        # `verify` judges the bytes actually read again: HEAD only describes them.
        with contextlib.closing(s3.read_object(upload_key, stored.etag, max_bytes)) as chunks:
            verified = files.verify(
                chunks, file_type, declared_size=int(attachment.size), max_bytes=max_bytes
            )
    except (Unprocessable, PayloadTooLarge) as refusal:
        _reject(principal, attachment, refusal.code)
        refusal.details = {**(refusal.details or {}), "deleted": True}
        raise
    storage_key = f"tickets/{ticket.ticket_id}/{attachment.attachment_id}/{verified.sha256}"
    try:
        s3.put_object(storage_key, verified.body, file_type.mime)
    finally:
        verified.close()
    try:
        store.mark_ready(
            attachment, storage_key=storage_key, size=verified.size, sha256=verified.sha256,
            confirmed_at=clock.now(),
        )
    except Conflict:
        current = store.get_attachment(ticket.ticket_id, attachment.attachment_id)
        if current is None or current.storage_key != storage_key:
            s3.delete_object(storage_key)  # the cleanup or a concurrent confirm got there first
        if current is not None and current.status == READY:
            return current
        raise NotFound("No such document.", code="attachment_not_found") from None
    s3.delete_object(upload_key)
    count("AttachmentConfirmed")
    return attachment


def _reject(principal: Principal, attachment: AttachmentModel, reason: str) -> None:
    s3.delete_object(str(attachment.upload_key))
    with contextlib.suppress(Conflict):  # a concurrent confirm or the cleanup settled it
        store.discard_pending(attachment)
    count("AttachmentRejected")
    audit.record(
        "attachment.rejected", actor=principal, outcome="denied",
        target=f"ticket:{attachment.ticket_id}",
        details={"reason": reason, "content_type": attachment.content_type},
    )


def _user_name(user_id: str) -> str:
    user = user_store.get_user(user_id)
    return user.name if user else ""


# ---------------------------------------------------------------------------------------------
# Scheduled: stale uploads


def purge_stale_uploads(batch: int = 100) -> int:
    """Remove uploads nobody confirmed within a day: the object (if it ever arrived) and the
    record, which frees the ticket's slot."""
    cutoff = clock.now() - STALE_AFTER_SECONDS
    removed = 0
    while True:
        stale = store.stale_pending(cutoff, batch)
        before = removed
        for attachment in stale:
            try:
                store.discard_pending(attachment)
            except Conflict:
                continue  # confirmed at the last moment (or still in the index a moment longer)
            if attachment.upload_key:
                s3.delete_object(str(attachment.upload_key))
            removed += 1
        # The index is eventually consistent: a round that removed nothing would only read the
        # same entries again; the next hourly run finds whatever is left.
        if len(stale) < batch or removed == before:
            break
    if removed:
        count("StaleUploadsRemoved", removed)
    return removed

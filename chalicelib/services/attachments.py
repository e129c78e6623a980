"""Documents on a ticket: upload, verify, list, download, attach to a message.

The browser uploads straight to S3 with a presigned POST whose key the server chose
(`uploads/<ticket>/<attachment>`, never the user's file name). Nothing uploaded is visible until
a confirm has read it back and proved it (size, type from the content, SHA-256); the verified
bytes are then written by the server under a key of their own (`tickets/<ticket>/<attachment>/
<sha256>`), so the upload form, reusable until it expires, cannot swap a checked file for
another. A file that fails is deleted and the answer says why. Uploads never confirmed are
removed by the hourly cleanup after a day.

Who sees what follows the ticket: the same access check as the ticket itself, and a file that
went with an internal note (or an agent's upload not yet sent) is internal: no customer path
returns it, lists it or signs a URL for it.
"""

from __future__ import annotations

import contextlib
import re
import uuid
from collections.abc import Sequence

from chalicelib import clock
from chalicelib.adapters import s3
from chalicelib.data import attachments as store
from chalicelib.data import users as user_store
from chalicelib.data.attachments import READY, AttachmentModel
from chalicelib.data.messages import INTERNAL, PUBLIC
from chalicelib.data.tickets import TicketModel
from chalicelib.errors import Conflict, InvalidInput, NotFound, PayloadTooLarge, Unprocessable
from chalicelib.observability import count
from chalicelib.services import audit, files
from chalicelib.services.principal import CUSTOMER, Principal
from chalicelib.services.settings import (
    MAX_ATTACHMENTS_PER_TICKET,
    PortalSettings,
    get_portal_settings,
)
from chalicelib.services.tickets import access, views
from chalicelib.shapes.attachments import (
    CustomerAttachment,
    CustomerAttachmentList,
    CustomerUpload,
    StaffAttachment,
    StaffAttachmentList,
    StaffUpload,
    UploadForm,
)

UPLOAD_WINDOW_SECONDS = 10 * 60  # how long the presigned POST form may be used
DOWNLOAD_SECONDS = 5 * 60  # how long a download link works
STALE_AFTER_SECONDS = 24 * 3600  # pending uploads older than this are removed
MAX_PER_MESSAGE = 10
SYSTEM = "system"
_ID = re.compile(r"[0-9a-f]{32}")


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
    return {"attachment": _customer_shape(attachment, principal, settings), "upload": upload}


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
    return {"attachment": _staff_shape(attachment), "upload": upload}


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
    return _customer_shape(
        _confirm_upload(principal, ticket, attachment_id, settings), principal, settings
    )


def confirm_staff_upload(
    principal: Principal, ticket_id: str, attachment_id: str
) -> StaffAttachment:
    settings = get_portal_settings()
    ticket = access.staff_ticket(principal, ticket_id)
    return _staff_shape(_confirm_upload(principal, ticket, attachment_id, settings))


def _confirm_upload(
    principal: Principal, ticket: TicketModel, attachment_id: str, settings: PortalSettings
) -> AttachmentModel:
    """Verify what arrived in S3 and make it visible. Confirming a verified file again answers
    the same as the first time (a retry after a lost answer is not an error)."""
    attachment = _attachment(principal, ticket, attachment_id)
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
            return _staff_shape(earlier)
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
    return _staff_shape(attachment)


# ---------------------------------------------------------------------------------------------
# The documents area and downloads


def list_customer_attachments(principal: Principal, ticket_id: str) -> CustomerAttachmentList:
    """The ticket's verified public files, newest first."""
    settings = get_portal_settings()
    ticket = access.customer_ticket(principal, ticket_id)
    return {"items": [_customer_shape(a, principal, settings)
                      for a in _ready_files(ticket, public_only=True)]}


def list_staff_attachments(principal: Principal, ticket_id: str) -> StaffAttachmentList:
    """The ticket's verified files, internal ones too, newest first."""
    ticket = access.staff_ticket(principal, ticket_id)
    return {"items": [_staff_shape(a) for a in _ready_files(ticket, public_only=False)]}


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
    attachment = _attachment(principal, ticket, attachment_id)
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
    found = store.get_attachments(ticket_id, [a for a in wanted if _ID.fullmatch(a)])
    for attachment_id in wanted:
        attachment = found.get(attachment_id)
        if attachment is None or not _may_see(principal, attachment):
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


# ---------------------------------------------------------------------------------------------
# Access and shapes


def _may_see(principal: Principal, attachment: AttachmentModel) -> bool:
    return principal.is_staff or attachment.visibility == PUBLIC


def _attachment(principal: Principal, ticket: TicketModel, attachment_id: str) -> AttachmentModel:
    """One file of a ticket the caller may see; an internal file is, for a customer, the same
    404 as one that does not exist or belongs to another ticket."""
    attachment = (
        store.get_attachment(ticket.ticket_id, attachment_id)
        if _ID.fullmatch(attachment_id) else None
    )
    if attachment is None or not _may_see(principal, attachment):
        raise NotFound("No such document.", code="attachment_not_found")
    return attachment


def _user_name(user_id: str) -> str:
    user = user_store.get_user(user_id)
    return user.name if user else ""


def _customer_shape(
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
    return views.agent_shown_as(str(attachment.uploader_name), settings)


def _staff_shape(attachment: AttachmentModel) -> StaffAttachment:
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

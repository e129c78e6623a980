"""What the documents routes answer (services/attachments/): a file as the customer sees it
(public files only, agents shown as the portal's author display says) and as the team does."""

from __future__ import annotations

from typing_extensions import TypedDict


class CustomerAttachment(TypedDict):
    id: str
    filename: str  # cleaned; never the raw name the browser sent
    content_type: str
    size: int  # bytes
    status: str  # pending until confirmed, then ready
    created_at: str  # ISO 8601, UTC: when confirmed (asked for, while pending)
    uploaded_by: str
    mine: bool
    message_id: str | None  # the message it went with


class AttachmentUploader(TypedDict):
    id: str | None  # none for a file that came with a mail from no account
    name: str
    role: str  # customer, agent, admin or system


class StaffAttachment(TypedDict):
    id: str
    filename: str
    content_type: str
    size: int
    status: str
    created_at: str
    visibility: str  # public or internal
    internal: bool
    sha256: str | None  # of the verified bytes
    uploaded_by: AttachmentUploader
    message_id: str | None
    message_seq: int | None


class UploadForm(TypedDict):
    """A presigned POST: the browser posts `fields` and then the file to `url`."""

    url: str
    fields: dict[str, str]
    expires_at: str


class CustomerUpload(TypedDict):
    attachment: CustomerAttachment
    upload: UploadForm


class StaffUpload(TypedDict):
    attachment: StaffAttachment
    upload: UploadForm


class CustomerAttachmentAnswer(TypedDict):
    attachment: CustomerAttachment


class StaffAttachmentAnswer(TypedDict):
    attachment: StaffAttachment


class CustomerAttachmentList(TypedDict):
    items: list[CustomerAttachment]  # newest first


class StaffAttachmentList(TypedDict):
    items: list[StaffAttachment]


class AcceptedType(TypedDict):
    mime: str
    extensions: list[str]  # ".jpg", ".jpeg"…: the first is the one the type is named by


class AttachmentLimits(TypedDict):
    """What the drop zones say and check before an upload (the pages' config answers)."""

    max_bytes: int  # the largest file
    types: list[AcceptedType]  # those the portal takes
    per_message: int  # files one message carries
    per_ticket: int  # files one ticket holds


class DownloadLink(TypedDict):
    """Instead of a redirect (`?redirect=false`)."""

    url: str
    expires_in: int  # seconds

"""What a drop zone says before anything is uploaded: the types the portal takes, how large a
file may be and how many go with one message. The pages read them from their config answer and
refuse at once what the server would refuse anyway; the server checks each file again."""

from __future__ import annotations

from chalicelib.services import files
from chalicelib.services.settings import PortalSettings
from chalicelib.shapes.attachments import AcceptedType, AttachmentLimits

MAX_PER_MESSAGE = 10  # files one message carries (the message bodies bound attachment_ids too)


def attachment_limits(settings: PortalSettings) -> AttachmentLimits:
    """The admin's limits, each type with the endings its files take (in the catalog's order,
    so every page lists them alike)."""
    allowed = set(settings.attachment_types)
    types: list[AcceptedType] = [
        {"mime": file_type.mime, "extensions": list(file_type.extensions)}
        for file_type in files.CATALOG.values() if file_type.mime in allowed
    ]
    return {
        "max_bytes": settings.attachment_max_bytes,
        "types": types,
        "per_message": MAX_PER_MESSAGE,
        "per_ticket": settings.attachments_per_ticket,
    }

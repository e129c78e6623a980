"""A mail's files, stored with the ticket through the documents' own checks
(`services/attachments/`: types, sizes, the per-ticket limit), bounded per mail, and named in
one internal event: what was stored, what was not and why."""

from __future__ import annotations

from chalicelib.errors import ParleyError
from chalicelib.services.attachments.received import store_bytes
from chalicelib.services.inbound.deliveries import file_id
from chalicelib.services.inbound.received import Mail
from chalicelib.services.tickets import email as ticket_mail

MAX_MAIL_FILES = 50  # files one mail may add; the rest stay in the raw mail, named in the event
EVENT_FILE_NAMES = 30  # files the attachments event names; it counts the others


def store_files(mail: Mail, ticket_id: str, uploader_id: str | None, visibility: str) -> None:
    """Files go through the documents' checks (types, sizes, per-ticket limit); whatever is
    refused, or withheld by a virus verdict, is named in an internal event. Each file's id is
    derived from the delivery, so a retry finds what an earlier attempt stored; the event is
    bounded, so no number of files can outgrow its item and fail the delivery half-way."""
    files = mail.parsed.attachments
    if not files:
        return
    stored: list[str] = []
    dropped: list[dict[str, str]] = []
    for index, attachment in enumerate(files):
        name = attachment.filename[:150]
        if index >= MAX_MAIL_FILES:
            dropped.append({"filename": name, "reason": f"more than {MAX_MAIL_FILES} files in "
                                                        "one mail; kept in the raw mail"})
            continue
        if mail.decision.withhold_attachments:
            dropped.append({"filename": name, "reason": "withheld: SES virus verdict "
                                                        + mail.receipt.verdicts.get("virus", "")})
            continue
        try:
            store_bytes(ticket_id, attachment.filename, attachment.content_type,
                        attachment.content, uploader_id, visibility=visibility,
                        attachment_id=file_id(mail.receipt.delivery_id, index))
        except ParleyError as exc:
            dropped.append({"filename": name, "reason": exc.message[:200]})
            continue
        stored.append(name)
    ticket_mail.record_email_event(
        ticket_id, _files_text(stored, dropped),
        {"inbound_id": mail.receipt.delivery_id, "event": "mail_attachments",
         "stored": stored[:EVENT_FILE_NAMES], "dropped": dropped[:EVENT_FILE_NAMES],
         "stored_count": len(stored), "dropped_count": len(dropped)},
        resume=mail.resume,
    )


def _files_text(stored: list[str], dropped: list[dict[str, str]]) -> str:
    lines = []
    if stored:
        more = len(stored) - EVENT_FILE_NAMES
        lines.append(f"Stored from the mail: {', '.join(stored[:EVENT_FILE_NAMES])}"
                     + (f" and {more} more." if more > 0 else "."))
    lines += [f"Not stored: {d['filename']} ({d['reason']})" for d in dropped[:EVENT_FILE_NAMES]]
    if len(dropped) > EVENT_FILE_NAMES:
        lines.append(f"… and {len(dropped) - EVENT_FILE_NAMES} more files not stored.")
    return "\n".join(lines)

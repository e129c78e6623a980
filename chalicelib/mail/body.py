"""The MIME tree of a message, walked into body text, HTML, attachments and delivery reports.

The rule is "show what a mail client shows": in multipart/alternative the plain and the HTML
rendition of one body (other renditions dropped); in multipart/related the root is the body and
the rest are its inline resources; in multipart/mixed the unnamed text parts are the body, in
order, and everything else is an attachment. An attached message (message/rfc822) is an
attachment, its own attachments are found too, and, when it is shown inline, its text follows the
body as a forwarded message. In multipart/report the machine-readable status is parsed.
"""

from __future__ import annotations

import html as html_escape
import mimetypes
import re
from dataclasses import dataclass, field
from email.generator import BytesGenerator
from email.message import Message
from email.parser import BytesParser
from email.policy import compat32
from io import BytesIO

from chalicelib.mail import transfer
from chalicelib.mail.charsets import decode_bytes, html_meta_charset
from chalicelib.mail.dsn import DeliveryStatus, parse_delivery_status
from chalicelib.mail.guard import Warnings
from chalicelib.mail.headers import decode_header, parse_addresses
from chalicelib.mail.html import html_to_text, sanitize_html
from chalicelib.mail.mime import (
    content_disposition,
    content_id,
    content_type,
    header_raw,
    param,
)
from chalicelib.mail.model import Attachment

MAX_DEPTH = 25
MAX_PARTS = 500

_BODY_TYPES = frozenset({"text/plain", "text/html", "text/enriched", "text/richtext"})
_MESSAGE_TYPES = frozenset({"message/rfc822", "message/global", "message/news"})
_STATUS_TYPES = frozenset({"message/delivery-status", "message/global-delivery-status"})
_EXTENSIONS = {
    "text/plain": ".txt",
    "text/html": ".html",
    "text/calendar": ".ics",
    "text/rfc822-headers": ".txt",
    "message/rfc822": ".eml",
    "message/delivery-status": ".txt",
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/gif": ".gif",
    "application/pgp-signature": ".asc",
    "application/pkcs7-signature": ".p7s",
    "application/x-pkcs7-signature": ".p7s",
    "application/ms-tnef": ".dat",
    "application/octet-stream": ".bin",
}
_BUILTIN_TYPES = mimetypes.MimeTypes(filenames=())  # not the host's /etc/mime.types: stable names
_UNSAFE_FILENAME = re.compile(r"[\x00-\x1f\x7f]+")
_ENRICHED_TAG = re.compile(r"<[^>]{1,40}>")
_DELIMITER_LINE = re.compile(rb"^--([^\r\n]{1,200}?)[ \t]*\r?$", re.MULTILINE)
_PART_HEADER = re.compile(rb"^[\x21-\x39\x3b-\x7e]+[ \t]*:")


@dataclass(frozen=True)
class Segment:
    """One body in reading order: its plain text and/or its HTML."""

    plain: str | None = None
    html: str | None = None
    converted: bool = False  # plain came from enriched text: a real text/plain wins over it

    def text(self) -> str:
        if self.plain is not None and self.plain.strip():
            return self.plain
        return html_to_text(self.html) if self.html else ""


@dataclass
class Body:
    segments: list[Segment] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    statuses: list[DeliveryStatus] = field(default_factory=list)
    has_delivery_status: bool = False

    def text(self) -> str:
        return "\n\n".join(text.strip("\n") for s in self.segments if (text := s.text()).strip())

    def html(self) -> str:
        if not any(s.html for s in self.segments):
            return ""
        pieces = [
            s.html if s.html else f"<pre>{html_escape.escape(s.plain or '')}</pre>"
            for s in self.segments
        ]
        return sanitize_html("\n".join(pieces))


def read_body(message: Message, warnings: Warnings, *, charset_hint: str | None) -> Body:
    walker = _Walker(warnings, charset_hint)
    walker.walk(message, depth=0, context="top")
    return walker.body


class _Walker:
    def __init__(self, warnings: Warnings, charset_hint: str | None) -> None:
        self.warnings = warnings
        self.hint = charset_hint
        self.body = Body()
        self.parts = 0

    def walk(self, part: Message, *, depth: int, context: str) -> None:
        self.parts += 1
        if depth > MAX_DEPTH or self.parts > MAX_PARTS:
            self.warnings.add("MIME tree too deep or too large; the rest was skipped")
            return
        ctype = content_type(part, self.warnings)
        self.warnings.guard(
            f"part {ctype}", None, lambda: self._dispatch(part, ctype, depth, context)
        )

    def _dispatch(self, part: Message, ctype: str, depth: int, context: str) -> None:
        payload = part.get_payload()
        if ctype in _STATUS_TYPES:
            self._delivery_status(part, ctype, context)
        elif isinstance(payload, list) and ctype.startswith("multipart/"):
            children = [child for child in payload if isinstance(child, Message)]
            self._multipart(part, children, ctype, depth)
        elif isinstance(payload, list) or ctype in _MESSAGE_TYPES:
            self._attached_message(part, payload, depth, context)
        elif ctype.startswith("multipart/"):
            recovered = _with_sniffed_boundary(part, ctype)
            if recovered is not None:
                self.warnings.add(f"{ctype}: boundary missing or wrong; recovered from the body")
                self.walk(recovered, depth=depth + 1, context=context)
            else:
                self.warnings.add(f"{ctype} without a usable boundary; read as text")
                self._text_leaf(part, "text/plain")
        elif self._is_body(part, ctype, context):
            self._text_leaf(part, ctype)
        elif context == "alternative" and ctype.startswith("text/") and ctype != "text/calendar":
            return  # another rendition of the same body (AMP, watch-html): not an attachment
        else:
            self._attachment(part, ctype)

    def _multipart(self, part: Message, children: list[Message], ctype: str, depth: int) -> None:
        subtype = ctype.partition("/")[2]
        if subtype == "alternative":
            self._alternative(children, depth)
            return
        root = self._related_root(part, children) if subtype == "related" else -1
        for index, child in enumerate(children):
            if subtype == "related":
                context = "body" if index == root else "related"
            elif subtype == "report":
                context = "body" if index == 0 else "report"
            else:
                context = "body"
            self.walk(child, depth=depth + 1, context=context)

    def _related_root(self, part: Message, children: list[Message]) -> int:
        start = (param(part, "start") or "").strip().strip("<>")
        for index, child in enumerate(children):
            if start and content_id(child) == start:
                return index
        return 0

    def _alternative(self, children: list[Message], depth: int) -> None:
        plain: Segment | None = None
        rich: str | None = None
        for child in children:
            before = len(self.body.segments)
            self.walk(child, depth=depth + 1, context="alternative")
            produced = self.body.segments[before:]
            del self.body.segments[before:]
            for segment in produced:
                if segment.plain is not None and (
                    plain is None or not segment.converted or plain.converted
                ):
                    plain = segment
                if segment.html is not None:
                    rich = segment.html
        if plain is not None or rich is not None:
            self.body.segments.append(
                Segment(plain=plain.plain if plain else None, html=rich, converted=False)
            )

    def _is_body(self, part: Message, ctype: str, context: str) -> bool:
        if ctype not in _BODY_TYPES or context in {"related", "report"}:
            return False
        disposition = content_disposition(part, self.warnings)
        if disposition == "attachment":
            return False
        # A named text part is a file the sender attached, unless it is the whole message.
        return context == "top" or not _given_filename(part)

    def _text_leaf(self, part: Message, ctype: str) -> None:
        data = self._payload(part)
        label = param(part, "charset")
        if ctype == "text/html" and not label:
            label = html_meta_charset(data)
        decoded = decode_bytes(data, label, fallback=self.hint)
        if decoded.warning:
            self.warnings.add(f"{ctype}: {decoded.warning}")
        text = decoded.text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
        if ctype == "text/html":
            self.body.segments.append(Segment(html=text))
            return
        if (param(part, "format") or "").lower() == "flowed":
            text = transfer.unflow(text, delsp=(param(part, "delsp") or "").lower() == "yes")
        text, files = transfer.extract_uuencoded(text)
        for uu in files:
            self._add(uu.filename, "application/octet-stream", uu.content, inline=False, cid=None)
        if ctype in {"text/enriched", "text/richtext"}:
            self.body.segments.append(Segment(plain=_ENRICHED_TAG.sub("", text), converted=True))
        else:
            self.body.segments.append(Segment(plain=text))

    def _attachment(self, part: Message, ctype: str) -> None:
        disposition = content_disposition(part, self.warnings)
        cid = content_id(part)
        # No disposition but a Content-ID: an image the HTML shows by cid: reference.
        inline = disposition == "inline" or (disposition is None and cid is not None)
        self._add(self._filename(part, ctype), ctype, self._payload(part), inline=inline, cid=cid)

    def _attached_message(self, part: Message, payload: object, depth: int, context: str) -> None:
        inner = payload[0] if isinstance(payload, list) and payload else None
        if not isinstance(inner, Message):
            self._attachment(part, "message/rfc822")
            return
        data = self.warnings.guard("attached message", b"", lambda: _message_bytes(inner))
        subject = decode_header(header_raw(inner, "subject") or "", fallback=self.hint).strip()
        filename = _given_filename(part) or f"{subject or 'message'}.eml"
        disposition = content_disposition(part, self.warnings)
        self._add(
            _safe_filename(filename, ".eml"),
            "message/rfc822",
            data,
            inline=disposition == "inline",
            cid=content_id(part),
        )
        before = len(self.body.segments)
        self.walk(inner, depth=depth + 1, context="body")
        inner_segments = self.body.segments[before:]
        del self.body.segments[before:]
        if context != "report" and disposition != "attachment":
            forwarded = "\n\n".join(t for s in inner_segments if (t := s.text().strip()))
            self.body.segments.append(Segment(plain=_forward_header(inner, self.hint) + forwarded))

    def _delivery_status(self, part: Message, ctype: str, context: str) -> None:
        self.body.has_delivery_status = True
        data = _status_bytes(part) or self._payload(part)
        if context == "report":
            self.body.statuses.extend(parse_delivery_status(decode_bytes(data, None).text))
        self._add(self._filename(part, ctype), ctype, data, inline=False, cid=None)

    def _payload(self, part: Message) -> bytes:
        data = _raw_payload(part)
        cte = transfer.transfer_encoding(header_raw(part, "content-transfer-encoding"))
        if not transfer.is_known_encoding(cte):
            self.warnings.add(f"unknown Content-Transfer-Encoding {cte!r}; taken as 8bit")
        return transfer.decode_transfer(data, cte)

    def _filename(self, part: Message, ctype: str) -> str:
        extension = _EXTENSIONS.get(ctype) or _BUILTIN_TYPES.guess_extension(ctype) or ".bin"
        given = _given_filename(part) or _location_name(part)
        return _safe_filename(
            given or f"part-{len(self.body.attachments) + 1}{extension}", extension
        )

    def _add(
        self, filename: str, ctype: str, data: bytes, *, inline: bool, cid: str | None
    ) -> None:
        self.body.attachments.append(
            Attachment(filename, ctype, len(data), inline=inline, content_id=cid, content=data)
        )


def _raw_payload(part: Message) -> bytes:
    """The part's body bytes exactly as received. get_payload() would already have decoded 8-bit
    text with the declared charset, replacing what did not fit, before our fallbacks could try."""
    raw = vars(part).get("_payload")
    return raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else b""


def _with_sniffed_boundary(part: Message, ctype: str) -> Message | None:
    """A multipart whose declared boundary is missing or wrong, re-read with the delimiter line
    its body actually uses (the first `--token` line followed by a header line)."""
    data = _raw_payload(part)
    for match in _DELIMITER_LINE.finditer(data):
        boundary = match.group(1).replace(b'"', b"")
        if _PART_HEADER.match(data[match.end() :].lstrip(b"\r\n")):
            head = b'Content-Type: %s; boundary="%s"\r\n\r\n' % (ctype.encode(), boundary)
            message = BytesParser(policy=compat32).parsebytes(head + data)
            return message if message.is_multipart() else None
    return None


def _given_filename(part: Message) -> str | None:
    return param(part, "filename", header="content-disposition") or param(part, "name")


def _location_name(part: Message) -> str | None:
    location = (header_raw(part, "content-location") or "").strip().strip("<>\"'")
    name = location.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    return name or None


def _safe_filename(name: str, extension: str) -> str:
    """Never a path, a control character or an empty name; long names keep their extension."""
    base = _UNSAFE_FILENAME.sub("", re.split(r"[\\/]", name)[-1]).strip()
    if not base.strip("."):
        return f"attachment{extension}"
    if len(base) > 200:
        stem, dot, ext = base.rpartition(".")
        base = f"{stem[:190]}.{ext[:9]}" if dot and len(ext) < 10 else base[:200]
    return base


def _message_bytes(message: Message) -> bytes:
    """The attached message as bytes, headers as received (compat32 does not refold them)."""
    buffer = BytesIO()
    policy = compat32.clone(linesep="\r\n", max_line_length=None)
    # Keep an mbox "From " line the part had; never invent one.
    envelope = message.get_unixfrom() is not None
    BytesGenerator(buffer, mangle_from_=False, policy=policy).flatten(message, unixfrom=envelope)
    return buffer.getvalue()


def _forward_header(inner: Message, hint: str | None) -> str:
    lines = ["---------- Forwarded message ----------"]
    for name in ("From", "Date", "Subject", "To"):
        raw = header_raw(inner, name)
        if raw is None:
            continue
        if name in {"From", "To"}:
            shown = ", ".join(
                f"{a.name} <{a.email}>" if a.name else a.email
                for a in parse_addresses(raw, fallback=hint)
            )
        else:
            shown = decode_header(raw, fallback=hint).strip()
        lines.append(f"{name}: {shown}")
    return "\n".join(lines) + "\n\n"


def _status_bytes(part: Message) -> bytes:
    """The stdlib parses message/delivery-status into one header block per recipient: rejoin."""
    payload = part.get_payload()
    if not isinstance(payload, list):
        return b""
    blocks = []
    for block in payload:
        if isinstance(block, Message):
            lines = [f"{name}: {value}" for name, value in block.raw_items()]
            # A loosely written report has prose the stdlib took for a body: keep it too.
            prose = _raw_payload(block).decode("utf-8", "surrogateescape")
            blocks.append("\r\n".join([*lines, prose]).strip())
    return "\r\n\r\n".join(blocks).encode("utf-8", "surrogateescape")

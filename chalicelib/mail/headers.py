"""Header values read the way mail clients read them, not the way RFCs wish they were written.

Values arrive as the parser stored them: still folded, 8-bit bytes smuggled in as surrogates
(RFC 6532 UTF-8 or plain broken Latin-1), RFC 2047 encoded words inside quotes or split in the
middle of a character. Nothing here raises on bad input: what cannot be read is replaced.
"""

from __future__ import annotations

import binascii
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from chalicelib.mail.charsets import decode_bytes

_FOLD = re.compile(r"\r?\n(?=[ \t])")
_LINE_BREAK = re.compile(r"[\r\n]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([qQbB])\?([^?]*)\?=")
_MESSAGE_ID = re.compile(r"<([^<>\s]+)>")
_BARE_MESSAGE_ID = re.compile(r"[^<>\s,;]+@[^<>\s,;]+")
_COMMENT = re.compile(r"\([^()]*\)")
_OBSOLETE_DOT = re.compile(r"\s*([.@])\s*")
_LOOSE_DATE = re.compile(r"\d{1,2}\s+[A-Za-z]{3}\w*\s+\d{2,4}\s+\d{1,2}:\d{2}(:\d{2})?(\s+\S+)?")


@dataclass(frozen=True)
class Address:
    name: str
    email: str
    # The address itself held or came out of an RFC 2047 encoded-word. Those are allowed in
    # display names only; a mail client may show such an address differently from what SES
    # checked, so nothing it claims is believed.
    encoded: bool = False


def unfold(raw: str) -> str:
    """RFC 5322 unfolding removes the line break and keeps the whitespace after it."""
    return _LINE_BREAK.sub(" ", _FOLD.sub("", raw))


def decode_header(raw: str, *, fallback: str | None = None) -> str:
    """Text of a header value: encoded words decoded, raw 8-bit read as UTF-8 or a fallback."""
    value = unfold(raw)
    if "=?" not in value:
        return _clean(_raw_text(value, fallback))
    out: list[str] = []
    pending: list[tuple[str, bytes]] = []  # adjacent encoded words, decoded together
    position = 0
    for match in _ENCODED_WORD.finditer(value):
        between = value[position : match.start()]
        if not (pending and not between.strip()):  # whitespace between encoded words vanishes
            out.extend(_flush(pending, fallback))
            out.append(_raw_text(between, fallback))
        charset = match.group(1).split("*", 1)[0].lower()  # RFC 2231 adds "*language"
        data = _word_bytes(match.group(2), match.group(3))
        if pending and pending[-1][0] == charset:
            # One character may be split over two words; join the bytes before decoding.
            pending[-1] = (charset, pending[-1][1] + data)
        else:
            pending.append((charset, data))
        position = match.end()
    out.extend(_flush(pending, fallback))
    out.append(_raw_text(value[position:], fallback))
    return _clean("".join(out))


def _flush(pending: list[tuple[str, bytes]], fallback: str | None) -> list[str]:
    texts = [decode_bytes(data, charset, fallback=fallback).text for charset, data in pending]
    pending.clear()
    return texts


def _word_bytes(encoding: str, payload: str) -> bytes:
    data = payload.encode("ascii", "surrogateescape")
    if encoding in "qQ":
        return binascii.a2b_qp(data, header=True)
    cleaned = re.sub(rb"[^A-Za-z0-9+/]", b"", data)
    if len(cleaned) % 4 == 1:
        cleaned = cleaned[:-1]
    try:
        return binascii.a2b_base64(cleaned + b"=" * (-len(cleaned) % 4))
    except binascii.Error:
        return b""


def _raw_text(value: str, fallback: str | None) -> str:
    """Undo the parser's surrogate escapes: raw 8-bit header bytes are UTF-8 or a legacy charset."""
    if value.isascii():
        return value
    data = value.encode("utf-8", "surrogateescape")
    return decode_bytes(data, None, fallback=fallback).text


def _clean(text: str) -> str:
    return _CONTROL.sub("", text).replace("\ufeff", "")


def parse_addresses(raw: str, *, fallback: str | None = None) -> list[Address]:
    """Mailboxes in an address header; groups flattened, comments, routes and junk dropped."""
    value = unfold(raw)
    addresses = _addresses_from(value, fallback)
    if not addresses and "=?" in value:
        # Some mailers encode the whole `Name <addr>` as one encoded word: the address is read,
        # and marked, since an address out of an encoded-word is not one anybody checked.
        decoded = _addresses_from(decode_header(value, fallback=fallback), fallback)
        addresses = [Address(a.name, a.email, encoded=True) for a in decoded]
    return addresses


def _addresses_from(value: str, fallback: str | None) -> list[Address]:
    result: list[Address] = []
    pending_name = ""
    for entry in _split_entries(value):
        name, emails, bracketed = _parse_entry(entry)
        if not emails:
            # Outlook writes `Last, First <addr>` unquoted: keep "Last" for the next mailbox.
            pending_name = name if not bracketed else ""
            continue
        if pending_name and bracketed:
            name = f"{pending_name}, {name}" if name else pending_name
        pending_name = ""
        # Only the display name is decoded: an encoded-word in the address stays as written.
        decoded_name = decode_header(name, fallback=fallback).strip()
        for email in emails:
            result.append(Address(decoded_name, _raw_text(email, fallback), encoded="=?" in email))
    return result


def _split_entries(value: str, *, honour_quotes: bool = True) -> list[str]:
    """Split at top-level `,` and `;`; a top-level `:` ends a group name, which is dropped."""
    entries: list[str] = []
    current: list[str] = []
    quoted = angle = False
    comment = 0
    index = 0
    while index < len(value):
        char = value[index]
        if (quoted or comment) and char == "\\" and index + 1 < len(value):
            current.append(value[index : index + 2])
            index += 2
            continue
        if quoted:
            quoted = char != '"'
        elif comment:
            comment += {"(": 1, ")": -1}.get(char, 0)
        elif char == '"' and honour_quotes:
            quoted = True
        elif char == "(":
            comment = 1
        elif char in "<>":
            angle = char == "<"
        elif char in ",;" and not angle:
            entries.append("".join(current))
            current = []
            index += 1
            continue
        elif char == ":" and not angle:
            current = []  # a group's display name
            index += 1
            continue
        current.append(char)
        index += 1
    entries.append("".join(current))
    if quoted and honour_quotes:
        # An unterminated quote would swallow every address after it.
        return _split_entries(value, honour_quotes=False)
    return [entry.strip() for entry in entries if entry.strip()]


def _parse_entry(entry: str) -> tuple[str, list[str], bool]:
    """(display name, addresses, whether an <addr> was present) for one list entry."""
    text, comments = _strip_comments(entry)
    open_at = _last_unquoted(text, "<")
    if open_at >= 0:
        inside = text[open_at + 1 :].split(">", 1)[0]
        name = _unquote(text[:open_at])
        email = _clean_address(inside)
        return name or comments, ([email] if _is_address(email) else []), True
    tokens = _OBSOLETE_DOT.sub(r"\1", text).split()
    emails = [_clean_address(t) for t in tokens if _is_address(_clean_address(t))]
    name = _unquote(" ".join(t for t in tokens if not _is_address(_clean_address(t))))
    return name or comments, emails, False


def _strip_comments(entry: str) -> tuple[str, str]:
    """Remove (comments) outside quotes; their text is the name of last resort (`a@b (Name)`)."""
    kept: list[str] = []
    comments: list[str] = []
    buffer: list[str] = []
    depth = 0
    quoted = False
    index = 0
    while index < len(entry):
        char = entry[index]
        if char == "\\" and (quoted or depth) and index + 1 < len(entry):
            (buffer if depth else kept).append(entry[index : index + 2])
            index += 2
            continue
        if depth:
            depth += {"(": 1, ")": -1}.get(char, 0)
            if depth:
                buffer.append(char)
            else:
                comments.append(_unquote("".join(buffer)))
                buffer = []
        elif char == "(" and not quoted:
            depth = 1
        else:
            quoted = quoted != (char == '"')
            kept.append(char)
        index += 1
    return "".join(kept).strip(), " ".join(c for c in comments if c)


def _last_unquoted(text: str, target: str) -> int:
    quoted = escaped = False
    position = -1
    for index, char in enumerate(text):
        if escaped:
            escaped = False
        elif char == "\\" and quoted:
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == target and not quoted:
            position = index
    return position


def _unquote(name: str) -> str:
    name = name.strip()
    if len(name) >= 2 and name[0] == name[-1] == '"':
        name = name[1:-1]
    return re.sub(r"\\(.)", r"\1", name).strip().strip("'").strip()


def _clean_address(raw: str) -> str:
    address = re.sub(r"\s+", "", raw).strip("'\"")
    address = re.sub(r"^mailto:", "", address, flags=re.IGNORECASE)
    if address.startswith("@") and ":" in address:
        address = address.rsplit(":", 1)[1]  # obsolete source route `@relay:user@host`
    return address


def _is_address(candidate: str) -> bool:
    local, at, domain = candidate.rpartition("@")
    return bool(at and local and domain and "<" not in candidate and ">" not in candidate)


def parse_message_ids(raw: str) -> list[str]:
    """`<id>` tokens in order; bare `id@host` only when nothing is bracketed (broken mailers)."""
    value = unfold(raw)
    ids = [f"<{found}>" for found in _MESSAGE_ID.findall(value)]
    if ids:
        return ids
    without_comments = _COMMENT.sub(" ", value)
    return [f"<{found}>" for found in _BARE_MESSAGE_ID.findall(without_comments)]


def parse_date(raw: str) -> str | None:
    """ISO 8601 with offset; "-0000" and zone-less dates are UTC (RFC 5322 section 3.3)."""
    value = unfold(raw).strip()
    if not value:
        return None
    for candidate in (value, _COMMENT.sub("", value).strip(), _loosen_date(value)):
        parsed = _try_rfc_date(candidate) or _try_iso_date(candidate)
        if parsed:
            return parsed.isoformat()
    return None


def _try_rfc_date(value: str) -> datetime | None:
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _try_iso_date(value: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _loosen_date(value: str) -> str:
    """Dots and commas where spaces belong, and junk after the zone, defeat the RFC parser."""
    loose = re.sub(r"\s*:\s*", ":", re.sub(r"[.,]", " ", _COMMENT.sub("", value)))
    match = _LOOSE_DATE.search(loose)
    return match.group(0) if match else loose

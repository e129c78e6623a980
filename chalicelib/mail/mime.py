"""MIME header fields of one part, read from the raw header text.

The stdlib's policy.default turns each header into an object when it is read, and that parse can
raise or "fix" a value on hostile input. The structural parse (boundaries, nesting) stays the
stdlib's; the fields that drive decisions here are read like compat32 does, from the raw value,
with RFC 2231 parameters (continuations, charsets) decoded and charset errors replaced.
"""

from __future__ import annotations

import re
from email.message import Message
from email.utils import decode_params, unquote

from chalicelib.mail.charsets import decode_bytes
from chalicelib.mail.guard import Warnings
from chalicelib.mail.headers import decode_header, unfold

# Real headers carry a handful; a hostile one with thousands would be re-read for every lookup.
_MAX_PARAMETERS = 64
_MIME_TYPE = re.compile(r"^[a-z0-9!#$&^_.+-]+/[a-z0-9!#$&^_.+-]+$")


def header_raw(part: Message, name: str) -> str | None:
    """First value of a header exactly as parsed (8-bit bytes as surrogates), or None."""
    wanted = name.lower()
    for key, value in part.raw_items():
        if key.lower() == wanted:
            return str(value)
    return None


def content_type(part: Message, warnings: Warnings) -> str:
    raw = header_raw(part, "content-type")
    if raw is None:
        return part.get_default_type()  # text/plain, or message/rfc822 inside multipart/digest
    value = _main_value(raw)
    if _MIME_TYPE.match(value):
        return value
    if value.startswith("multipart/") or value == "multipart":
        # A mangled multipart type must stay multipart: the stdlib already split the parts.
        return value if "/" in value else "multipart/mixed"
    warnings.add(f"invalid Content-Type {value!r}; read as text/plain (RFC 2045)")
    return "text/plain"


def content_disposition(part: Message, warnings: Warnings) -> str | None:
    """ "inline", "attachment" or None; unknown values are ignored like mail clients do."""
    raw = header_raw(part, "content-disposition")
    if raw is None:
        return None
    value = _main_value(raw)
    if value.startswith("attach"):  # "attachement" is a common misspelling
        return "attachment"
    if value == "inline":
        return "inline"
    warnings.add(f"ignored Content-Disposition {value!r}")
    return None


def content_id(part: Message) -> str | None:
    raw = header_raw(part, "content-id")
    if raw is None:
        return None
    value = re.sub(r"\s+", "", decode_header(raw)).strip("<>")
    return value or None


def param(part: Message, name: str, *, header: str = "content-type") -> str | None:
    """A parameter of a MIME header as text: RFC 2231 and (non-standard but common) RFC 2047."""
    raw = header_raw(part, header)
    if raw is None:
        return None
    wanted = name.lower()
    for key, value in _parameters(raw):
        if key == wanted:
            return _parameter_text(value)
    return None


def _main_value(raw: str) -> str:
    return unfold(raw).split(";", 1)[0].strip().strip("\"'").lower()


def _parameters(raw: str) -> list[tuple[str, str | tuple[str | None, str | None, str]]]:
    pieces = _split_parameters(unfold(raw))
    pairs: list[tuple[str, str]] = []
    for piece in pieces[1 : _MAX_PARAMETERS + 1]:
        key, equals, value = piece.partition("=")
        if equals and key.strip():
            pairs.append((key.strip().lower(), value.strip()))
    try:
        decoded = decode_params([("", pieces[0]), *pairs])[1:]
    except (TypeError, ValueError):
        # Mixed `name*` and `name*0` continuations make the stdlib compare None with int.
        decoded = [(key.rstrip("*"), value) for key, value in pairs]
    return decoded


def _split_parameters(value: str) -> list[str]:
    """Split at semicolons outside quoted strings (a filename may contain `;`)."""
    pieces: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    for char in value:
        if escaped:
            escaped = False
        elif char == "\\" and quoted:
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == ";" and not quoted:
            pieces.append("".join(current))
            current = []
            continue
        current.append(char)
    pieces.append("".join(current))
    # An unterminated quote would swallow the parameters after it.
    return value.split(";") if quoted else pieces


def _parameter_text(value: str | tuple[str | None, str | None, str]) -> str | None:
    if isinstance(value, tuple):
        charset, _language, text = value
        data = unquote(text).encode("latin-1", "surrogateescape")
        decoded = decode_bytes(data, charset or "utf-8").text
    else:
        decoded = decode_header(unquote(value.strip()))
    return decoded.strip().strip('"').strip() or None

"""Content-Transfer-Encoding and text-format decoding, tolerant of what real mailers send.

The stdlib decodes only the exact CTE names and gives up on damaged base64; here `base64;`,
`Base64 ` and truncated or unpadded data still decode, uuencoded payloads (as a CTE or pasted into
a plain-text body, as old Outlook Express did) become bytes, and format=flowed text is unwrapped.
"""

from __future__ import annotations

import binascii
import re
from bisect import bisect_right
from dataclasses import dataclass

_BASE64_NOISE = re.compile(rb"[^A-Za-z0-9+/]")
_UU_BEGIN = re.compile(r"^begin[ \t]+[0-7]{3,4}[ \t]+(\S.*?)[ \t]*$")
_UU_NAMES = frozenset({"x-uuencode", "uuencode", "x-uue", "uue"})
_IDENTITY = frozenset({"7bit", "8bit", "binary", ""})


@dataclass(frozen=True)
class UuFile:
    filename: str
    content: bytes


def transfer_encoding(raw: str | None) -> str:
    """`Base64;`, `"quoted-printable"` and `7-bit` name the encodings everyone means."""
    if not raw:
        return ""
    token = re.split(r"[;\s]", raw.strip().strip("\"'").lower(), maxsplit=1)[0]
    return token.replace("_", "-").replace("7-bit", "7bit").replace("8-bit", "8bit")


def is_known_encoding(cte: str) -> bool:
    return cte in _IDENTITY or cte in _UU_NAMES or cte in {"base64", "quoted-printable"}


def decode_transfer(payload: bytes, cte: str) -> bytes:
    if cte == "base64":
        return decode_base64(payload)
    if cte == "quoted-printable":
        return binascii.a2b_qp(payload)
    if cte in _UU_NAMES:
        return _decode_uu_lines(payload.decode("latin-1").splitlines())
    return payload


def decode_base64(payload: bytes) -> bytes:
    try:
        return binascii.a2b_base64(payload)
    except binascii.Error:
        pass
    # Damaged: drop everything outside the alphabet (stray padding included) and re-pad.
    cleaned = _BASE64_NOISE.sub(b"", payload)
    if len(cleaned) % 4 == 1:
        cleaned = cleaned[:-1]
    cleaned += b"=" * (-len(cleaned) % 4)
    try:
        return binascii.a2b_base64(cleaned)
    except binascii.Error:
        return b""


def _decode_uu_lines(lines: list[str]) -> bytes:
    out = bytearray()
    for line in lines:
        stripped = line.rstrip("\r\n")
        if not stripped or stripped.startswith("begin ") or stripped.strip() in {"end", "`"}:
            continue
        try:
            out += binascii.a2b_uu(stripped)
        except binascii.Error:
            # Some encoders add junk after the data; keep the characters the length byte claims.
            claimed = (((ord(stripped[0]) - 32) & 63) * 4 + 5) // 3
            try:
                out += binascii.a2b_uu(stripped[:claimed])
            except binascii.Error:
                continue
    return bytes(out)


def extract_uuencoded(text: str) -> tuple[str, list[UuFile]]:
    """Files pasted into a text body as `begin 644 name ... end` blocks; the text without them."""
    if "begin " not in text:
        return text, []
    lines = text.split("\n")
    ends = [index for index, line in enumerate(lines) if line.rstrip() == "end"]
    files: list[UuFile] = []
    kept: list[str] = []
    index = 0
    while index < len(lines):
        begin = _UU_BEGIN.match(lines[index])
        # One pass over the "end" lines: a begin without an end stays text.
        end = (
            ends[bisect_right(ends, index)]
            if begin and bisect_right(ends, index) < len(ends)
            else -1
        )
        if begin and end > index:
            files.append(UuFile(begin.group(1).strip(), _decode_uu_lines(lines[index + 1 : end])))
            index = end + 1
            continue
        kept.append(lines[index])
        index += 1
    return "\n".join(kept), files


def unflow(text: str, *, delsp: bool) -> str:
    """RFC 3676 format=flowed: a line ending in a space continues on the next line."""
    out: list[str] = []
    current: str | None = None
    current_depth = 0
    for line in text.split("\n"):
        depth = len(line) - len(line.lstrip(">"))
        content = line[depth:]
        if content.startswith(" "):  # space-stuffing
            content = content[1:]
        if current is not None and depth == current_depth:
            current += content
        else:
            if current is not None:
                out.append(">" * current_depth + (" " if current_depth else "") + current)
            current, current_depth = content, depth
        if content.endswith(" ") and content != "-- ":
            if delsp:
                current = current[:-1]
            continue
        out.append(">" * current_depth + (" " if current_depth else "") + current)
        current = None
    if current is not None:
        out.append(">" * current_depth + (" " if current_depth else "") + current)
    return "\n".join(out)

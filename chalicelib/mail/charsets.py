"""Bytes to text when the charset label is missing, misspelt, unknown to Python or simply wrong.

Real mail lies about its charset all the time: Latin-1 labels on UTF-8 text, Microsoft names
Python does not know (ks_c_5601-1987), Shift_JIS that is really cp932, no label at all. The rule
here follows what browsers do (the WHATWG encoding table): trust a label only as far as the bytes
agree with it, and end with a decoder that cannot fail, so the caller always gets text.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from charset_normalizer.models import CharsetMatch

# Labels Python does not know, or knows as a narrower charset than mailers actually send.
# Each maps to decoders tried in order; the wider superset comes first where one exists.
_ALIASES: dict[str, tuple[str, ...]] = {
    "ks_c_5601-1987": ("cp949",),
    "ks_c_5601": ("cp949",),
    "ksc5601": ("cp949",),
    "ksc_5601": ("cp949",),
    "euc-kr": ("cp949",),
    "gb2312": ("gb18030",),
    "gbk": ("gb18030",),
    "x-gbk": ("gb18030",),
    "csgb2312": ("gb18030",),
    "big5": ("big5hkscs", "cp950"),
    "x-big5": ("big5hkscs", "cp950"),
    "shift_jis": ("cp932", "shift_jis_2004"),
    "shift-jis": ("cp932", "shift_jis_2004"),
    "sjis": ("cp932",),
    "x-sjis": ("cp932",),
    "ms_kanji": ("cp932",),
    "windows-31j": ("cp932",),
    "iso-2022-jp": ("iso2022_jp", "iso2022_jp_ext", "iso2022_jp_2", "iso2022_jp_3"),
    "euc-jp": ("euc_jp", "euc_jis_2004"),
    # WHATWG: these labels are windows-1252 in practice (C1 bytes are curly quotes, not controls).
    "iso-8859-1": ("cp1252", "latin_1"),
    "iso8859-1": ("cp1252", "latin_1"),
    "latin1": ("cp1252", "latin_1"),
    "latin-1": ("cp1252", "latin_1"),
    "l1": ("cp1252", "latin_1"),
    "us-ascii": ("cp1252", "latin_1"),
    "ascii": ("cp1252", "latin_1"),
    "ansi_x3.4-1968": ("cp1252", "latin_1"),
    "iso-8859-9": ("cp1254", "iso8859_9"),
    "iso-8859-11": ("cp874",),
    "tis-620": ("cp874",),
    "iso-8859-8-i": ("iso8859_8",),
    "iso-8859-6-i": ("iso8859_6",),
    "x-mac-roman": ("mac_roman",),
    "macintosh": ("mac_roman",),
    "x-user-defined": ("cp1252", "latin_1"),
    "unicode-1-1-utf-7": ("utf_7",),
    "utf8": ("utf_8",),
}

# Labels that mean "no idea"; treated exactly like a missing label.
_NO_LABEL = frozenset(
    {"", "unknown-8bit", "x-unknown", "unknown", "default", "none", "charset", "8bit", "binary"}
)

# Python codecs that are not text charsets or that would interpret the text (escapes, IDNA).
_REFUSED_CODECS = frozenset(
    {"undefined", "unicode_escape", "raw_unicode_escape", "idna", "punycode", "mbcs", "oem"}
)

# Charsets whose ASCII bytes are not ASCII text (stateful or wide encodings).
_NOT_ASCII_COMPATIBLE = re.compile(r"^(iso2022|utf_7|utf_16|utf_32|hz)")

_SINGLE_BYTE = re.compile(
    r"^(ascii|latin_1|iso8859_\d+|cp125\d|cp874|mac_\w+|koi8_\w+|cp(?!932|936|949|950)\d{3})$"
)

# Labels that declare nothing about 8-bit bytes: an ASCII label on 8-bit text is simply wrong.
_ASCII_LABELS = frozenset({"us-ascii", "ascii", "ansi_x3.4-1968", "us", "iso646-us"})

# What unlabelled 8-bit mail text is written in, most common first: the order breaks ties
# between guesses that read equally well (a few words of Latin text fit several code pages).
_GUESSABLE = (
    "cp1252", "cp1250", "cp1251", "gb18030", "cp932", "big5", "cp949", "euc_jp", "koi8_r",
    "cp1253", "cp1254", "cp1257", "cp1255", "cp1256", "cp874",
)
_CHAOS_TIE = 0.01
# Enough text to tell charsets apart; detection takes ~0.5 ms per KB, and headers are hostile.
_GUESS_SAMPLE = 8192
# Marks real text uses between words; the other non-letters a guess produces are mojibake.
_TYPOGRAPHIC = frozenset(
    "\u201c\u201d\u2018\u2019\u201e\u2013\u2014\u2026\u2022\xab\xbb\u20ac\xa3\xa5\xb0\xa7\xa9\xae\u2122\xa0"
)  # curly quotes, dashes, ellipsis, bullet, guillemets, the symbols below, no-break space
# Symbols that stand beside digits or spaces, never glued to a letter ("£5", not "£ukasz").
_NOT_IN_WORDS = frozenset("\u20ac\xa3\xa5\xb0\xa7\xa9\xae\u2122")  # € £ ¥ ° § © ® ™

_META_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)""", re.IGNORECASE
)


@dataclass(frozen=True)
class Decoded:
    text: str
    charset: str
    # Set when the text was not decoded the way the label said: the caller reports it.
    warning: str | None = None


def clean_label(label: str | None) -> str:
    """`"UTF-8";`, ` 'utf8' ` and `Utf-8` all name one charset."""
    if not label:
        return ""
    return label.strip().strip("\"'").strip().rstrip(";").strip().lower()


@lru_cache(maxsize=256)
def codecs_for(label: str) -> tuple[str, ...]:
    """Python codec names for a mail charset label, best first; empty when unknown or no label."""
    name = clean_label(label)
    if name in _NO_LABEL:
        return ()
    if name in _ALIASES:
        return _ALIASES[name]
    for candidate in (name, name.replace("_", "-"), name.removeprefix("x-"), name.split("*")[0]):
        codec = _python_codec(candidate)
        if codec:
            return (codec,)
    return ()


def _python_codec(name: str) -> str | None:
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError):
        return None
    # Python spells some names with hyphens ("iso8859-2"), some with underscores: use one form.
    codec = info.name.replace("-", "_")
    if codec in _REFUSED_CODECS or not getattr(info, "_is_text_encoding", True):
        return None
    return codec


def html_meta_charset(data: bytes) -> str | None:
    """An HTML part often names its charset only in a <meta> tag."""
    match = _META_CHARSET.search(data[:4096])
    return match.group(1).decode("ascii") if match else None


def decode_bytes(data: bytes, label: str | None, *, fallback: str | None = None) -> Decoded:
    """Decode `data` labelled `label`; `fallback` is a label seen elsewhere in the same message."""
    declared = codecs_for(label or "")
    if data.isascii() and not any(_NOT_ASCII_COMPATIBLE.match(c) for c in declared):
        return Decoded(data.decode("ascii"), "ascii")
    if label and clean_label(label) not in _NO_LABEL and not declared:
        unknown = f"unknown charset {clean_label(label)!r}"
        return _without_label(data, fallback, unknown)
    if not declared:
        return _without_label(data, fallback, None)
    return _with_label(data, declared, clean_label(label))


def _with_label(data: bytes, declared: tuple[str, ...], label: str) -> Decoded:
    # A single-byte label on bytes that are valid UTF-8 is a mislabel: text in Latin-1 or
    # cp1252 is practically never valid multi-byte UTF-8 by accident.
    if _SINGLE_BYTE.match(declared[0]) and _is_utf8(data):
        return Decoded(data.decode("utf-8"), "utf_8", f"labelled {label} but is UTF-8")
    for codec in declared:
        try:
            return Decoded(data.decode(codec), codec)
        except (UnicodeDecodeError, LookupError):
            continue
    if declared[0] != "utf_8" and _is_utf8(data):
        return Decoded(data.decode("utf-8"), "utf_8", f"labelled {label} but is UTF-8")
    if declared[0] == "utf_8" and not _mostly_utf8(data):
        text = data.decode("cp1252", errors="replace")
        return Decoded(text, "cp1252", "labelled utf-8 but is not; read as windows-1252")
    text = data.decode(declared[0], errors="replace")
    return Decoded(text, declared[0], f"invalid {label} bytes replaced")


def _without_label(data: bytes, fallback: str | None, reason: str | None) -> Decoded:
    if _is_utf8(data):
        return Decoded(data.decode("utf-8"), "utf_8", reason)
    for codec in codecs_for(fallback or ""):
        try:
            return Decoded(data.decode(codec), codec, reason)
        except (UnicodeDecodeError, LookupError):
            continue
    note = f"{reason}; " if reason else ""
    for codec in ("cp1252", "latin_1"):  # latin-1 never fails: every byte is a character
        try:
            return Decoded(data.decode(codec), codec, f"{note}no usable charset; read as {codec}")
        except UnicodeDecodeError:
            continue
    raise AssertionError("latin-1 decodes any bytes")


def declares_8bit(label: str | None) -> bool:
    """A label that names a charset for 8-bit bytes (not missing, unknown or ASCII)."""
    return bool(codecs_for(label or "")) and clean_label(label) not in _ASCII_LABELS


def decodes_strictly(data: bytes, label: str) -> bool:
    """The bytes are valid in the charset `label` names (its first, widest decoder)."""
    declared = codecs_for(label)
    if not declared:
        return False
    try:
        data.decode(declared[0])
    except (UnicodeDecodeError, LookupError):
        return False
    return True


def guess_charset(data: bytes) -> str | None:
    """The likeliest charset of unlabelled 8-bit text, or None when nothing fits.

    charset-normalizer scores each candidate by how much its decoding looks like mojibake; a
    header is only a few words, so several candidates often score alike, and then the one whose
    text has the fewest stray symbols wins, then the commoner charset."""
    from charset_normalizer import from_bytes  # ~15 ms to import: only mail that needs it pays

    results = from_bytes(_sample(data), cp_isolation=list(_GUESSABLE))
    matches = [match for match in results if match.encoding in _GUESSABLE]
    if not matches:
        return None
    calmest = min(match.chaos for match in matches)
    close = [match for match in matches if match.chaos <= calmest + _CHAOS_TIE]
    return min(close, key=_implausibility).encoding


def _sample(data: bytes) -> bytes:
    """The first few KB, cut at a space or line break: a sample ending inside a multi-byte
    character would rule out the very charset it is written in."""
    head = data[:_GUESS_SAMPLE]
    cut = max(head.rfind(b" "), head.rfind(b"\n"))
    return head[:cut] if len(data) > _GUESS_SAMPLE and cut > 0 else head


def _implausibility(match: CharsetMatch) -> tuple[int, float, int]:
    return (_stray_symbols(str(match)), -match.coherence, _GUESSABLE.index(match.encoding))


def _stray_symbols(text: str) -> int:
    """Non-ASCII non-letters that real text does not have where this text has them."""
    stray = 0
    for index, char in enumerate(text):
        if char.isascii() or char.isalpha() or _is_cjk_punctuation_or_space(char):
            continue
        glued = any(text[i : i + 1].isalpha() for i in (index - 1, index + 1) if i >= 0)
        if char not in _TYPOGRAPHIC or (char in _NOT_IN_WORDS and glued):
            stray += 1
    return stray


def _is_cjk_punctuation_or_space(char: str) -> bool:
    return (
        unicodedata.category(char) == "Zs"
        or "\u3000" <= char <= "\u303f"  # CJK symbols and punctuation
        or "\uff01" <= char <= "\uff65"  # full-width forms and half-width kana punctuation
    )


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _mostly_utf8(data: bytes) -> bool:
    """Some valid multi-byte sequences and few errors: UTF-8 with a damaged byte or two."""
    text = data.decode("utf-8", errors="replace")
    errors = text.count("\ufffd")
    valid = sum(1 for ch in text if ord(ch) > 0x7F) - errors
    return valid > 0 and errors <= valid

"""What a file is: its type, proved from its content, and its name, cleaned for display and for
the download header.

Pure logic (no AWS): the attachments service feeds it the bytes it read back from storage. The
declared type is only a claim; a file becomes visible only when its content agrees with it:

- images and PDF: the leading bytes match the declared type (puremagic's signature tables);
- plain text and CSV have no signature: the whole file must be UTF-8 without NUL bytes;
- ZIP: a readable central directory; Office documents (docx, xlsx, pptx) are ZIPs that must
  also hold `[Content_Types].xml` and their own part folder, and no VBA macros.

Anything that starts like a native executable (PE/MZ, ELF, Mach-O) is refused whatever it claims
to be. Nothing here opens or decompresses the members of an archive.
"""

from __future__ import annotations

import codecs
import hashlib
import re
import tempfile
import unicodedata
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO, Literal, get_args
from urllib.parse import quote

from chalicelib.errors import InvalidInput, PayloadTooLarge, Unprocessable

MiB = 1024 * 1024
HEAD_BYTES = 8192  # what the signature check reads; every signature we rely on is near the start
FILENAME_LENGTH = 150  # characters; keeps the UTF-8 name under the usual 255-byte file-name limit
_SPOOL_IN_MEMORY = 1 * MiB  # larger files spill to the Lambda's /tmp while they are checked

Check = Literal["signature", "text", "zip", "office"]

AllowedType = Literal[
    "application/pdf",
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "text/plain",
    "text/csv",
    "application/zip",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
]


@dataclass(frozen=True)
class FileType:
    mime: str
    extensions: tuple[str, ...]  # the first one is added to a name that has none of them
    check: Check
    office_folder: str = ""  # for Office documents: the folder of the main part


CATALOG: dict[str, FileType] = {
    t.mime: t
    for t in (
        FileType("application/pdf", (".pdf",), "signature"),
        FileType("image/png", (".png",), "signature"),
        FileType("image/jpeg", (".jpg", ".jpeg", ".jpe", ".jfif"), "signature"),
        FileType("image/gif", (".gif",), "signature"),
        FileType("image/webp", (".webp",), "signature"),
        FileType("text/plain", (".txt", ".log", ".text"), "text"),
        FileType("text/csv", (".csv",), "text"),
        FileType("application/zip", (".zip",), "zip"),
        FileType(
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            (".docx",), "office", "word/",
        ),
        FileType(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            (".xlsx",), "office", "xl/",
        ),
        FileType(
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            (".pptx",), "office", "ppt/",
        ),
    )
}
assert set(CATALOG) == set(get_args(AllowedType)), "every allowed type needs a check"

DEFAULT_ALLOWED_TYPES: tuple[AllowedType, ...] = get_args(AllowedType)

# Names browsers and mail clients use for the same types.
_ALIASES = {
    "image/jpg": "image/jpeg",
    "image/pjpeg": "image/jpeg",
    "application/x-pdf": "application/pdf",
    "application/x-zip-compressed": "application/zip",
    "application/x-zip": "application/zip",
    "text/comma-separated-values": "text/csv",
    "application/csv": "text/csv",
}

# Native executables: Windows PE (MZ), ELF, Mach-O (both byte orders, 32/64 bit, fat).
_EXECUTABLE_MAGIC = (
    b"MZ",
    b"\x7fELF",
    b"\xfe\xed\xfa\xce",
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",
)


def normalize_type(declared: str) -> str:
    """`Image/JPG; foo=bar` -> `image/jpeg`: parameters dropped, lower case, known aliases."""
    base = declared.split(";", 1)[0].strip().lower()
    return _ALIASES.get(base, base)


def guess_type(filename: str) -> str | None:
    """Browsers send an empty type for extensions they do not know: go by the extension."""
    suffix = _extension(filename)
    return next((t.mime for t in CATALOG.values() if suffix and suffix in t.extensions), None)


def check_declared(
    content_type: str, size: int, *, allowed: Iterable[str], max_bytes: int
) -> FileType:
    """Refuse an upload before it starts: a type the portal does not take, no bytes, too many."""
    file_type = CATALOG.get(content_type)
    allowed_types = sorted(allowed)
    if file_type is None or content_type not in allowed_types:
        raise InvalidInput(
            "This type of file is not accepted here.",
            code="type_not_allowed",
            details={"allowed": allowed_types},
        )
    if size <= 0:
        raise InvalidInput("The file is empty.", code="file_empty")
    if size > max_bytes:
        raise PayloadTooLarge(
            f"Files may be at most {max_bytes} bytes.",
            code="file_too_large",
            details={"max_bytes": max_bytes},
        )
    return file_type


# ---------------------------------------------------------------------------------------------
# Content


@dataclass
class Verified:
    """A file whose content agreed with its declared type: the bytes (to store exactly what was
    checked), their size and their SHA-256."""

    body: IO[bytes]
    size: int
    sha256: str

    def close(self) -> None:
        self.body.close()


def verify(
    chunks: Iterable[bytes], file_type: FileType, *, declared_size: int, max_bytes: int
) -> Verified:
    """Read at most `max_bytes` + 1 bytes, hash them, and check them against the declared type.
    Raises Unprocessable / PayloadTooLarge with a code saying why."""
    body: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY)  # noqa: SIM115
    try:
        digest = hashlib.sha256()
        text = _TextCheck() if file_type.check == "text" else None
        head = b""
        size = 0
        for chunk in chunks:
            if not chunk:
                continue
            size += len(chunk)
            if size > max_bytes:
                raise PayloadTooLarge(
                    f"Files may be at most {max_bytes} bytes.",
                    code="file_too_large",
                    details={"max_bytes": max_bytes},
                )
            if len(head) < HEAD_BYTES:
                head += chunk[: HEAD_BYTES - len(head)]
            digest.update(chunk)
            body.write(chunk)
            if text is not None:
                text.feed(chunk)
        if size == 0:
            raise Unprocessable("The file is empty.", code="file_empty")
        if size != declared_size:
            raise Unprocessable(
                f"The file has {size} bytes, not the {declared_size} that were announced.",
                code="size_mismatch",
            )
        if is_executable(head):
            raise Unprocessable("Programs cannot be shared here.", code="executable_refused")
        if text is not None:
            text.finish()
        elif file_type.check == "signature":
            _check_signature(head, file_type)
        else:
            body.seek(0)
            _check_zip(body, file_type)
        body.seek(0)
        return Verified(body=body, size=size, sha256=digest.hexdigest())
    except BaseException:
        body.close()
        raise


def is_executable(head: bytes) -> bool:
    # A native executable's header is binary: it holds NUL bytes right away. A text file that
    # happens to start with "MZ" does not, and is judged as text.
    return head.startswith(_EXECUTABLE_MAGIC) and b"\x00" in head[:64]


def _mismatch(file_type: FileType) -> Unprocessable:
    return Unprocessable(
        f"The file's content is not {file_type.extensions[0].lstrip('.').upper()}.",
        code="type_mismatch",
        details={"declared": file_type.mime},
    )


def _check_signature(head: bytes, file_type: FileType) -> None:
    # Imported here: loading its signature tables costs every cold start (the settings, and so
    # every function, import this module) while only a confirm needs them.
    import puremagic

    try:
        found = {match.mime_type for match in puremagic.magic_string(head)}
    except puremagic.PureError:  # no signature matched at all
        found = set()
    if file_type.mime not in found:
        raise _mismatch(file_type)


class _TextCheck:
    """Text has no signature: it must decode as UTF-8 (a BOM is fine) and hold no NUL byte,
    which no binary format avoids for long."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")("strict")

    def feed(self, chunk: bytes) -> None:
        if b"\x00" in chunk:
            raise Unprocessable("The file is not plain text.", code="type_mismatch")
        try:
            self._decoder.decode(chunk)
        except UnicodeDecodeError as exc:
            raise Unprocessable("The file is not UTF-8 text.", code="type_mismatch") from exc

    def finish(self) -> None:
        try:
            self._decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            raise Unprocessable("The file is not UTF-8 text.", code="type_mismatch") from exc


def _check_zip(body: IO[bytes], file_type: FileType) -> None:
    # Only the central directory is read: no member is decompressed, so a zip bomb costs nothing.
    try:
        with zipfile.ZipFile(body) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise _mismatch(file_type) from exc
    if file_type.check != "office":
        return
    if "[Content_Types].xml" not in names or not any(
        n.startswith(file_type.office_folder) for n in names
    ):
        raise _mismatch(file_type)
    if any(n.lower().endswith("vbaproject.bin") for n in names):
        # A macro-enabled document renamed to look like a plain one.
        raise Unprocessable("Documents with macros cannot be shared here.", code="macros_refused")


# ---------------------------------------------------------------------------------------------
# Names


def _extension(name: str) -> str:
    stem, dot, suffix = name.rpartition(".")
    return f".{suffix.lower()}" if dot and stem and suffix else ""


def clean_filename(raw: str, file_type: FileType) -> str:
    """The user's name, kept in its own script for display: no path parts, no control or
    invisible formatting characters (a right-to-left override can make `cod.exe` read `exe.doc`),
    no characters file systems refuse, an extension that agrees with the verified type, and a
    bounded length."""
    name = unicodedata.normalize("NFC", raw)
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(ch for ch in name if not unicodedata.category(ch).startswith("C"))
    name = re.sub(r'[<>:"|?*]', "_", name)
    name = re.sub(r"\s+", " ", name).strip(" .")
    if not name:
        name = "file"
    suffix = _extension(name)
    if suffix not in file_type.extensions:
        suffix = file_type.extensions[0]
        name = f"{name}{suffix}"
    if len(name) > FILENAME_LENGTH:
        name = name[: FILENAME_LENGTH - len(suffix)].rstrip(" .") + suffix
    return name


def ascii_filename(name: str) -> str:
    """The fallback `filename="..."` for clients that ignore `filename*`: accents folded,
    anything else outside a safe ASCII set replaced, the extension kept."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    safe = re.sub(r"[^A-Za-z0-9._()\- ]", "_", folded)
    safe = re.sub(r"_+", "_", safe).strip(" ._")
    suffix = _extension(name)
    if not safe.replace("_", "") or safe == suffix.lstrip("."):
        safe = "download" + (suffix if suffix.isascii() else "")
    return safe[:FILENAME_LENGTH]


def content_disposition(name: str) -> str:
    """RFC 6266: always `attachment` (never rendered in the portal's origin), an ASCII fallback,
    and the real name in RFC 5987 encoding."""
    encoded = quote(name, safe="!#$&+-.^_`|~")
    return f"attachment; filename=\"{ascii_filename(name)}\"; filename*=UTF-8''{encoded}"


def served_type(file_type: FileType) -> str:
    # Text was verified as UTF-8: say so, or a browser may guess another charset.
    return f"{file_type.mime}; charset=utf-8" if file_type.check == "text" else file_type.mime

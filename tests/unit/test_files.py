"""What a file is called and what it contains: names cleaned for display and for the download
header, types normalised, and content checked against the declared type."""

from __future__ import annotations

import hashlib
from urllib.parse import unquote

import pytest

from chalicelib.errors import InvalidInput, PayloadTooLarge, Unprocessable
from chalicelib.services import files

pytestmark = pytest.mark.unit

PDF_TYPE = files.CATALOG["application/pdf"]
TEXT_TYPE = files.CATALOG["text/plain"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("scan.pdf", "scan.pdf"),
        ("Facture été.PDF", "Facture été.PDF"),
        ("C:\\Users\\me\\Desktop\\scan.pdf", "scan.pdf"),
        ("../../etc/passwd", "passwd.pdf"),
        ("invoice\u202efdp.exe", "invoicefdp.exe.pdf"),
        ("bell\x07 and\ttab.pdf", "bell andtab.pdf"),
        ('what?*<>|:".pdf', "what_______.pdf"),
        ("   ...   ", "file.pdf"),
        ("report", "report.pdf"),
        ("e\u0301te\u0301.pdf", "été.pdf"),  # decomposed accents composed (NFC)
        ("lone \ud800 surrogate.pdf", "lone surrogate.pdf"),
    ],
)
def test_names_keep_their_script_and_lose_paths_and_controls(raw, expected):
    assert files.clean_filename(raw, PDF_TYPE) == expected


def test_long_names_are_cut_before_the_extension():
    name = files.clean_filename("ż" * 500 + ".pdf", PDF_TYPE)
    assert len(name) == files.FILENAME_LENGTH
    assert name.endswith("ż.pdf")
    assert len(name.encode()) <= 2 * files.FILENAME_LENGTH


def test_a_name_with_another_types_extension_gets_the_verified_one():
    assert files.clean_filename("photo.jpeg", files.CATALOG["image/jpeg"]) == "photo.jpeg"
    assert files.clean_filename("photo.png", files.CATALOG["image/jpeg"]) == "photo.png.jpg"


@pytest.mark.parametrize(
    ("name", "fallback"),
    [
        ("scan.pdf", "scan.pdf"),
        ("Facture été.pdf", "Facture ete.pdf"),
        ("東京.pdf", "download.pdf"),
        ('quote"back\\slash.pdf', "quote_back_slash.pdf"),
        ("100% done.txt", "100_ done.txt"),
    ],
)
def test_the_ascii_fallback_is_safe_inside_quotes(name, fallback):
    assert files.ascii_filename(name) == fallback


def test_content_disposition_follows_rfc_6266():
    name = "Relevé «final» 東京; x=1.pdf"
    header = files.content_disposition(name)
    assert header.startswith('attachment; filename="')
    encoded = header.split("filename*=UTF-8''", 1)[1]
    assert unquote(encoded) == name
    # Nothing in the encoded value could end the parameter or start another
    assert not set(encoded) & set(' ;,"\\')


@pytest.mark.parametrize(
    ("declared", "normal"),
    [
        ("application/pdf", "application/pdf"),
        ("Image/JPG", "image/jpeg"),
        ("text/plain; charset=ISO-8859-1", "text/plain"),
        ("application/x-zip-compressed", "application/zip"),
        ("", ""),
    ],
)
def test_declared_types_are_normalised(declared, normal):
    assert files.normalize_type(declared) == normal


def test_types_are_guessed_from_extensions_only_when_known():
    assert files.guess_type("Scan.PDF") == "application/pdf"
    assert files.guess_type("table.xlsx") == files.CATALOG[
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"].mime
    assert files.guess_type("setup.exe") is None
    assert files.guess_type(".pdf") is None
    assert files.guess_type("noextension") is None


def test_declared_uploads_are_refused_early():
    allowed = ["application/pdf"]
    with pytest.raises(InvalidInput) as refused:
        files.check_declared("image/png", 10, allowed=allowed, max_bytes=100)
    assert refused.value.code == "type_not_allowed"
    with pytest.raises(InvalidInput) as refused:
        files.check_declared("application/x-unknown", 10, allowed=["application/x-unknown"],
                             max_bytes=100)
    assert refused.value.code == "type_not_allowed"
    with pytest.raises(InvalidInput) as refused:
        files.check_declared("application/pdf", 0, allowed=allowed, max_bytes=100)
    assert refused.value.code == "file_empty"
    with pytest.raises(PayloadTooLarge):
        files.check_declared("application/pdf", 101, allowed=allowed, max_bytes=100)
    assert files.check_declared("application/pdf", 100, allowed=allowed, max_bytes=100) is PDF_TYPE


def verify(chunks, file_type=TEXT_TYPE, max_bytes=1000):
    data = b"".join(chunks)
    return files.verify(chunks, file_type, declared_size=len(data), max_bytes=max_bytes)


def test_text_split_inside_a_character_is_still_utf8():
    data = "zażółć gęślą jaźń".encode()
    chunks = [data[i : i + 3] for i in range(0, len(data), 3)]
    verified = verify(chunks)
    assert verified.body.read() == data
    assert verified.sha256 == hashlib.sha256(data).hexdigest()
    verified.close()


def test_text_cut_in_the_middle_of_a_character_is_not_utf8():
    with pytest.raises(Unprocessable) as refused:
        verify(["é".encode()[:1]])
    assert refused.value.code == "type_mismatch"


def test_reading_stops_past_the_limit():
    def endless():
        while True:
            yield b"a" * 100

    with pytest.raises(PayloadTooLarge):
        files.verify(endless(), TEXT_TYPE, declared_size=100, max_bytes=1000)


def test_executables_are_told_apart_from_text_starting_alike():
    assert files.is_executable(b"MZ\x90\x00\x03\x00")
    assert files.is_executable(b"\x7fELF\x02\x01\x01\x00")
    assert files.is_executable(b"\xcf\xfa\xed\xfe\x07\x00\x00\x01")
    assert not files.is_executable(b"MZ Logistics,12\n")
    assert not files.is_executable(b"%PDF-1.7\n")


def test_large_files_spill_to_disk_and_keep_their_bytes():
    data = b"%PDF-1.4\n" + b"0" * (3 * files.MiB)
    verified = files.verify([data[i : i + 65536] for i in range(0, len(data), 65536)],
                            PDF_TYPE, declared_size=len(data), max_bytes=4 * files.MiB)
    assert verified.body.read() == data
    verified.close()

"""Raw 8-bit header bytes carry no charset label: they are read in the charset the message
declares when the bytes fit it, else in the one charset-normalizer finds likeliest, and only
then as Latin-1 (which never fails, and is mojibake for anything else)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from chalicelib.mail.charsets import guess_charset
from chalicelib.mail.parse import parse_mail

pytestmark = pytest.mark.unit

PROJECT_DIR = Path(__file__).resolve().parents[2]


def raw_headers(name: str, subject: str, charset: str, content_type: str = "") -> bytes:
    head = (
        b"From: " + name.encode(charset) + b" <someone@customer.example>\r\n"
        b"Subject: " + subject.encode(charset) + b"\r\n"
    )
    extra = f"Content-Type: {content_type}\r\n".encode() if content_type else b""
    return head + extra + b"To: support@parley.test\r\n\r\nHello.\r\n"


UNDECLARED = {
    "gb2312": ("李明", "订单发货时间", "gb2312"),
    "gbk": ("张伟", "回复：订单什么时候发货？", "gbk"),  # noqa: RUF001
    "shift_jis": ("田中 花子", "請求書について", "shift_jis"),
    "cp932": ("山田太郎", "お世話になっております", "cp932"),
    "windows-1250 polish": ("Paweł Łódź", "Zamówienie nr 123 – pilne", "cp1250"),  # noqa: RUF001
    "windows-1251": ("Иван Петров", "Счёт за октябрь", "cp1251"),
    "windows-1252": ("René Lefèvre", "Crème brûlée à la française", "cp1252"),
    "windows-1252 portuguese": ("João", "Formação: Mega Campanha Final Verão", "cp1252"),
}


@pytest.mark.parametrize(
    "content_type", ["", "text/plain; charset=us-ascii", "text/plain; charset=utf-8"]
)
@pytest.mark.parametrize("name,subject,charset", UNDECLARED.values(), ids=UNDECLARED.keys())
def test_undeclared_8bit_headers_are_read_in_their_charset(
    name: str, subject: str, charset: str, content_type: str
) -> None:
    # Given a From name and a Subject as raw bytes, with no declaration they fit
    raw = raw_headers(name, subject, charset, content_type)
    # When the message is parsed
    mail = parse_mail(raw)
    # Then both read as written, and the guess is reported
    assert (mail.from_name, mail.subject) == (name, subject)
    assert any("guessed" in warning for warning in mail.warnings)


def test_the_declared_body_charset_comes_before_a_guess() -> None:
    # Given Czech headers that a guess alone would take for windows-1252, and a body that says
    # windows-1250
    raw = raw_headers("Jiří Dvořák", "Reklamace objednávky č. 4521", "cp1250", "text/plain; "
                      "charset=windows-1250")
    # Then the declaration decides
    mail = parse_mail(raw)
    assert (mail.from_name, mail.subject) == ("Jiří Dvořák", "Reklamace objednávky č. 4521")
    assert not any("guessed" in warning for warning in mail.warnings)


def test_a_charset_named_by_an_encoded_word_is_a_declaration_too() -> None:
    # Given a raw windows-1250 subject beside a name encoded as windows-1250 words
    raw = (
        b"From: =?windows-1250?Q?=A3ukasz?= <lukasz@customer.example>\r\n"
        b"Subject: " + "Szanowni Państwo".encode("cp1250") + b"\r\n\r\nHello.\r\n"
    )
    mail = parse_mail(raw)
    assert (mail.from_name, mail.subject) == ("Łukasz", "Szanowni Państwo")


def test_utf8_headers_are_never_guessed() -> None:
    raw = "From: Zoë <zoe@customer.example>\r\nSubject: Grüße\r\n\r\nHi".encode()
    mail = parse_mail(raw)
    assert (mail.from_name, mail.subject, mail.warnings) == ("Zoë", "Grüße", [])


def test_bytes_no_candidate_fits_are_still_read() -> None:
    # Given bytes undefined in windows-1252 and not a valid sequence in the multi-byte charsets
    raw = b"From: a@customer.example\r\nSubject: x\x81\x8d\x8f\x90\x9d\xff\r\n\r\nx"
    # Then the subject is still text (the last resort never fails), and the mail is read
    mail = parse_mail(raw)
    assert mail.subject.startswith("x") and len(mail.subject) > 1
    assert mail.from_email == "a@customer.example"


def test_nothing_to_guess_from_is_no_guess() -> None:
    assert guess_charset(b"") is None


def test_detection_is_imported_only_for_a_message_that_needs_it() -> None:
    # Cold starts: charset-normalizer costs ~15 ms to import; plain mail must not pay for it.
    script = (
        "import json, sys\n"
        "from chalicelib.mail.parse import parse_mail\n"
        "parse_mail('From: Zoë <z@x.example>\\r\\nSubject: Grüße\\r\\n\\r\\nHi'.encode())\n"
        "before = 'charset_normalizer' in sys.modules\n"
        "parse_mail(b'From: a@x.example\\r\\nSubject: \\xd5\\xc5\\xce\\xb0\\r\\n\\r\\nHi')\n"
        "print(json.dumps([before, 'charset_normalizer' in sys.modules]))"
    )
    result = subprocess.run(  # noqa: S603 - our own interpreter and a fixed script
        [sys.executable, "-c", script], cwd=PROJECT_DIR, capture_output=True, text=True,
        timeout=60, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == [False, True]


def test_a_huge_8bit_header_is_guessed_from_a_sample() -> None:
    # Given a 2 MB raw GBK subject (hostile, or a broken mailer)
    subject = "关于上个月发票的问题 " * 100_000
    raw = b"From: a@customer.example\r\nSubject: " + subject.encode("gbk") + b"\r\n\r\nx"
    # When it is parsed
    started = time.perf_counter()
    mail = parse_mail(raw)
    # Then it reads right, and detection looked at a few KB only (the whole takes ~1 s)
    assert mail.subject == subject.strip()
    assert time.perf_counter() - started < 1.0

"""Real-world corpora (tests/corpora): every message parses, and what the upstream projects'
tests expect of each file (their EXPECTED.md) holds for our parser, written as data.

Where our API differs from the upstream one, the row tests our equivalent and says why:
- django-helpdesk keeps the HTML alternative as an attachment; we keep it as `body_html`.
- mikel/mail keeps RFC 5322 comments inside addresses and obsolete routes "as written"; we
  return the plain mailbox (comments and routes are not part of the address).
- an attached message's size is the bytes it occupies in the source (mikel/mail re-encodes it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from chalicelib.mail.headers import parse_date
from chalicelib.mail.model import ParsedMail
from chalicelib.mail.parse import parse_mail

pytestmark = pytest.mark.unit

CORPORA = Path(__file__).resolve().parents[1] / "corpora"
# Every fixture: the .eml files and the one extensionless sample (an empty file).
ALL_MESSAGES = sorted(
    p
    for p in CORPORA.rglob("*")
    if p.is_file() and p.suffix not in {".md"} and not p.name.startswith((".", "LICENSE"))
)


def read(relative: str) -> ParsedMail:
    return parse_mail((CORPORA / relative).read_bytes())


@pytest.mark.parametrize("path", ALL_MESSAGES, ids=lambda p: str(p.relative_to(CORPORA)))
def test_every_corpus_message_parses_into_a_complete_result(path: Path) -> None:
    # Given a real-world message, however broken
    raw = path.read_bytes()
    # When it is parsed
    mail = parse_mail(raw)
    # Then nothing raised, and every field has the type the portal relies on
    assert isinstance(mail.subject, str)
    assert isinstance(mail.body_text, str)
    assert isinstance(mail.reply_text, str)
    assert mail.classification in {"normal", "auto_reply", "bounce", "loop"}
    assert all(isinstance(address, str) and "@" in address for address in mail.to + mail.cc)
    for attachment in mail.attachments:
        assert attachment.filename and "/" not in attachment.filename
        assert attachment.size == len(attachment.content)


def test_the_corpora_are_all_here() -> None:
    # 104 mikel/mail fixtures, 6 django-helpdesk ones with their licences beside them, and 9
    # written for this project.
    assert len(ALL_MESSAGES) == 119
    assert (CORPORA / "mikel-mail" / "LICENSE.upstream-MIT").is_file()
    assert (CORPORA / "django-helpdesk" / "LICENSE.upstream-BSD3").is_file()


@dataclass(frozen=True)
class Expect:
    """What one fixture must yield; `fields` compares ParsedMail attributes for equality."""

    path: str
    fields: dict[str, Any] = field(default_factory=dict)
    body_contains: tuple[str, ...] = ()
    html_contains: tuple[str, ...] = ()
    attachments: tuple[str, ...] | None = None
    sizes: dict[str, int] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    check: Callable[[ParsedMail], bool] | None = None
    warns: bool | None = None


EXPECTATIONS = [
    # --- django-helpdesk ---
    Expect(
        "django-helpdesk/all-special-chars.eml",
        fields={"subject": "Testovácí email", "body_text": "íářčšáíéřášč"},
    ),
    Expect(
        "django-helpdesk/blank-body-with-attachment.eml",
        fields={"body_text": ""},
        attachments=("baf",),
        check=lambda m: (
            m.subject.startswith("Attachment without body - and a looo")
            and len(m.subject) > 120
            and m.attachments[0].content == b"You shouldn't see this.\n"
        ),
    ),
    Expect(
        "django-helpdesk/forwarded-message.eml",
        # Full text keeps the forwarded part (FULL_FIRST_MESSAGE on); the reply alone does not.
        fields={"subject": "Test with original message from GitHub"},
        body_contains=("This is email body", "Hello there!"),
        check=lambda m: m.reply_text == "This is email body",
    ),
    Expect(
        "django-helpdesk/pgp.eml",
        fields={
            "subject": "example email that crashes django-helpdesk get_email",
            "body_text": "hi, thanks for looking into this :)\n\n"
            "https://github.com/django-helpdesk/django-helpdesk/issues/567#issuecomment-342954233",
        },
        attachments=("signature.asc",),
        check=lambda m: b"-----BEGIN PGP SIGNATURE-----" in m.attachments[0].content,
    ),
    Expect(
        "django-helpdesk/quoted_printable.eml",
        fields={
            "subject": "Český test",
            "body_text": "Tohle je test českých písmen odeslaných z gmailu.",
        },
        attachments=(),
        html_contains=("Tohle je test českých písmen odeslaných z gmailu.",),
    ),
    Expect(
        "django-helpdesk/utf-nondecodable.eml",
        fields={"subject": "Fwd: Cyklozaměstnavatel - změna vyhodnocení"},
        body_contains=("Cyklozaměstnavatel", "poprosila o změnu"),
        html_contains=("prosazuje lepší",),
    ),
    # --- mikel/mail rfc2822/ ---
    Expect(
        "mikel-mail/rfc2822/example01.eml",
        fields={
            "from_email": "jdoe@machine.example",
            "from_name": "John Doe",
            "to": ["mary@example.net"],
            "message_id": "<1234@local.machine.example>",
            "date": "1997-11-21T09:55:06-06:00",
            "subject": "Saying Hello",
        },
    ),
    Expect(
        "mikel-mail/rfc2822/example02.eml",
        fields={"from_email": "jdoe@machine.example", "subject": "Saying Hello"},
        headers={"Sender": "Michael Jones <mjones@machine.example>"},
    ),
    Expect(
        "mikel-mail/rfc2822/example03.eml",
        fields={
            "from_name": "Joe Q. Public",
            "to": ["mary@x.test", "jdoe@example.org", "one@y.test"],
            "cc": ["boss@nil.test", "sysservices@example.net"],
        },
    ),
    Expect(
        "mikel-mail/rfc2822/example04.eml",
        fields={
            "to": ["c@a.test", "joe@where.test", "jdoe@one.test"],
            "cc": [],
            "date": "1969-02-13T23:32:54-03:30",
        },
    ),
    Expect(
        "mikel-mail/rfc2822/example05.eml",
        fields={"from_email": "jdoe@machine.example", "to": ["mary@example.net"]},
    ),
    Expect(
        "mikel-mail/rfc2822/example06.eml",
        fields={
            "from_email": "mary@example.net",
            "reply_to": ["smith@home.example"],
            "in_reply_to": "<1234@local.machine.example>",
            "references": ["<1234@local.machine.example>"],
        },
    ),
    Expect(
        "mikel-mail/rfc2822/example07.eml",
        fields={
            "in_reply_to": "<3456@example.net>",
            "references": ["<1234@local.machine.example>", "<3456@example.net>"],
        },
    ),
    Expect(
        "mikel-mail/rfc2822/example08.eml",
        fields={"from_email": "jdoe@machine.example", "message_id": "<1234@local.machine.example>"},
        headers={
            "Resent-From": "Mary Smith <mary@example.net>",
            "Resent-To": "Jane Brown <j-brown@other.example>",
            "Resent-Date": "Mon, 24 Nov 1997 14:22:01 -0800",
            "Resent-Message-ID": "<78910@example.net>",
        },
    ),
    Expect(
        "mikel-mail/rfc2822/example09.eml",
        check=lambda m: (
            [parse_date(v.rsplit(";", 1)[1]) for v in m.header_values("Received")]
            == ["1997-11-21T10:05:43-06:00", "1997-11-21T10:01:22-06:00"]
        ),
    ),
    Expect(
        "mikel-mail/rfc2822/example10.eml",
        fields={
            "from_email": "pete@silly.test",
            "from_name": "Pete",
            "to": ["c@public.example", "joe@example.org", "jdoe@one.test"],
            "cc": [],
        },
    ),
    Expect(
        "mikel-mail/rfc2822/example11.eml",
        fields={"to": ["mary@example.net", "jdoe@test.example"]},
    ),
    Expect("mikel-mail/rfc2822/example12.eml", fields={"date": "1997-11-21T09:55:06+00:00"}),
    Expect(
        "mikel-mail/rfc2822/example13.eml",
        # Pending upstream; here the obsolete syntax is read and the junk line reported.
        fields={
            "from_email": "jdoe@machine.example",
            "to": ["mary@example.net"],
            "subject": "Saying Hello",
            "date": "1997-11-21T09:55:06-06:00",
        },
        warns=True,
    ),
    Expect(
        "mikel-mail/rfc2822/example14.eml",
        fields={
            "from_email": "atsushi@example.com",
            "subject": "Re: TEST \tテストテスト",
            "message_id": "<0CC5E11ED2C1D@example.com>",
            "body_text": "Hello",
        },
    ),
    # --- plain_emails/ ---
    Expect(
        "mikel-mail/plain_emails/basic_email.eml",
        fields={"to": ["raasdnil@gmail.com"], "attachments": []},
    ),
    Expect(
        "mikel-mail/plain_emails/basic_email_lf.eml",
        fields={"subject": "Testing 123", "to": ["raasdnil@gmail.com"]},
    ),
    Expect(
        "mikel-mail/plain_emails/mix_caps_content_type.eml",
        fields={"body_text": "foo bar", "warnings": []},
    ),
    Expect(
        "mikel-mail/plain_emails/raw_email.eml",
        fields={"from_email": "jamis@37signals.com", "subject": "NOTE: 한국말로 하는 것"},
        check=lambda m: m.headers[0][0] != "From" and not any(" " in n for n, _ in m.headers),
    ),
    Expect(
        "mikel-mail/plain_emails/raw_email_incorrect_header.eml",
        fields={"subject": "Stop adware/spyware once and for all.", "from_email": "xxx@xxx.xxx"},
        body_contains=("You are infected with:",),
        warns=True,
    ),
    Expect(
        "mikel-mail/plain_emails/raw_email_reply.eml",
        fields={
            "message_id": "<473FFE27.20003@xxx.org>",
            "references": [
                "<473FF3B8.9020707@xxx.org>",
                "<348F04F142D69C21-291E56D292BC@xxxx.net>",
            ],
        },
    ),
    Expect(
        "mikel-mail/plain_emails/raw_email_string_in_date_field.eml",
        fields={"warnings": [], "date": "2008-09-20T20:04:30+03:00"},
    ),
    Expect(
        "mikel-mail/plain_emails/raw_email_with_at_display_name.eml",
        fields={"to": ["smith@gmail.com", "raasdnil@gmail.com", "tom@gmail.com"]},
    ),
    # --- mime_emails/ ---
    Expect(
        "mikel-mail/mime_emails/raw_email7.eml",
        fields={"body_text": "This is the first part."},
        attachments=("test.rb", "test.pdf", "smime.p7s"),
    ),
    Expect(
        "mikel-mail/mime_emails/raw_email11.eml",
        # text/plain, not the text/enriched alternative after it
        fields={"body_text": "XXXXX Xxxxx"},
        attachments=(),
    ),
    Expect(
        "mikel-mail/mime_emails/email_with_similar_boundaries.eml",
        fields={"body_text": "Test"},
        attachments=("LOGO.png",),
    ),
    Expect(
        "mikel-mail/mime_emails/raw_email_with_nested_attachment.eml",
        attachments=("truncated.png", "smime.p7s"),
    ),
    Expect(
        "mikel-mail/mime_emails/raw_email_with_binary_encoded.eml",
        attachments=("2013-08-13_19-08-28-1.jpg",),
        check=lambda m: m.attachments[0].content == b"BINARY_CONTENT_GOES_HERE",
    ),
    Expect(
        "mikel-mail/mime_emails/raw_email_encoded_stack_level_too_deep.eml",
        # multipart/alternative of exactly two parts: the text and the HTML
        attachments=(),
        body_contains=("Nicolas Fouché has accepted your invitation",),
        html_contains=("Nicolas Fouché",),
    ),
    Expect("mikel-mail/mime_emails/sig_only_email.eml", attachments=("signature.asc",)),
    Expect(
        "mikel-mail/mime_emails/two_from_in_message.eml",
        fields={"to": ["tester2@test.com"], "from_email": "tester1@test.com"},
        body_contains=("* From Hotmail you get the ads as well.",),
    ),
    # --- attachment_emails/ ---
    Expect(
        "mikel-mail/attachment_emails/attachment_content_location.eml", attachments=("Photo25.jpg",)
    ),
    Expect(
        "mikel-mail/attachment_emails/attachment_content_disposition.eml", attachments=("api.rb",)
    ),
    Expect(
        "mikel-mail/attachment_emails/attachment_pdf.eml",
        attachments=("broken.pdf",),
        sizes={"broken.pdf": 1026},
        body_contains=("Just attaching another PDF",),
    ),
    Expect(
        "mikel-mail/attachment_emails/attachment_pdf_non_ascii.eml",
        attachments=("broken.pdf",),
        sizes={"broken.pdf": 1026},
    ),
    Expect(
        "mikel-mail/attachment_emails/attachment_pdf_lf.eml",
        attachments=("broken.pdf",),
        sizes={"broken.pdf": 1026},
    ),
    Expect(
        "mikel-mail/attachment_emails/attachment_pdf_non_ascii_lf.eml",
        attachments=("broken.pdf",),
        sizes={"broken.pdf": 1026},
    ),
    Expect(
        "mikel-mail/attachment_emails/attachment_only_email.eml",
        fields={"body_text": ""},
        attachments=("blah.gz",),
    ),
    Expect(
        "mikel-mail/attachment_emails/attachment_with_encoded_name.eml",
        attachments=("01 Quien Te Dij\ufffdat. Pitbull.mp3",),
    ),
    Expect(
        "mikel-mail/attachment_emails/attachment_with_base64_encoded_name.eml",
        attachments=("This is a test.pdf",),
    ),
    Expect(
        "mikel-mail/attachment_emails/attachment_with_unquoted_name.eml",
        attachments=("This is a test.txt",),
    ),
    Expect(
        "mikel-mail/attachment_emails/attachment_nonascii_filename.eml",
        attachments=("ciële.txt",),
    ),
    Expect(
        "mikel-mail/attachment_emails/attachment_message_rfc822.eml",
        attachments=("ForwardedMessage.eml", "broken.pdf"),
        sizes={"broken.pdf": 1026},
    ),
    Expect(
        "mikel-mail/attachment_emails/attachment_message_rfc822_inline_image.eml",
        attachments=("img.png", "Testmail.eml"),
        check=lambda m: (
            [a.inline for a in m.attachments] == [True, False]
            and m.attachments[1].content_type == "message/rfc822"
            and m.attachments[1].content.startswith(b"From xxxx@xxxx.com Tue May 10")
            and m.attachments[1].size == 1853
        ),  # the part's bytes in the source
    ),
    # --- multipart_report_emails/ ---
    Expect(
        "mikel-mail/multipart_report_emails/report_422.eml",
        fields={"classification": "bounce", "bounced": False},
        check=lambda m: (
            len(m.delivery_status) == 1
            and m.delivery_status[0].action == "delayed"
            and m.delivery_status[0].status == "4.2.2"
            and m.delivery_status[0].recipient == "fraser@oooooooo.com.au"
            and "Mailbox full" in m.delivery_status[0].diagnostic
            and m.delivery_status[0].remote_mta == "mail.oooooooo.com.au"
            and not m.delivery_status[0].failed
        ),
    ),
    Expect(
        "mikel-mail/multipart_report_emails/report_530.eml",
        fields={"classification": "bounce", "bounced": True},
        check=lambda m: (
            [(s.action, s.status, s.recipient) for s in m.delivery_status]
            == [("failed", "5.3.0", "edwin@zzzzzzz.com")]
        ),
    ),
    Expect(
        "mikel-mail/multipart_report_emails/multipart_report_multiple_status.eml",
        fields={"classification": "bounce", "bounced": True},
    ),
    Expect(
        "mikel-mail/multipart_report_emails/multi_address_bounce1.eml",
        fields={"classification": "bounce", "bounced": True},
        check=lambda m: len(m.delivery_status) == 5,
    ),
    Expect(
        "mikel-mail/multipart_report_emails/multi_address_bounce2.eml",
        fields={"classification": "bounce", "bounced": True},
        check=lambda m: len(m.delivery_status) > 1,
    ),
    # --- multi_charset/ ---
    Expect("mikel-mail/multi_charset/japanese_iso_2022.eml", fields={"body_text": "すみません。"}),
    Expect("mikel-mail/multi_charset/ks_c_5601-1987.eml", fields={"body_text": "스티해"}),
    Expect(
        "mikel-mail/multi_charset/japanese_shift_jis.eml",
        body_contains=("あいうえお", "このメールはテスト用のメールです。"),
    ),
    Expect(
        "mikel-mail/multi_charset/japanese.eml",
        fields={"subject": "まみむめも", "from_name": "Mikel Lindsaar"},
        body_contains=("かきくえこ",),
    ),
    Expect(
        "mikel-mail/multi_charset/japanese_attachment_long_name.eml",
        attachments=("かきくけこかきくけこかきくけこかきくけこかきくけこ.txt",),
    ),
    # --- error_emails/ ---
    Expect("mikel-mail/error_emails/bad_date_header2.eml", fields={"date": None}, warns=True),
    Expect(
        "mikel-mail/error_emails/bad_subject.eml",
        fields={"subject": "MySurvey.com:  You have a survey waiting!  91123105"},
    ),
    Expect(
        "mikel-mail/error_emails/cant_parse_from.eml",
        fields={"from_email": "News@InsideApple.Apple.com", "from_name": "Apple"},
        html_contains=("MacBook Pro",),
    ),
    Expect("mikel-mail/error_emails/empty_in_reply_to.eml", fields={"in_reply_to": None}),
    Expect("mikel-mail/error_emails/missing_body.eml", fields={"body_text": ""}),
    Expect(
        "mikel-mail/error_emails/must_supply_encoding.eml",
        fields={"from_email": "info@here2there-travelers-msgs.net"},
    ),
    Expect("mikel-mail/error_emails/empty_group_lists.eml", fields={"to": []}),
    Expect(
        "mikel-mail/error_emails/multiple_references_with_one_invalid.eml",
        fields={"references": ["<foo@bar.net>"]},
    ),
    Expect(
        "mikel-mail/error_emails/multiple_invalid_content_dispositions.eml",
        fields={"body_text": "foo"},
        attachments=(),
    ),
    Expect(
        "mikel-mail/error_emails/weird_to_header.eml",
        fields={"to": ["user-example@aol.com", "e-s-a-s-2200@app.ar.com"]},
    ),
    Expect(
        "mikel-mail/error_emails/invalid_subject_characters.eml",
        fields={
            "from_name": "Formação Frenetikpolis",
            # Raw 8-bit that is not UTF-8 is read as windows-1252, not kept as bytes.
            "subject": "Formação FrenetikPolis: Mega Campanha Final Verão | Cursos de Setembro",
        },
    ),
    Expect(
        "mikel-mail/error_emails/content_transfer_encoding_x_uuencode.eml",
        attachments=("PGP_Cmts_on_12-14-01_Pkg.doc",),
        check=lambda m: m.reply_text == "Attached are the comments of the Public Generating Pool.",
    ),
    # --- parley-cases/ (hand-written; see its EXPECTED.md) ---
    Expect(
        "parley-cases/header-8bit-gbk-undeclared.eml",
        fields={
            "from_name": "张伟",
            "from_email": "zhang.wei@customer.example",
            "subject": "关于上个月发票的问题",
            "sender_doubt": "",
        },
    ),
    Expect(
        "parley-cases/header-8bit-shift-jis-undeclared.eml",
        fields={"from_name": "山田太郎", "subject": "お問い合わせ：請求書について"},  # noqa: RUF001
    ),
    Expect(
        "parley-cases/header-8bit-windows-1250-body-utf8.eml",
        fields={
            "from_name": "Łukasz Wójcik",
            "subject": "Faktura za październik – pilne",  # noqa: RUF001
            "body_text": "Dzień dobry,\nw załączeniu brakuje faktury za październik.\nPozdrawiam",
        },
    ),
    Expect(
        "parley-cases/header-8bit-windows-1250-declared.eml",
        fields={"from_name": "Jiří Dvořák", "subject": "Žádost o vrácení peněz"},
        check=lambda m: not any("guessed" in w for w in m.warnings),
    ),
    Expect(
        "parley-cases/junk-line-before-headers.eml",
        fields={
            "from_email": "ann.lee@customer.example",
            "from_name": "Ann Lee",
            "subject": "Printer still offline",
            "date": "2025-11-10T16:40:02+00:00",
            "message_id": "<export-77@customer.example>",
            "body_text": "The printer on the second floor is still offline.",
            "sender_doubt": "",
        },
        check=lambda m: [name for name, _ in m.headers][:1] == ["From"],
        warns=True,
    ),
    Expect(
        "parley-cases/encoded-word-in-address.eml",
        fields={
            "from_email": "=?utf-8?Q?agent?=@customer.example",
            "from_name": "",
            "sender_doubt": "the From address held an encoded-word",
        },
    ),
    Expect(
        "parley-cases/no-from-sender.eml",
        fields={
            "from_email": "billing@customer.example",
            "from_name": "Billing Robot",
            "sender_doubt": "no From header; the sender was taken from Sender",
        },
    ),
    Expect(
        "parley-cases/no-from-reply-to.eml",
        fields={
            "from_email": "ola.nowak@customer.example",
            "from_name": "Ola Nowak",
            "reply_to": ["ola.nowak@customer.example"],
            "sender_doubt": "no From header; the sender was taken from Reply-To",
        },
    ),
    Expect(
        "parley-cases/unnamed-binary-parts.eml",
        fields={"body_text": "The scan and the device log are attached."},
        attachments=("part-1.bin", "part-2.pdf"),
        check=lambda m: (
            [a.content_type for a in m.attachments]
            == ["application/octet-stream", "application/pdf"]
            and m.attachments[0].content == bytes(range(256))
            and m.attachments[1].content.startswith(b"%PDF-1.4")
        ),
    ),
    # --- rfc6532/ ---
    Expect(
        "mikel-mail/rfc6532/utf8_headers.eml",
        fields={
            "subject": "Säying Hello",
            "from_email": "jdöe@mächine.example",
            "from_name": "Jöhn Doe",
            "to": ["märy@exämple.net"],
        },
    ),
]


@pytest.mark.parametrize("expect", EXPECTATIONS, ids=lambda e: e.path)
def test_corpus_expectations(expect: Expect) -> None:
    # Given a fixture whose upstream tests say what it must yield
    # When it is parsed
    mail = read(expect.path)
    # Then each expectation holds
    for name, value in expect.fields.items():
        assert getattr(mail, name) == value, name
    for text in expect.body_contains:
        assert text in mail.body_text
    for text in expect.html_contains:
        assert text in mail.body_html
    if expect.attachments is not None:
        assert [a.filename for a in mail.attachments] == list(expect.attachments)
    for name, size in expect.sizes.items():
        assert next(a.size for a in mail.attachments if a.filename == name) == size
    for name, value in expect.headers.items():
        assert mail.header(name) == value
    if expect.warns is not None:
        assert bool(mail.warnings) is expect.warns
    if expect.check is not None:
        assert expect.check(mail)


def test_report_rewritten_as_mixed_reports_no_delivery_status() -> None:
    # Given the 4.2.2 report with its Content-Type rewritten to multipart/mixed
    raw = (CORPORA / "mikel-mail/multipart_report_emails/report_422.eml").read_bytes()
    raw = raw.replace(b"multipart/report", b"multipart/mixed", 1)
    # When it is parsed
    mail = parse_mail(raw)
    # Then no status is read from it, though it is still a bounce (it comes from MAILER-DAEMON)
    assert mail.delivery_status == []
    assert mail.classification == "bounce"


def test_binary_attachment_spliced_into_the_template_comes_back_byte_for_byte() -> None:
    # Given the binary-encoded template with real binary content spliced in (CR and LF included)
    raw = (CORPORA / "mikel-mail/mime_emails/raw_email_with_binary_encoded.eml").read_bytes()
    binary = bytes(range(256)) * 8
    # When it is parsed
    mail = parse_mail(raw.replace(b"BINARY_CONTENT_GOES_HERE", binary))
    # Then the attachment is exactly those bytes
    assert [a.content for a in mail.attachments] == [binary]


def test_iso_2022_jp_body_from_raw_bytes_is_decoded() -> None:
    mail = read("mikel-mail/multi_charset/japanese_iso_2022.eml")
    assert mail.body_text == "すみません。"
    assert mail.subject == "まみむめも"

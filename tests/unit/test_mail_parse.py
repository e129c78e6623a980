"""parse_mail on hand-made messages: names, charsets, HTML, inline images, forwarded mail,
legacy encodings and broken input, which must give warnings and never an exception."""

from __future__ import annotations

import base64
import random
import time

import pytest

from chalicelib.mail.parse import parse_mail

pytestmark = pytest.mark.unit


def mime(*parts: str, boundary: str = "XyZ", subtype: str = "mixed", head: str = "") -> bytes:
    body = "".join(f"--{boundary}\r\n{part}\r\n" for part in parts) + f"--{boundary}--\r\n"
    return (
        "From: Jan <jan@customer.example>\r\nTo: support@parley.test\r\nSubject: Files\r\n"
        f"MIME-Version: 1.0\r\n{head}"
        f'Content-Type: multipart/{subtype}; boundary="{boundary}"\r\n\r\n{body}'
    ).encode()


TEXT_PART = "Content-Type: text/plain; charset=utf-8\r\n\r\nSee attached."


def attachment_named(disposition_params: str) -> str:
    return (
        "Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n"
        f"Content-Disposition: attachment;{disposition_params}\r\n\r\naGVsbG8="
    )


FILENAMES = {
    "rfc2231 utf-8": (
        " filename*=utf-8''Faktura%20nr%201%20%C5%BC%C3%B3%C5%82w.pdf",
        "Faktura nr 1 żółw.pdf",
    ),
    "rfc2231 with language": (" filename*=iso-8859-1'fr'r%E9sum%E9.txt", "résumé.txt"),
    "rfc2231 continuations": (
        "\r\n filename*0*=utf-8''%E6%97%A5%E6%9C%AC;\r\n filename*1*=%E8%AA%9E.txt",
        "日本語.txt",
    ),
    "rfc2231 plain continuations": (
        '\r\n filename*0="long name ";\r\n filename*1="part two.doc"',
        "long name part two.doc",
    ),
    "rfc2047 base64": (' filename="=?UTF-8?B?xbvDs8WCdy5wZGY=?="', "Żółw.pdf"),
    "rfc2047 q split over words": (
        ' filename="=?utf-8?Q?r=C3=A9?= =?utf-8?Q?sum=C3=A9.txt?="',
        "résumé.txt",
    ),
    "rfc2047 character split across words": (
        ' filename="=?UTF-8?B?xbs=?= =?UTF-8?B?w7PFgncucGRm?="',
        "Żółw.pdf",
    ),
    "raw utf-8": (' filename="ciële.txt"', "ciële.txt"),
    "windows path": (' filename="C:\\\\Users\\\\jan\\\\report.pdf"', "report.pdf"),
    "unix path traversal": (' filename="../../etc/passwd"', "passwd"),
    "semicolon inside quotes": (' filename="a;b.txt"', "a;b.txt"),
}


@pytest.mark.parametrize("params,expected", FILENAMES.values(), ids=FILENAMES.keys())
def test_attachment_filenames_are_decoded(params: str, expected: str) -> None:
    # Given an attachment whose name is encoded one of the ways mailers encode names
    mail = parse_mail(mime(TEXT_PART, attachment_named(params)))
    # Then the name reads as the sender wrote it, and never as a path
    assert [a.filename for a in mail.attachments] == [expected]
    assert mail.attachments[0].content == b"hello"


def test_a_name_only_in_content_type_is_used() -> None:
    part = (
        'Content-Type: application/pdf; name="=?iso-8859-2?Q?=BF=F3=B3w.pdf?="\r\n'
        "Content-Transfer-Encoding: base64\r\n\r\naGVsbG8="
    )
    mail = parse_mail(mime(TEXT_PART, part))
    assert [a.filename for a in mail.attachments] == ["żółw.pdf"]


def test_an_unnamed_attachment_gets_a_stable_generated_name() -> None:
    part = "Content-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\r\naGVsbG8="
    assert [a.filename for a in parse_mail(mime(TEXT_PART, part)).attachments] == ["part-1.png"]


def test_encoded_subject_and_names() -> None:
    raw = (
        b"From: =?ISO-8859-2?Q?Pawe=B3_=AFak?= <pawel@customer.example>\r\n"
        b'To: "=?utf-8?B?TcO8bGxlcg==?=" <mueller@customer.example>, Ann <ann@x.example>\r\n'
        b"Cc: =?windows-1252?Q?Caf=E9?= <cafe@x.example>\r\n"
        b"Subject: =?UTF-8?Q?Zam=C3=B3wienie_?= =?UTF-8?Q?nr_5?= is late\r\n\r\nbody"
    )
    mail = parse_mail(raw)
    assert (mail.from_name, mail.from_email) == ("Paweł Żak", "pawel@customer.example")
    assert mail.to == ["mueller@customer.example", "ann@x.example"]
    assert mail.cc == ["cafe@x.example"]
    assert mail.subject == "Zamówienie nr 5 is late"


CHARSETS = {
    "utf-8 labelled latin-1": ("iso-8859-1", "Zażółć gęślą jaźń".encode(), "Zażółć gęślą jaźń"),
    "windows-1252 labelled utf-8": ("utf-8", "Café “quoted”".encode("cp1252"), "Café “quoted”"),
    "unlabelled windows-1252": (None, "naïve café".encode("cp1252"), "naïve café"),
    "unknown label": ("x-unheard-of", "żółw".encode(), "żółw"),
    "quoted label": ('"UTF-8"', "żółw".encode(), "żółw"),
    "ks_c_5601-1987": ("ks_c_5601-1987", "스티해".encode("cp949"), "스티해"),
    "gb2312 sent as gbk": ("gb2312", "汉字测试".encode("gb18030"), "汉字测试"),
    "shift_jis with cp932 extension": ("shift_jis", "①テスト".encode("cp932"), "①テスト"),
    "iso-2022-jp": ("iso-2022-jp", "すみません".encode("iso2022_jp"), "すみません"),
    "koi8-r": ("koi8-r", "Привет".encode("koi8_r"), "Привет"),
    "windows-1250": ("windows-1250", "Zażółć".encode("cp1250"), "Zażółć"),
}


@pytest.mark.parametrize("label,data,expected", CHARSETS.values(), ids=CHARSETS.keys())
def test_body_charsets_and_their_fallbacks(label: str | None, data: bytes, expected: str) -> None:
    charset = f"; charset={label}" if label else ""
    raw = (
        b"From: a@b.example\r\nSubject: x\r\nContent-Type: text/plain"
        + charset.encode()
        + b"\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        + data
    )
    assert parse_mail(raw).body_text == expected


def test_raw_8bit_headers_are_read_as_utf8_or_the_message_charset() -> None:
    raw = (
        "From: Jürgen <j@x.example>\r\n".encode()
        + "Subject: Grüße\r\n".encode("cp1252")
        + b"Content-Type: text/plain; charset=windows-1252\r\n\r\nx"
    )
    mail = parse_mail(raw)
    assert (mail.from_name, mail.subject) == ("Jürgen", "Grüße")


def test_quoted_printable_and_base64_bodies() -> None:
    qp = (
        "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n"
        "\r\nZa=C5=BC=C3=B3=C5=82=\r\n=C4=87"
    )
    b64 = (
        "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + base64.b64encode("drugi żółw".encode()).decode()
    )
    mail = parse_mail(mime(qp, b64))
    assert mail.body_text == "Zażółć\n\ndrugi żółw"


def test_damaged_base64_still_decodes() -> None:
    part = (
        "Content-Type: application/pdf; name=a.pdf\r\nContent-Transfer-Encoding: Base64;\r\n\r\n"
        "JVBERi0x\r\nLjQK*** junk\r\nJSVFT0Y"  # stray characters and missing padding
    )
    assert parse_mail(mime(TEXT_PART, part)).attachments[0].content.startswith(b"%PDF-1.4\n")


def test_uuencoded_file_in_a_plain_body_becomes_an_attachment() -> None:
    raw = (
        b"From: a@b.example\r\nSubject: old client\r\n\r\nHere it is.\r\n\r\n"
        b"begin 644 hello.txt\r\n%:&5L;&\\`\r\n`\r\nend\r\n\r\nBye"
    )
    mail = parse_mail(raw)
    assert [(a.filename, a.content) for a in mail.attachments] == [("hello.txt", b"hello")]
    assert mail.body_text == "Here it is.\n\n\nBye"


def test_uuencode_transfer_encoding() -> None:
    part = (
        "Content-Type: application/octet-stream; name=h.txt\r\n"
        "Content-Transfer-Encoding: x-uuencode\r\n\r\nbegin 644 h.txt\r\n%:&5L;&\\`\r\n`\r\nend"
    )
    assert parse_mail(mime(TEXT_PART, part)).attachments[0].content == b"hello"


def test_format_flowed_lines_are_joined() -> None:
    raw = (
        b"From: a@b.example\r\n"
        b"Content-Type: text/plain; charset=utf-8; format=flowed; delsp=yes\r\n\r\n"
        b"This line is so  \r\nlong it was wrapped.\r\n"
        b"> quoted and  \r\n> wrapped too\r\n-- \r\nJan"
    )
    assert parse_mail(raw).body_text == (
        "This line is so long it was wrapped.\n> quoted and wrapped too\n-- \nJan"
    )


def test_html_only_mail_is_sanitised_and_readable_as_text() -> None:
    raw = (
        b"From: a@b.example\r\nSubject: html\r\nContent-Type: text/html\r\n\r\n"
        b"<html><head><title>T</title><style>p{color:red}</style>"
        b'<meta charset="windows-1252"></head><body onload="x()">'
        b"<p>Caf\xe9 <b>bold</b><script>alert(1)</script></p>"
        b"<ul><li>one</li><li>two</li></ul>"
        b'<p><a href="https://portal.example/t/42" onclick="y()">the ticket</a></p>'
        b'<img src="cid:logo@x" alt="Logo"></body></html>'
    )
    mail = parse_mail(raw)
    assert mail.body_text == (
        "Café bold\n\n- one\n- two\n\nthe ticket (https://portal.example/t/42)\n\n[Logo]"
    )
    assert "<script" not in mail.body_html and "alert" not in mail.body_html
    assert "onload" not in mail.body_html and "onclick" not in mail.body_html
    assert 'src="cid:logo@x"' in mail.body_html


def test_alternative_prefers_its_plain_text_and_keeps_the_html() -> None:
    alternative = mime(
        "Content-Type: text/plain; charset=utf-8\r\n\r\nplain version",
        "Content-Type: text/html; charset=utf-8\r\n\r\n<p>html version</p>",
        "Content-Type: text/x-amp-html; charset=utf-8\r\n\r\n<p>amp version</p>",
        subtype="alternative",
    )
    mail = parse_mail(alternative)
    assert mail.body_text == "plain version"
    assert mail.body_html == "<p>html version</p>"
    assert mail.attachments == []  # the other renditions are not files


def test_inline_image_by_content_id_in_multipart_related() -> None:
    # Given HTML that shows an image attached to it by Content-ID
    related = (
        'Content-Type: multipart/related; boundary="REL"\r\n\r\n'
        "--REL\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        '<p>Screenshot:</p><img src="cid:shot.png@01D9">\r\n'
        "--REL\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n"
        "Content-ID: <shot.png@01D9>\r\n\r\niVBORw0KGgo=\r\n--REL--"
    )
    mail = parse_mail(mime(related))
    # Then the image is an inline attachment the HTML can be rewired to
    [image] = mail.attachments
    assert (image.inline, image.content_id, image.content_type) == (
        True,
        "shot.png@01D9",
        "image/png",
    )
    assert image.content.startswith(b"\x89PNG")
    assert 'src="cid:shot.png@01D9"' in mail.body_html
    assert mail.body_text == "Screenshot:"


def test_forwarded_message_is_an_attachment_and_its_text_follows_the_note() -> None:
    # Given a note with the original message attached inline (message/rfc822)
    inner = (
        "Content-Type: message/rfc822\r\n\r\n"
        "From: Bank <info@bank.example>\r\nSubject: Statement\r\n"
        "Date: Sat, 1 Nov 2025 08:00:00 +0000\r\n"
        'Content-Type: multipart/mixed; boundary="IN"\r\n\r\n'
        "--IN\r\nContent-Type: text/plain\r\n\r\nYour statement is ready.\r\n"
        "--IN\r\nContent-Type: application/pdf; name=statement.pdf\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n--IN--"
    )
    mail = parse_mail(mime("Content-Type: text/plain\r\n\r\nPlease check this.", inner))
    # Then the attached message and its own attachment are both files
    assert [a.filename for a in mail.attachments] == ["Statement.eml", "statement.pdf"]
    assert mail.attachments[0].content.startswith(b"From: Bank <info@bank.example>")
    # And its text is shown after the note, which alone is the reply
    assert "From: Bank <info@bank.example>\nDate: Sat, 1 Nov 2025" in mail.body_text
    assert mail.body_text.endswith("Your statement is ready.")
    assert mail.reply_text == "Please check this."


def test_signed_mail_keeps_the_signature_as_an_attachment() -> None:
    signed = mime(
        "Content-Type: text/plain\r\n\r\nSigned text",
        "Content-Type: application/pgp-signature; name=signature.asc\r\n\r\n"
        "-----BEGIN PGP SIGNATURE-----\r\nxyz\r\n-----END PGP SIGNATURE-----",
        subtype='signed; protocol="application/pgp-signature"',
    )
    mail = parse_mail(signed)
    assert mail.body_text == "Signed text"
    assert [a.filename for a in mail.attachments] == ["signature.asc"]


def test_header_access_for_ses_verdicts() -> None:
    raw = (
        b"X-SES-Spam-Verdict: PASS\r\nX-SES-Virus-Verdict: FAIL\r\n"
        b"Received-SPF: pass (spfCheck: domain of customer.example)\r\n"
        b"Received: from a by b; Mon, 3 Nov 2025 10:00:00 +0000\r\n"
        b"Received: from c by a; Mon, 3 Nov 2025 09:59:59 +0000\r\n"
        b"From: a@customer.example\r\n\r\nx"
    )
    mail = parse_mail(raw)
    assert mail.header("x-ses-virus-verdict") == "FAIL"
    assert mail.header("X-SES-Spam-Verdict") == "PASS"
    assert len(mail.header_values("received")) == 2
    assert mail.header("X-Missing") is None


DATES = {
    "rfc 5322": ("Mon, 3 Nov 2025 10:00:00 +0100", "2025-11-03T10:00:00+01:00"),
    "unknown zone is utc": ("Mon, 3 Nov 2025 10:00:00 -0000", "2025-11-03T10:00:00+00:00"),
    "named zone and comment": (
        "Mon, 3 Nov 2025 10:00:00 EST (Eastern)",
        "2025-11-03T10:00:00-05:00",
    ),
    "no weekday, two-digit year": ("3 Nov 97 10:00 GMT", "1997-11-03T10:00:00+00:00"),
    "iso written by a script": ("2025-11-03 10:00:00", "2025-11-03T10:00:00+00:00"),
    "dotted": ("Mon, 3. Nov. 2025 10:00:00 +0100", "2025-11-03T10:00:00+01:00"),
}


@pytest.mark.parametrize("value,expected", DATES.values(), ids=DATES.keys())
def test_dates_become_iso_8601(value: str, expected: str) -> None:
    raw = f"From: a@b.example\r\nDate: {value}\r\n\r\nx".encode()
    assert parse_mail(raw).date == expected


def test_an_unreadable_date_is_none_with_a_warning() -> None:
    mail = parse_mail(b"From: a@b.example\r\nDate: sometime soon\r\n\r\nx")
    assert mail.date is None
    assert any("Date" in warning for warning in mail.warnings)


def test_message_ids_keep_their_brackets_and_order() -> None:
    raw = (
        b"From: a@b.example\r\nMessage-ID: <m1@b.example>\r\n"
        b"In-Reply-To: <p1@parley.test> (Support's message of Monday)\r\n"
        b"References: <r0@x.example>\r\n <p1@parley.test>\r\n\r\nx"
    )
    mail = parse_mail(raw)
    assert mail.message_id == "<m1@b.example>"
    assert mail.in_reply_to == "<p1@parley.test>"
    assert mail.references == ["<r0@x.example>", "<p1@parley.test>"]


def test_str_input_is_accepted() -> None:
    assert parse_mail("From: a@b.example\nSubject: żółw\n\nbody").subject == "żółw"


def test_without_from_the_sender_header_is_used_with_a_warning() -> None:
    mail = parse_mail(b"Sender: Jan <jan@customer.example>\r\nSubject: x\r\n\r\nbody")
    assert mail.from_email == "jan@customer.example"
    assert any("From" in warning for warning in mail.warnings)


BROKEN = {
    "empty": b"",
    "only blank lines": b"\r\n\r\n\r\n",
    "garbage bytes": bytes(random.Random(7).randrange(256) for _ in range(4000)),
    "no headers": b"Just some text someone saved as .eml\nsecond line",
    "nul bytes": b"From: a@b.example\r\nSubject: \x00x\x00\r\n\r\nbo\x00dy",
    "truncated multipart": mime(TEXT_PART, attachment_named(' filename="x.pdf"'))[:-60],
    "boundary never closed": (
        b'From: a@b.example\r\nContent-Type: multipart/mixed; boundary="B"\r\n\r\n'
        b"--B\r\nContent-Type: text/plain\r\n\r\nhello\r\n--B\r\nContent-Type: image/png\r\n"
    ),
    "missing boundary parameter": (
        b"From: a@b.example\r\nContent-Type: multipart/alternative\r\n\r\n--zz\r\n"
        b"Content-Type: text/plain\r\n\r\nrecovered text\r\n--zz--\r\n"
    ),
    "nonsense headers": (
        b"From: <<<@@@>>>\r\nTo: ,,,;;;:::\r\nDate: 99 Foo 99999 99:99:99 +9999\r\n"
        b"Message-ID: <<<>>>\r\nContent-Type: /\r\nContent-Transfer-Encoding: zip\r\n"
        b"Content-Disposition: attachment; filename*0*=x''%ZZ; filename*=\"\r\n\r\nbody"
    ),
    "unterminated quotes": b'From: "Jan <jan@customer.example>\r\nSubject: =?utf-8?B?!!?=\r\n\r\nx',
    "unknown encoded word charset": b"From: a@b.example\r\nSubject: =?x-klingon?Q?Qa=27?=\r\n\r\n",
    "deep nesting": b"From: a@b.example\r\n"
    + b"".join(
        b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (i, i)
        for i in range(60)
    )
    + b"Content-Type: text/plain\r\n\r\ndeep",
    "huge header": b"From: a@b.example\r\nSubject: " + b"x" * 200_000 + b"\r\n\r\nbody",
    "many parameters": b"From: a@b.example\r\nContent-Type: text/plain"
    + b'; a="b;c"' * 5000
    + b"\r\n\r\nx",
    "unicode escape charset": b"From: a@b.example\r\n"
    b"Content-Type: text/plain; charset=unicode_escape\r\n\r\n\\u0041",
    "multipart without parts": b"From: a@b.example\r\n"
    b'Content-Type: multipart/mixed; boundary="B"\r\n\r\n--B--\r\n',
}


@pytest.mark.parametrize("raw", BROKEN.values(), ids=BROKEN.keys())
def test_broken_input_never_raises(raw: bytes) -> None:
    # Given input that is barely or not at all a message
    # When it is parsed
    mail = parse_mail(raw)
    # Then a result comes back, every field of the right type
    assert isinstance(mail.body_text, str) and isinstance(mail.warnings, list)
    assert mail.classification in {"normal", "auto_reply", "bounce", "loop"}


def test_broken_input_reports_warnings() -> None:
    assert parse_mail(BROKEN["truncated multipart"]).warnings
    assert parse_mail(BROKEN["boundary never closed"]).warnings
    assert parse_mail(BROKEN["nonsense headers"]).warnings
    assert parse_mail(BROKEN["deep nesting"]).warnings
    assert parse_mail(BROKEN["empty"]).warnings  # no sender


def test_a_missing_boundary_parameter_is_recovered_from_the_body() -> None:
    mail = parse_mail(BROKEN["missing boundary parameter"])
    assert mail.body_text == "recovered text"
    assert any("recovered" in warning for warning in mail.warnings)


def test_a_junk_line_in_the_headers_does_not_lose_the_headers_after_it() -> None:
    raw = b"Received: x\r\nthis is not a header\r\nFrom: a@b.example\r\nSubject: kept\r\n\r\nbody"
    mail = parse_mail(raw)
    assert (mail.subject, mail.from_email, mail.body_text) == ("kept", "a@b.example", "body")
    assert mail.warnings


def test_a_header_block_without_its_blank_line_keeps_the_body() -> None:
    mail = parse_mail(b"From: a@b.example\r\nSubject: s\r\nHello there,\r\nsecond line")
    assert mail.body_text == "Hello there,\nsecond line"


HOSTILE_BODIES = {
    "lines of dashes": (b"-" * 300 + b"x\r\n") * 4000,
    "one endless line": b"-" * 2_000_000 + b"x",
    "begin without end": b"begin 644 a\r\n" * 20000,
    "deep quotes": b"> " * 2000 + b"text\r\n",
}


@pytest.mark.parametrize("body", HOSTILE_BODIES.values(), ids=HOSTILE_BODIES.keys())
def test_hostile_bodies_take_linear_time(body: bytes) -> None:
    # A backtracking pattern once took a minute on lines of dashes; linear code takes well
    # under a second here, so the bound only catches a return of quadratic behaviour.
    started = time.perf_counter()
    parse_mail(b"From: a@b.example\r\nSubject: s\r\n\r\n" + body)
    assert time.perf_counter() - started < 5

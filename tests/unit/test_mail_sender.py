"""Who a message is from, and when the parser says not to believe it whatever SES proved: an
encoded-word in the address, no From at all. And the header block found below a pasted line."""

from __future__ import annotations

import pytest

from chalicelib.mail.parse import parse_mail

pytestmark = pytest.mark.unit


def mail_with(*headers: str, body: str = "Hello.") -> bytes:
    return ("\r\n".join([*headers, "To: support@parley.test", "", body])).encode()


DOUBTED = {
    "encoded-word as the local part": (
        mail_with("From: =?utf-8?Q?agent?=@customer.example"),
        "=?utf-8?Q?agent?=@customer.example",
        "the From address held an encoded-word",
    ),
    "encoded-word as the local part, with a name": (
        mail_with('From: "Agent" <=?utf-8?B?YWdlbnQ=?=@customer.example>'),
        "=?utf-8?B?YWdlbnQ=?=@customer.example",
        "the From address held an encoded-word",
    ),
    "whole mailbox in one encoded-word": (
        # base64 of "Agent <agent@customer.example>"
        mail_with("From: =?utf-8?B?QWdlbnQgPGFnZW50QGN1c3RvbWVyLmV4YW1wbGU+?="),
        "agent@customer.example",
        "the From address held an encoded-word",
    ),
    "no From, a Sender": (
        mail_with("Sender: Robot <robot@customer.example>", "Reply-To: r@customer.example"),
        "robot@customer.example",
        "no From header; the sender was taken from Sender",
    ),
    "no From, a Reply-To": (
        mail_with("Reply-To: Ola <ola@customer.example>"),
        "ola@customer.example",
        "no From header; the sender was taken from Reply-To",
    ),
    "a From without an address, a Reply-To": (
        mail_with("From: Ola Nowak", "Reply-To: ola@customer.example"),
        "ola@customer.example",
        "no address in From; the sender was taken from Reply-To",
    ),
    "no From, a Return-Path": (
        mail_with("Return-Path: <bounce@customer.example>"),
        "bounce@customer.example",
        "no From header; the sender was taken from Return-Path",
    ),
    "nobody at all": (
        mail_with("Subject: hello"),
        None,
        "no From header and no other sender address",
    ),
}


@pytest.mark.parametrize("raw,email,doubt", DOUBTED.values(), ids=DOUBTED.keys())
def test_a_sender_nobody_checked_is_doubted(raw: bytes, email: str | None, doubt: str) -> None:
    # Given a message whose From is missing or holds an encoded-word in its address
    # When it is parsed
    mail = parse_mail(raw)
    # Then the sender is still named where one can be found, never decoded out of the address
    # part, and the reason not to believe it is given, for the summary too
    assert mail.from_email == email
    assert mail.sender_doubt == doubt
    assert mail.summary()["sender_doubt"] == doubt


TRUSTED_AS_FAR_AS_SES_GOES = {
    "plain address": "From: jan@customer.example",
    "encoded display name": "From: =?ISO-8859-2?Q?Pawe=B3_=AFak?= <jan@customer.example>",
    "quoted encoded display name": 'From: "=?utf-8?B?TcO8bGxlcg==?=" <jan@customer.example>',
}


@pytest.mark.parametrize(
    "from_header", TRUSTED_AS_FAR_AS_SES_GOES.values(), ids=TRUSTED_AS_FAR_AS_SES_GOES.keys()
)
def test_an_encoded_display_name_is_decoded_and_not_doubted(from_header: str) -> None:
    mail = parse_mail(mail_with(from_header))
    assert mail.from_email == "jan@customer.example"
    assert mail.sender_doubt == ""


def test_an_encoded_display_name_reads_as_written() -> None:
    mail = parse_mail(mail_with("From: =?ISO-8859-2?Q?Pawe=B3_=AFak?= <jan@customer.example>"))
    assert mail.from_name == "Paweł Żak"


@pytest.mark.parametrize(
    "junk",
    [
        "---- Original email message ----",
        "-----Original Message-----\r\n",  # and a blank line after it
        "Exported by MailStore\r\nMessage 12 of 40",
    ],
)
def test_lines_pasted_above_the_headers_are_skipped(junk: str) -> None:
    # Given an export that wrote a line or two above the header block
    raw = f"{junk}\r\nFrom: Ann <ann@customer.example>\r\nSubject: Offline\r\n\r\nStill offline."
    # When it is parsed
    mail = parse_mail(raw.encode())
    # Then the headers are read, and the junk is in neither the headers nor the body
    assert (mail.from_email, mail.subject, mail.body_text) == (
        "ann@customer.example",
        "Offline",
        "Still offline.",
    )
    assert mail.sender_doubt == ""
    assert any("above the first header" in warning for warning in mail.warnings)


def test_a_message_without_headers_is_not_read_as_one_below_its_first_line() -> None:
    # Given text with no header block, whose second line merely looks like a field
    raw = b"Hello team,\r\nNote: the printer is offline.\r\n\r\nAnn"
    # When it is parsed
    mail = parse_mail(raw)
    # Then it is all body, as before
    assert mail.body_text.startswith("Hello team,\nNote: the printer is offline.")
    assert mail.header("Note") is None


def test_more_junk_than_an_export_writes_is_left_alone() -> None:
    raw = b"one\r\ntwo\r\nthree\r\nfour\r\nFrom: ann@customer.example\r\n\r\nbody"
    mail = parse_mail(raw)
    assert mail.from_email is None
    assert mail.body_text.startswith("one\ntwo")

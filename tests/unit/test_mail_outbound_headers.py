"""Header values of the mail we send: whatever a name, a title or a stored setting holds, the
mail is built and serialised, with no header broken in two and none of them lost silently."""

from __future__ import annotations

import email
import email.policy
from typing import Any

import pytest

from chalicelib.mail import outbound

pytestmark = pytest.mark.unit

# Every line break str.splitlines() knows (the email package refuses them all in a header),
# other C0 and C1 controls, DEL, a lone surrogate, the BOM and a non-character.
REFUSED = {
    "LF": "\n", "CR": "\r", "CRLF": "\r\n", "VT": "\x0b", "FF": "\x0c", "FS": "\x1c",
    "GS": "\x1d", "RS": "\x1e", "NEL": "\x85", "LINE SEPARATOR": "\u2028",
    "PARAGRAPH SEPARATOR": "\u2029", "NUL": "\x00", "BEL": "\x07", "ESC": "\x1b", "TAB": "\t",
    "DEL": "\x7f", "C1 CSI": "\x9b", "lone surrogate": "\ud800", "BOM": "\ufeff",
    "non-character": "\uffff",
}  # fmt: skip


def build(**overrides: Any) -> bytes:
    rendered = outbound.Rendered(
        subject=overrides.pop("subject", "Hello"), text="Body\n", html="<p>Body</p>"
    )
    arguments: dict[str, Any] = {
        "sender": "support@parley.test",
        "sender_name": "Parley",
        "to": "jan@customer.example",
        "rendered": rendered,
        "message_id": "<m1@parley.test>",
        **overrides,
    }
    return outbound.build_message(**arguments).as_bytes()


def headers_of(raw: bytes) -> dict[str, str]:
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    return {name: str(value) for name, value in parsed.items()}


@pytest.mark.parametrize("character", REFUSED.values(), ids=REFUSED.keys())
def test_a_character_no_header_may_hold_is_cleaned_from_names_and_subjects(
    character: str,
) -> None:
    # Given a portal name and a subject holding the character between two words
    # When the mail is built and serialised (this raised for U+2028 and NEL before)
    raw = build(sender_name=f"Acme{character}Support", subject=f"Printer{character}on fire")
    # Then each reads on one line, the character replaced by a space
    headers = headers_of(raw)
    assert headers["From"] == "Acme Support <support@parley.test>"
    assert headers["Subject"] == "Printer on fire"
    assert outbound.header_safe(f"a{character}b") == "a b"
    assert not outbound.fits_in_header(f"a{character}b")


def test_ordinary_names_fit_in_a_header_as_they_are() -> None:
    for name in ("Parley", "Zoë's Café — Support", "株式会社サポート", "Łódź & Co. <x>"):
        assert outbound.fits_in_header(name)
        assert outbound.header_safe(name) == name


@pytest.fixture
def refusals(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """What the fallback reports: the metric it counts and the header it names in the log."""
    from chalicelib import observability

    seen: list[tuple[str, str]] = []

    class Logger:
        def warning(self, message: str, *, extra: dict[str, str]) -> None:
            seen.append(("log", extra["header"]))

    monkeypatch.setattr(observability, "count", lambda name, value=1: seen.append((name, "")))
    monkeypatch.setattr(observability, "get_logger", Logger)
    return seen


@pytest.mark.parametrize("reply_to", ['"', "a@[1.2.3"])
def test_a_value_the_email_package_still_refuses_is_left_out_and_logged(
    refusals: list[tuple[str, str]], reply_to: str
) -> None:
    # Given a Reply-To the stdlib's address parser raises on (IndexError, AttributeError)
    # When the mail is built
    raw = build(reply_to=reply_to)
    # Then it is built without that header, and the refusal is counted and logged
    headers = headers_of(raw)
    assert "Reply-To" not in headers
    assert headers["Subject"] == "Hello"
    assert refusals == [("MailHeaderRefused", ""), ("log", "Reply-To")]


def test_a_recipient_header_that_cannot_be_written_falls_back_to_undisclosed(
    refusals: list[tuple[str, str]],
) -> None:
    # SES delivers to the envelope recipients; the To header is only what the reader sees.
    raw = build(to=['"'])
    assert headers_of(raw)["To"] == "undisclosed-recipients:;"
    assert ("log", "To") in refusals


def test_a_mail_with_clean_values_logs_nothing(refusals: list[tuple[str, str]]) -> None:
    raw = build(reply_to="reply+t1@parley.test", in_reply_to="<a@x>", references=["<a@x>"])
    assert headers_of(raw)["Reply-To"] == "reply+t1@parley.test"
    assert refusals == []

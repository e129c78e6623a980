"""Header values Python's email refuses (U+2028, U+0085 and the other line separators, control
characters) never stop a mail: a customer's name or a ticket title holding one still gives its
alerts, and a portal name stored with one still lets people reset their password."""

from __future__ import annotations

import pytest

from tests.functional.notification_support import (
    mails_to,
    raw_mails,
    send_queued_account_mail,
    session_token,
    set_user,
)

pytestmark = pytest.mark.functional

LINE_SEPARATOR = "\u2028"
PARAGRAPH_SEPARATOR = "\u2029"
NEXT_LINE = "\x85"


def _store_settings_as_an_old_record(**values: object) -> None:
    """Written past the save check, as a record saved before the check existed would be."""
    from chalicelib.data import settings as settings_store
    from chalicelib.services.settings import forget_cached_settings

    item = settings_store.get_settings_item()
    settings_store.save_settings_item(item, {**item.data, **values}, 0)
    forget_cached_settings()


def _assert_no_separator(text: str) -> None:
    for separator in (LINE_SEPARATOR, PARAGRAPH_SEPARATOR, NEXT_LINE, "\r", "\n"):
        assert separator not in text


def test_a_customer_named_with_a_line_separator_still_gets_and_causes_every_mail(
    desk, stream
):
    from chalicelib.data import tickets as ticket_store

    # Given a customer whose display name holds U+2028, alerts to a support address, and a
    # ticket whose title holds U+2029 and U+0085 (as pasted from a word processor)
    set_user(desk.customer["id"], name=f"Alice{LINE_SEPARATOR}Martin")
    _store_settings_as_an_old_record(support_address="helpdesk@acme.test")
    ticket_id = desk.open_ticket()
    ticket = ticket_store.get_ticket(ticket_id)
    ticket.subject = f"Printer{PARAGRAPH_SEPARATOR}on{NEXT_LINE}fire"
    ticket_store.save_ticket(ticket, "changed")
    # When she writes, the agent answers, and the stream delivers it all
    desk.answer(ticket_id)
    desk.reply(ticket_id)
    result = stream.pump()
    # Then nothing failed, and the alerts naming her went out with her name on one line
    assert result == {"batchItemFailures": []}
    alerts = [m for m in raw_mails() if "wrote a new message" in m["text"]]
    assert len(alerts) == 2
    for alert in alerts:
        assert alert["subject"] == "[#1001] Printer on fire"
    # And she got her acknowledgement and the secure notification about the answer, each under
    # the ticket's subject on one line
    mails = mails_to("alice@acme.test")
    assert {m["subject"] for m in mails} == {"[#1001] Printer on fire"}
    assert any("You have a new message" in m["text"] for m in mails), mails
    assert any("we received your message" in m["text"] for m in mails), mails
    for mail in raw_mails():
        for value in mail["headers"].values():
            _assert_no_separator(value)


def test_a_portal_name_stored_with_a_line_separator_still_sends_the_reset_mail(
    api, make_user
):
    # Given a portal name saved with U+2028 before names were checked, and a real account
    _store_settings_as_an_old_record(portal_name=f"Acme{LINE_SEPARATOR}Support")
    user = make_user("customer", email="bob@acme.test", name="Bob Brown")
    # When Bob asks for a password reset
    status, body, _ = api.call("POST", "/api/auth/password-reset", {"email": user["email"]})
    send_queued_account_mail()  # the API only queued the mail
    # Then the answer is the usual one, and the mail went out from the portal's name
    assert status == 202, body
    [mail] = mails_to("bob@acme.test")
    assert mail["subject"] == "Reset your Acme Support password"
    assert mail["headers"]["from"].startswith("Acme Support <")
    assert "/reset-password?token=" in mail["text"]
    _assert_no_separator(mail["headers"]["from"])


@pytest.mark.parametrize("character", [LINE_SEPARATOR, PARAGRAPH_SEPARATOR, NEXT_LINE, "\x07"])
def test_a_portal_name_with_a_line_separator_is_refused_when_saved(api, make_user, character):
    # Given an admin
    admin = make_user("admin", name="Ada Admin")
    # When they save a portal name holding a character no mail header may carry
    status, body, _ = api.call(
        "PATCH", "/api/admin/settings", {"portal_name": f"Acme{character}Support"},
        token=session_token(admin),
    )
    # Then it is refused, saying which setting, and the name is unchanged
    assert status == 400, body
    assert body["error"]["code"] == "invalid_input"
    assert any(d["field"] == "portal_name" for d in body["error"]["details"]), body
    status, current, _ = api.call("GET", "/api/admin/settings", token=session_token(admin))
    assert current["settings"]["portal_name"] == "Parley"

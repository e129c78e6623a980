"""Self-registration: off unless the admin enables it, confirmed by email, and never telling a
stranger whether an address already has an account."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD
from tests.functional.auth_support import (
    OTHER_STRONG_PASSWORD,
    STRONG_PASSWORD,
    link_token,
    mails_to,
)
from tests.functional.notification_support import send_queued_account_mail

pytestmark = pytest.mark.functional

HOUR = 3600


def register(api, email, password=STRONG_PASSWORD, name="Nina Newcomer"):
    answer = api.call(
        "POST", "/api/auth/register", {"email": email, "name": name, "password": password}
    )
    send_queued_account_mail()  # the API only queued the mail
    return answer


def login(api, email, password=STRONG_PASSWORD):
    return api.call("POST", "/api/auth/login", {"email": email, "password": password})


@pytest.fixture
def open_registration(api, make_user):
    admin_token = api.login(make_user("admin")["email"])
    status, body, _ = api.call(
        "PATCH", "/api/admin/settings", {"self_registration": True}, token=admin_token
    )
    assert status == 200 and body["settings"]["self_registration"] is True


def test_registration_is_off_by_default(api, sent_mail, fake_clock):
    # When a visitor registers on a portal with default settings
    status, body, _ = register(api, "nina@example.test")

    # Then there is no such thing, and no account or mail was made
    assert status == 404 and body["error"]["code"] == "not_enabled"
    assert sent_mail() == []
    assert login(api, "nina@example.test")[0] == 401


def test_a_registered_address_must_be_confirmed_before_signing_in(
    api, open_registration, sent_mail, fake_clock
):
    # Given the admin opened registration and a visitor registered
    status, body, _ = register(api, "Nina@Example.test")
    assert status == 202, body

    # Then they cannot sign in before confirming
    status, body, _ = login(api, "nina@example.test")
    assert status == 403 and body["error"]["code"] == "email_not_verified"

    # When they follow the link mailed to them
    token = link_token(mails_to(sent_mail, "nina@example.test")[0])
    confirm = {"token": token, "password": STRONG_PASSWORD}
    assert api.call("POST", "/api/auth/verify", confirm)[0] == 200

    # Then they sign in as a customer, and the link does not work twice
    status, body, _ = login(api, "nina@example.test")
    assert status == 200, body
    assert body["user"]["role"] == "customer" and body["user"]["status"] == "active"
    status, body, _ = api.call("POST", "/api/auth/verify", confirm)
    assert status == 400 and body["error"]["code"] == "invalid_token"


def test_a_stranger_cannot_take_an_address_over_by_registering_it_first(
    api, open_registration, sent_mail, fake_clock
):
    # Given a stranger registers Quinn's address with a password of the stranger's choosing
    assert register(api, "quinn@example.test", password=OTHER_STRONG_PASSWORD)[0] == 202
    token = link_token(mails_to(sent_mail, "quinn@example.test")[0])

    # When Quinn, who knows nothing of it, follows the link (with any password of hers)
    status, body, _ = api.call(
        "POST", "/api/auth/verify", {"token": token, "password": STRONG_PASSWORD}
    )

    # Then nothing is confirmed, and the stranger's password opens nothing
    assert status == 400 and body["error"]["code"] == "invalid_token"
    assert login(api, "quinn@example.test", OTHER_STRONG_PASSWORD)[0] == 403


def test_registering_an_existing_address_gives_the_same_answer_and_changes_nothing(
    api, open_registration, make_user, sent_mail, fake_clock
):
    # Given an address with an account, and one without
    existing = make_user("customer", email="olga@example.test")["email"]

    # When a stranger registers both (with different case for the existing one)
    fresh_answer = register(api, "fresh@example.test")
    existing_answer = register(api, "OLGA@example.test", password=OTHER_STRONG_PASSWORD)

    # Then both answers are identical
    assert fresh_answer == existing_answer and fresh_answer[0] == 202
    # And the account keeps its password; the stranger's does not open it
    assert login(api, existing, PASSWORD)[0] == 200
    assert login(api, existing, OTHER_STRONG_PASSWORD)[0] == 401
    # And the owner learns about it by mail, without a confirmation link
    mail = mails_to(sent_mail, existing)[0]
    assert "already" in mail["subject"] and "token=" not in mail["text"]


def test_a_weak_password_is_refused_at_registration(api, open_registration, fake_clock):
    for weak in ("Sh0rt!pw", "qwertyuiop", "nina@example.test"):
        status, body, _ = register(api, "nina@example.test", password=weak)
        assert status == 400 and body["error"]["code"] == "weak_password", weak


def test_an_unconfirmed_account_can_still_be_claimed_after_its_link_expired(
    api, open_registration, sent_mail, fake_clock
):
    # Given a registration whose confirmation link expired unused (or that someone else made
    # with this address and a password of their own)
    register(api, "pat@example.test", password=OTHER_STRONG_PASSWORD)
    stale = link_token(mails_to(sent_mail, "pat@example.test")[0])
    fake_clock.advance(25 * HOUR)
    assert api.call(
        "POST", "/api/auth/verify", {"token": stale, "password": OTHER_STRONG_PASSWORD}
    )[0] == 400

    # When the owner of the mailbox registers again, then follows "Forgot password"
    assert register(api, "pat@example.test")[0] == 202
    assert api.call("POST", "/api/auth/password-reset", {"email": "pat@example.test"})[0] == 202
    send_queued_account_mail()
    token = link_token(mails_to(sent_mail, "pat@example.test")[0])
    status, body, _ = api.call(
        "POST",
        "/api/auth/password-reset/confirm",
        {"token": token, "new_password": STRONG_PASSWORD},
    )
    assert status == 200, body

    # Then the reset link proved the mailbox: they sign in with their own password
    status, body, _ = login(api, "pat@example.test")
    assert status == 200, body
    # And the password set before the reset no longer opens the account
    assert login(api, "pat@example.test", OTHER_STRONG_PASSWORD)[0] == 401

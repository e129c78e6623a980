"""Forgot / reset password: one answer for every address, a single-use link that expires after
30 minutes and is stored only as a hash, and a reset that ends every session."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD
from tests.functional.auth_support import (
    OTHER_STRONG_PASSWORD,
    STRONG_PASSWORD,
    link_token,
    mails_to,
    me_status,
    sha256,
    table_items,
)
from tests.functional.notification_support import send_queued_account_mail

pytestmark = pytest.mark.functional

MINUTE = 60


def request_reset(api, email):
    answer = api.call("POST", "/api/auth/password-reset", {"email": email})
    send_queued_account_mail()  # the API only queued the mail
    return answer


def confirm(api, token, password=STRONG_PASSWORD):
    return api.call(
        "POST", "/api/auth/password-reset/confirm", {"token": token, "new_password": password}
    )


def reset_link(api, sent_mail, email):
    status, _, _ = request_reset(api, email)
    assert status == 202
    return link_token(mails_to(sent_mail, email)[0])


def signs_in(api, email, password):
    return api.call("POST", "/api/auth/login", {"email": email, "password": password})[0] == 200


def test_known_and_unknown_addresses_get_the_same_answer(api, make_user, sent_mail, fake_clock):
    # Given one address with an account, one without, one disabled and one malformed
    known = make_user("customer")["email"]
    disabled = make_user("customer", status="disabled")["email"]
    answers = {
        email: request_reset(api, email)
        for email in (known, "nobody@example.test", disabled, "not an address")
    }

    # Then every caller reads the same status, body and headers
    first = answers[known]
    assert first[0] == 202
    for status, body, headers in answers.values():
        assert (status, body, headers) == first

    # And only the account holder receives a mail, with a link
    assert len(sent_mail()) == 1
    assert mails_to(sent_mail, known) and link_token(mails_to(sent_mail, known)[0])


def test_the_mailed_link_sets_a_new_password_once(api, make_user, sent_mail, fake_clock):
    # Given a customer who asked for a reset link
    email = make_user("customer")["email"]
    token = reset_link(api, sent_mail, email)

    # When they follow it and choose a new password
    status, body, _ = confirm(api, token)

    # Then the new password signs in and the old one does not
    assert status == 200, body
    assert signs_in(api, email, STRONG_PASSWORD)
    assert not signs_in(api, email, PASSWORD)
    # And the link does not work a second time
    status, body, _ = confirm(api, token, OTHER_STRONG_PASSWORD)
    assert status == 400 and body["error"]["code"] == "invalid_token"
    assert signs_in(api, email, STRONG_PASSWORD)


def test_the_link_expires_after_30_minutes(api, make_user, sent_mail, fake_clock):
    email = make_user("customer")["email"]

    # Given a link used 29 minutes after it was sent, it works
    token = reset_link(api, sent_mail, email)
    fake_clock.advance(29 * MINUTE)
    assert confirm(api, token, STRONG_PASSWORD)[0] == 200

    # When another link is used 30 minutes after it was sent
    late = reset_link(api, sent_mail, email)
    fake_clock.advance(30 * MINUTE)
    status, body, _ = confirm(api, late, OTHER_STRONG_PASSWORD)

    # Then it is refused and the password stays as it was
    assert status == 400 and body["error"]["code"] == "invalid_token"
    assert signs_in(api, email, STRONG_PASSWORD)


def test_reset_tokens_are_stored_only_as_hashes(api, make_user, sent_mail, fake_clock):
    from chalicelib.data.tokens import TokenModel

    # Given a reset link that was mailed
    token = reset_link(api, sent_mail, make_user("customer")["email"])

    # Then the tokens table holds its hash and nowhere the token itself
    stored = table_items(TokenModel)
    assert [item["token_hash"]["S"] for item in stored] == [sha256(token)]
    assert token not in repr(stored)


def test_a_reset_ends_every_session_of_the_account(api, make_user, sent_mail, fake_clock):
    # Given a customer signed in on two devices (or someone who took over the account)
    email = make_user("customer")["email"]
    sessions = [api.login(email), api.login(email)]

    # When the password is reset through the mailed link
    assert confirm(api, reset_link(api, sent_mail, email))[0] == 200

    # Then both sessions have ended
    for token in sessions:
        status, body, _ = api.call("GET", "/api/me", token=token)
        assert status == 401 and body["error"]["code"] == "session_expired"
    assert me_status(api, api.login(email, STRONG_PASSWORD)) == 200


def test_a_weak_new_password_is_refused_and_the_link_stays_usable(
    api, make_user, sent_mail, fake_clock
):
    email = make_user("customer")["email"]
    token = reset_link(api, sent_mail, email)

    for weak in ("Sh0rt!pw", "password123"):
        status, body, _ = confirm(api, token, weak)
        assert status == 400 and body["error"]["code"] == "weak_password", weak

    assert confirm(api, token, STRONG_PASSWORD)[0] == 200
    assert signs_in(api, email, STRONG_PASSWORD)


def test_a_made_up_token_is_refused(api, make_user, fake_clock):
    status, body, _ = confirm(api, "x" * 43)
    assert status == 400 and body["error"]["code"] == "invalid_token"

"""Anonymous requests that make the portal send mail (password reset, self-registration) are
capped, so nobody can use the portal's sender to flood a stranger's mailbox: at most five reset
mails to one address per half hour (a link's lifetime) and five registration mails per hour,
counted apart (the answer stays the same), and at most thirty such requests from one source
address per hour (then 429, alike for known and unknown addresses)."""

from __future__ import annotations

import pytest

from tests.functional.auth_support import (
    STRONG_PASSWORD,
    link_token,
    mails_to,
    trusted_proxy_hops,
)
from tests.functional.notification_support import send_queued_account_mail

pytestmark = pytest.mark.functional

HOUR = 3600
LINK_LIFETIME = 30 * 60
MAILS_PER_ADDRESS = 5
REQUESTS_PER_SOURCE = 30


def request_reset(api, email, headers=None):
    answer = api.call("POST", "/api/auth/password-reset", {"email": email}, headers=headers)
    send_queued_account_mail()  # the API only queued the mail
    return answer


def test_an_address_gets_five_reset_mails_a_half_hour_and_the_answer_never_changes(
    api, make_user, sent_mail, fake_clock
):
    # Given someone asking for a reset of one account over and over
    email = make_user("customer")["email"]
    answers = [request_reset(api, email) for _ in range(MAILS_PER_ADDRESS + 3)]

    # Then every request reads the same answer, but only five mails went out
    assert all(answer[:2] == answers[0][:2] for answer in answers)
    assert answers[0][0] == 202
    mailed = mails_to(sent_mail, email)
    assert len(mailed) == MAILS_PER_ADDRESS

    # And the owner can still use a link that was sent
    token = link_token(mailed[-1])
    status, body, _ = api.call("POST", "/api/auth/password-reset/confirm",
                               {"token": token, "new_password": STRONG_PASSWORD})
    assert status == 200, body

    # And once the links of that window have expired, the address gets a new one
    fake_clock.advance(LINK_LIFETIME)
    assert request_reset(api, email)[0] == 202
    assert len(mails_to(sent_mail, email)) == MAILS_PER_ADDRESS + 1


def test_registration_mails_are_capped_apart_from_reset_mails(
    api, make_user, sent_mail, fake_clock
):
    # Given a portal open to registration, and an account's address registered five times over
    admin = api.login(make_user("admin")["email"])
    api.call("PATCH", "/api/admin/settings", {"self_registration": True}, token=admin)
    email = make_user("customer")["email"]
    register = {"email": email, "name": "Nina Newcomer", "password": STRONG_PASSWORD}
    for _ in range(MAILS_PER_ADDRESS):
        assert api.call("POST", "/api/auth/register", register)[0] == 202
        send_queued_account_mail()
    assert len(mails_to(sent_mail, email)) == MAILS_PER_ADDRESS

    # When it is registered once more
    status, body, _ = api.call("POST", "/api/auth/register", register)
    send_queued_account_mail()

    # Then the answer is the usual one and no sixth mail goes out
    assert status == 202, body
    assert len(mails_to(sent_mail, email)) == MAILS_PER_ADDRESS

    # But the owner can still get a reset link: registrations do not use up reset mails
    assert request_reset(api, email)[0] == 202
    mailed = mails_to(sent_mail, email)
    assert len(mailed) == MAILS_PER_ADDRESS + 1 and link_token(mailed[0])  # newest first


def test_one_source_address_is_refused_after_thirty_requests_an_hour(
    api, make_user, sent_mail, fake_clock
):
    with trusted_proxy_hops(1):
        # Given a source address that asked for resets of thirty addresses, most unknown
        flooder = {"X-Forwarded-For": "203.0.113.50"}
        known = make_user("customer")["email"]
        for n in range(REQUESTS_PER_SOURCE - 1):
            assert request_reset(api, f"someone-{n}@example.test", flooder)[0] == 202
        assert request_reset(api, known, flooder)[0] == 202

        # When it asks once more, for an unknown address or a known one
        for email in ("someone-else@example.test", known):
            status, body, headers = request_reset(api, email, flooder)

            # Then it is told to wait, with the same answer for both
            assert status == 429, body
            assert body["error"]["code"] == "too_many_requests"
            assert 0 < int(headers["Retry-After"]) <= HOUR

        # And the account holder, elsewhere, is not affected
        assert request_reset(api, known, {"X-Forwarded-For": "198.51.100.9"})[0] == 202
        assert len(mails_to(sent_mail, known)) == 2

        # And the next hour the source address may ask again
        fake_clock.advance(HOUR)
        assert request_reset(api, "someone-else@example.test", flooder)[0] == 202

"""Brute-force protection: failed sign-ins lock the account and the source address for a growing,
self-lifting time, and a browser that signed in before is not locked out by the account lock."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD
from tests.functional.auth_support import (
    STRONG_PASSWORD,
    attempt_login,
    cookie_value,
    cookies_set,
    link_token,
    mails_to,
    sign_in,
    trusted_proxy_hops,
)
from tests.functional.notification_support import send_queued_account_mail

pytestmark = pytest.mark.functional

WRONG = "not the password at all"
ACCOUNT_FREE_FAILURES = 5
ADDRESS_FREE_FAILURES = 20


def fail(api, email, times, headers=None):
    for _ in range(times):
        status, body, _ = attempt_login(api, email, WRONG, headers)
        assert status == 401, body


def assert_locked(response):
    status, body, headers = response
    assert status == 429, body
    assert body["error"]["code"] == "too_many_requests"
    retry_after = int(headers["Retry-After"])
    assert retry_after > 0
    assert body["error"]["details"]["retry_after"] == retry_after
    return retry_after


def test_repeated_failures_lock_the_account_even_against_the_right_password(
    api, make_user, fake_clock
):
    # Given an account whose password was guessed wrong five times
    user = make_user("customer")
    fail(api, user["email"], ACCOUNT_FREE_FAILURES)

    # When the owner now types the right password
    response = attempt_login(api, user["email"], PASSWORD)

    # Then the sign-in is refused with 429 and says when to come back
    assert_locked(response)


def test_account_lock_lifts_by_itself_after_retry_after(api, make_user, fake_clock):
    # Given a locked account
    user = make_user("customer")
    fail(api, user["email"], ACCOUNT_FREE_FAILURES)
    retry_after = assert_locked(attempt_login(api, user["email"], PASSWORD))

    # When one second less than Retry-After has passed, it is still locked
    fake_clock.advance(retry_after - 1)
    assert_locked(attempt_login(api, user["email"], PASSWORD))

    # Then once Retry-After has passed, the right password opens it
    fake_clock.advance(1)
    status, body, _ = attempt_login(api, user["email"], PASSWORD)
    assert status == 200, body


def test_hammering_a_locked_account_does_not_extend_the_lock(api, make_user, fake_clock):
    # Given a locked account
    user = make_user("customer")
    fail(api, user["email"], ACCOUNT_FREE_FAILURES)
    retry_after = assert_locked(attempt_login(api, user["email"], WRONG))

    # When the guesser keeps trying during the lock
    for _ in range(10):
        assert_locked(attempt_login(api, user["email"], WRONG))

    # Then the owner still gets in as soon as the first lock ends
    fake_clock.advance(retry_after)
    status, body, _ = attempt_login(api, user["email"], PASSWORD)
    assert status == 200, body


def test_the_lock_grows_and_waiting_out_the_longest_one_gives_no_free_guesses(
    api, make_user, fake_clock
):
    # Given a guesser who waits out every lock and fails again each time
    user = make_user("customer")
    fail(api, user["email"], ACCOUNT_FREE_FAILURES)
    locks = []
    for _ in range(7):
        retry_after = assert_locked(attempt_login(api, user["email"], WRONG))
        locks.append(retry_after)
        fake_clock.advance(retry_after)
        fail(api, user["email"], 1)

    # Then each lock was at least as long as the one before, up to a cap
    assert locks == sorted(locks) and locks[0] < locks[-1]
    # And after waiting out the longest lock, one more failure locks again at once
    assert_locked(attempt_login(api, user["email"], WRONG))


def test_a_correct_sign_in_forgives_earlier_typos(api, make_user, fake_clock):
    # Given an owner who mistyped four times, then signed in
    user = make_user("customer")
    fail(api, user["email"], ACCOUNT_FREE_FAILURES - 1)
    assert attempt_login(api, user["email"], PASSWORD)[0] == 200

    # When they mistype four more times
    fail(api, user["email"], ACCOUNT_FREE_FAILURES - 1)

    # Then they are not locked out
    assert attempt_login(api, user["email"], PASSWORD)[0] == 200


def test_a_browser_that_signed_in_before_is_not_locked_out_by_the_account_lock(
    api, make_user, fake_clock
):
    # Given the owner signed in once from their browser, which keeps the device cookie
    user = make_user("customer")
    other = make_user("customer")
    device = sign_in(api, user["email"]).device_cookie
    foreign_device = sign_in(api, other["email"]).device_cookie
    # And an attacker then locked the account
    fail(api, user["email"], ACCOUNT_FREE_FAILURES)
    assert_locked(attempt_login(api, user["email"], PASSWORD))

    # When the owner signs in from that browser
    browser = sign_in(api, user["email"], device_cookie=device)

    # Then they are in
    assert api.call("GET", "/api/me", token=browser.token)[0] == 200
    # While a made-up device cookie, or another account's, does not bypass the lock
    for cookie in ("0" * 32, foreign_device):
        headers = {"Cookie": f"parley_device={cookie}"}
        assert_locked(attempt_login(api, user["email"], PASSWORD, headers))


def test_a_password_change_revokes_the_device_cookies_handed_out_before(
    api, make_user, fake_clock
):
    # Given someone who guessed the owner's password and signed in once, keeping a device cookie
    user = make_user("customer")
    intruder = sign_in(api, user["email"]).device_cookie
    owner = sign_in(api, user["email"])

    # When the owner changes the password from their browser (at a time with a fraction of a
    # second, as real clocks have)
    fake_clock.advance(60.123457)
    status, body, headers = api.call(
        "POST", "/api/auth/password",
        {"current_password": PASSWORD, "new_password": STRONG_PASSWORD}, token=owner.token,
    )
    assert status == 200, body
    renewed = cookie_value(cookies_set(headers)["parley_device"])

    # And the account is then locked by failed guesses
    fail(api, user["email"], ACCOUNT_FREE_FAILURES)

    # Then the intruder's old cookie no longer gets past the lock, even with the new password
    stale = {"Cookie": f"parley_device={intruder}"}
    assert_locked(attempt_login(api, user["email"], STRONG_PASSWORD, stale))
    # While the browser that made the change got a fresh cookie that does
    fresh = {"Cookie": f"parley_device={renewed}"}
    assert attempt_login(api, user["email"], STRONG_PASSWORD, fresh)[0] == 200


def test_a_password_reset_revokes_old_device_cookies_and_lets_the_resetting_browser_in(
    api, make_user, sent_mail, fake_clock
):
    # Given an intruder's device cookie, and an account locked by failed guesses
    user = make_user("customer")
    intruder = sign_in(api, user["email"]).device_cookie
    fail(api, user["email"], ACCOUNT_FREE_FAILURES)

    # When the owner resets the password through the mailed link
    fake_clock.advance(0.5)
    assert api.call("POST", "/api/auth/password-reset", {"email": user["email"]})[0] == 202
    send_queued_account_mail()  # the API only queued the mail
    token = link_token(mails_to(sent_mail, user["email"])[0])  # newest first
    status, body, headers = api.call(
        "POST", "/api/auth/password-reset/confirm",
        {"token": token, "new_password": STRONG_PASSWORD},
    )
    assert status == 200, body
    renewed = cookie_value(cookies_set(headers)["parley_device"])

    # Then the resetting browser signs in through the lock that is still on
    fresh = {"Cookie": f"parley_device={renewed}"}
    assert attempt_login(api, user["email"], STRONG_PASSWORD, fresh)[0] == 200
    # While the intruder's old cookie does not
    stale = {"Cookie": f"parley_device={intruder}"}
    assert_locked(attempt_login(api, user["email"], STRONG_PASSWORD, stale))


def test_many_failures_from_one_address_lock_that_address_across_accounts(
    api, make_user, fake_clock
):
    # Given one address that failed on several accounts, never enough to lock any account
    victims = [make_user("customer") for _ in range(5)]
    for victim in victims:
        fail(api, victim["email"], ADDRESS_FREE_FAILURES // len(victims))
    fresh = make_user("customer")

    # When someone at that address signs in to yet another account with the right password
    response = attempt_login(api, fresh["email"], PASSWORD)

    # Then the address is locked
    retry_after = assert_locked(response)
    # And without a trusted proxy, a made-up X-Forwarded-For does not change the address
    spoofed = {"X-Forwarded-For": "198.51.100.77"}
    assert_locked(attempt_login(api, fresh["email"], PASSWORD, spoofed))
    # And the address lock lifts by itself too
    fake_clock.advance(retry_after)
    assert attempt_login(api, fresh["email"], PASSWORD)[0] == 200


def test_behind_a_trusted_proxy_addresses_are_throttled_one_by_one(api, make_user, fake_clock):
    with trusted_proxy_hops(1):
        # Given an attacker at one viewer address who failed on several accounts
        attacker = {"X-Forwarded-For": "203.0.113.7"}
        victims = [make_user("customer") for _ in range(5)]
        for victim in victims:
            fail(api, victim["email"], ADDRESS_FREE_FAILURES // len(victims), attacker)
        owner = make_user("customer")
        device = sign_in(
            api, owner["email"], headers={"X-Forwarded-For": "198.51.100.9"}
        ).device_cookie

        # Then the attacker's address is locked, whatever account it tries
        assert_locked(attempt_login(api, owner["email"], PASSWORD, attacker))
        # Even when it writes another address in front of the one the proxy appended
        spoofed = {"X-Forwarded-For": "198.51.100.9, 203.0.113.7"}
        assert_locked(attempt_login(api, owner["email"], PASSWORD, spoofed))
        # And a device cookie does not lift an address lock
        with_device = {**attacker, "Cookie": f"parley_device={device}"}
        assert_locked(attempt_login(api, owner["email"], PASSWORD, with_device))

        # While someone at another address signs in normally
        status, body, _ = attempt_login(
            api, owner["email"], PASSWORD, {"X-Forwarded-For": "198.51.100.9"}
        )
        assert status == 200, body

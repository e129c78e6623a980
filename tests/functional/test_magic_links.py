"""Sign-in by a mailed link (off by default): the same answer for every address, a link mailed
only to active accounts, single-use, valid 15 minutes, working only in the browser that asked
for it, and then the sign-in rules of a password: the second factor, the password-change gate,
and no device cookie (a link proves the mailbox, not the password)."""

from __future__ import annotations

import secrets

import pytest

from tests.functional.auth_support import (
    cookie_value,
    cookies_set,
    link_token,
    mails_to,
    sha256,
    table_items,
)
from tests.functional.notification_support import send_queued_account_mail, session_token

pytestmark = pytest.mark.functional

ASK = "/api/auth/magic-link"
CONFIRM = "/api/auth/magic-link/confirm"
MINUTE = 60


@pytest.fixture
def admin(make_user) -> str:
    return session_token(make_user("admin"))


@pytest.fixture
def enabled(api, admin) -> None:
    status, body, _ = api.call("PATCH", "/api/admin/settings", {"magic_link_sign_in": True},
                               token=admin)
    assert status == 200, body


def cookie(browser: str | None) -> dict[str, str] | None:
    return {"Cookie": f"parley_magic={browser}"} if browser else None


def ask(api, email, browser=None):
    """What the browser reads when it asks for a link; the queued mail is then sent."""
    answer = api.call("POST", ASK, {"email": email}, headers=cookie(browser))
    send_queued_account_mail()  # the API only queued the mail
    return answer


def ask_link(api, sent_mail, email, browser=None) -> tuple[str, str]:
    """The browser's binding cookie and the token of the link mailed to `email`."""
    status, body, headers = ask(api, email, browser)
    assert status == 202, body
    return cookie_value(cookies_set(headers)["parley_magic"]), link_token(
        mails_to(sent_mail, email)[0])


def open_link(api, token, browser):
    return api.call("POST", CONFIRM, {"token": token}, headers=cookie(browser))


def audit(api, admin, action):
    status, body, _ = api.call("GET", f"/api/admin/audit?kind=signin&action={action}",
                               token=admin)
    assert status == 200, body
    return body["items"]


def test_off_by_default(api, make_user, sent_mail, fake_clock):
    email = make_user("customer")["email"]

    # The sign-in page is told not to offer it
    assert api.call("GET", "/api/portal/branding")[1]["magic_link_sign_in"] is False

    # And neither asking nor confirming works, and nothing is mailed
    status, body, headers = ask(api, email)
    assert status == 403 and body["error"]["code"] == "magic_link_off"
    assert "parley_magic" not in cookies_set(headers)
    assert sent_mail() == []
    status, body, _ = open_link(api, "x" * 43, secrets.token_urlsafe(32))
    assert status == 403 and body["error"]["code"] == "magic_link_off"


def test_every_address_gets_the_same_answer_and_only_an_active_account_a_mail(
    api, make_user, admin, enabled, sent_mail, fake_clock
):
    # Given an active account, a disabled one, an unverified one and no account at all
    known = make_user("customer")["email"]
    others = [make_user("customer", status="disabled")["email"],
              make_user("customer", status="unverified")["email"],
              "nobody@example.test", "not an address"]
    assert api.call("GET", "/api/portal/branding")[1]["magic_link_sign_in"] is True

    # When one browser asks a link for each
    browser = secrets.token_urlsafe(32)
    answers = {email: ask(api, email, browser) for email in [known, *others]}

    # Then it reads the same status, body and headers every time (its own cookie kept)
    first = answers[known]
    assert first[0] == 202
    assert cookie_value(cookies_set(first[2])["parley_magic"]) == browser
    for answer in answers.values():
        assert answer == first
    # And only the active account's owner got a mail, with a link to the sign-in page
    assert [m["to"] for m in sent_mail()] == [known]
    assert "/sign-in/link?token=" in sent_mail()[0]["text"]
    # And the audit log says who got one, never the caller
    outcomes = sorted(e["outcome"] for e in audit(api, admin, "auth.magic_link.request"))
    assert outcomes == ["success", "unknown", "unknown", "unknown"]


def test_asking_makes_the_same_calls_for_a_known_and_an_unknown_address(
    api, make_user, enabled, sent_mail, fake_clock
):
    from tests.functional.dynamodb_support import aws_calls

    known = make_user("customer")["email"]
    browser = secrets.token_urlsafe(32)
    ask(api, "warm@example.test", browser)  # a warm function: the queue's address is known
    calls = {}
    for email in (known, "nobody@example.test"):
        with aws_calls() as calls[email]:
            api.call("POST", ASK, {"email": email}, headers=cookie(browser))
    # No look-up of the address, no mail on the request path: one queued message for both
    assert calls[known] == calls["nobody@example.test"]
    assert ("sqs", "SendMessage", "parley-test-account-mail") in calls[known]
    assert not [c for c in calls[known] if c[0] in ("ses", "sesv2")]


def test_a_browser_without_the_cookie_is_given_one(api, make_user, enabled, sent_mail,
                                                   fake_clock):
    status, _, headers = ask(api, make_user("customer")["email"])
    line = cookies_set(headers)["parley_magic"]
    assert status == 202 and len(cookie_value(line)) == 43
    assert "HttpOnly" in line and "Path=/api/auth/magic-link" in line


def test_the_link_signs_in_once_in_the_browser_that_asked(
    api, make_user, admin, enabled, sent_mail, fake_clock
):
    # Given a customer who asked for a link
    user = make_user("customer")
    browser, token = ask_link(api, sent_mail, user["email"])

    # When the link is opened in that browser
    status, body, headers = open_link(api, token, browser)

    # Then they are signed in: the session cookie, but no device cookie (no password proved)
    assert status == 200, body
    assert body["user"]["id"] == user["id"]
    cookies = cookies_set(headers)
    assert "parley_session" in cookies and "parley_device" not in cookies
    assert api.call("GET", "/api/me", token=body["token"])[0] == 200
    signed_in = [e for e in audit(api, admin, "auth.login") if e["outcome"] == "success"]
    assert [e["details"]["method"] for e in signed_in] == ["magic_link"]

    # And the link does not work a second time
    status, body, _ = open_link(api, token, browser)
    assert status == 400 and body["error"]["code"] == "invalid_token"

    # And the tokens table holds only hashes: of the link, and of the browser's cookie
    from chalicelib.data.tokens import TokenModel

    stored = repr(table_items(TokenModel))
    assert sha256(token) in stored and sha256(browser) in stored
    assert token not in stored and browser not in stored


def test_another_browser_is_refused_and_the_link_stays_usable(
    api, make_user, enabled, sent_mail, fake_clock
):
    # Given a link asked for in one browser
    email = make_user("customer")["email"]
    browser, token = ask_link(api, sent_mail, email)

    # When it is opened in a browser without the cookie, or with another one
    for elsewhere in (None, secrets.token_urlsafe(32)):
        status, body, headers = open_link(api, token, elsewhere)

        # Then it is refused with a reason the page can say, and nobody is signed in
        assert status == 403 and body["error"]["code"] == "magic_link_other_browser"
        assert "parley_session" not in cookies_set(headers)

    # And the link still works in the browser that asked
    assert open_link(api, token, browser)[0] == 200


def test_asking_again_keeps_the_first_link_usable_in_that_browser(
    api, make_user, enabled, sent_mail, fake_clock
):
    email = make_user("customer")["email"]
    browser, first = ask_link(api, sent_mail, email)
    again, second = ask_link(api, sent_mail, email, browser)
    assert again == browser and first != second
    assert open_link(api, first, browser)[0] == 200
    assert open_link(api, second, browser)[0] == 200


def test_the_link_expires_after_15_minutes(api, make_user, enabled, sent_mail, fake_clock):
    email = make_user("customer")["email"]

    # Given a link opened 14 minutes after it was sent, it works
    browser, token = ask_link(api, sent_mail, email)
    fake_clock.advance(14 * MINUTE)
    assert open_link(api, token, browser)[0] == 200

    # When another link is opened 15 minutes after it was sent
    browser, late = ask_link(api, sent_mail, email)
    fake_clock.advance(15 * MINUTE)
    status, body, _ = open_link(api, late, browser)

    # Then it is refused
    assert status == 400 and body["error"]["code"] == "invalid_token"


def test_a_link_of_an_account_disabled_since_does_not_sign_in(
    api, make_user, enabled, sent_mail, fake_clock
):
    from tests.functional.notification_support import set_user

    user = make_user("customer")
    browser, token = ask_link(api, sent_mail, user["email"])
    set_user(user["id"], status="disabled")
    status, body, _ = open_link(api, token, browser)
    assert status == 400 and body["error"]["code"] == "invalid_token"


def test_the_password_change_gate_still_applies(api, make_user, enabled, sent_mail, fake_clock):
    # Given a customer who still has the temporary password an admin gave them
    user = make_user("customer", must_change_password=True)
    browser, token = ask_link(api, sent_mail, user["email"])

    # When they sign in with a link
    status, body, _ = open_link(api, token, browser)

    # Then the session is gated until the password is changed
    assert status == 200 and body["user"]["must_change_password"] is True
    status, refused, _ = api.call("GET", "/api/portal/tickets", token=body["token"])
    assert status == 403 and refused["error"]["code"] == "password_change_required"


def test_an_invited_account_without_a_password_gets_no_link(
    api, make_user, enabled, sent_mail, fake_clock
):
    from tests.functional.notification_support import set_user

    # An invitation sets the password; a link would stop at a change of a password it has not
    user = make_user("customer", must_change_password=True)
    set_user(user["id"], password_hash=None)
    assert ask(api, user["email"])[0] == 202
    assert mails_to(sent_mail, user["email"]) == []


def test_a_second_factor_is_asked_when_the_account_has_one(
    api, make_user, admin, enabled, sent_mail, fake_clock
):
    import pyotp

    from chalicelib import clock
    from chalicelib.services import totp
    from tests.functional.notification_support import set_user

    # Given a customer with an authenticator app
    user = make_user("customer")
    setup = totp.start(user["id"], user["email"], "Parley")
    assert totp.confirm(user["id"], pyotp.TOTP(setup.secret).at(clock.now()))
    set_user(user["id"], second_factors={"totp"})
    browser, token = ask_link(api, sent_mail, user["email"])

    # When they open the link
    status, body, headers = open_link(api, token, browser)

    # Then the second factor is asked, and no session starts yet
    assert status == 200, body
    assert body["second_factor"]["methods"][0] == "totp"
    cookies = cookies_set(headers)
    assert set(cookies) == {"parley_pending"}

    # And once a code is given they are signed in, still without a device cookie
    fake_clock.advance(30)
    status, body, headers = api.call(
        "POST", "/api/auth/second-factor", {"code": pyotp.TOTP(setup.secret).at(clock.now())},
        headers={"Cookie": f"parley_pending={cookie_value(cookies['parley_pending'])}"})
    assert status == 200, body
    cookies = cookies_set(headers)
    assert "parley_session" in cookies and "parley_device" not in cookies
    signed_in = [e for e in audit(api, admin, "auth.login") if e["outcome"] == "success"]
    assert [e["details"]["method"] for e in signed_in] == ["magic_link"]


def test_mails_to_one_address_are_capped_with_the_same_answer(
    api, make_user, enabled, sent_mail, fake_clock
):
    email = make_user("customer")["email"]
    browser = secrets.token_urlsafe(32)
    answers = [ask(api, email, browser) for _ in range(6)]
    assert all(answer == answers[0] for answer in answers)
    assert len(mails_to(sent_mail, email)) == 5


def test_a_domain_that_signs_in_with_its_provider_gets_no_link(
    api, make_user, admin, enabled, sent_mail, fake_clock
):
    # Given a link mailed to an address of a domain before the admin sent it to its provider
    email = make_user("customer", email="kim@corp.test")["email"]
    browser, token = ask_link(api, sent_mail, email)
    status, body, _ = api.call("PATCH", "/api/admin/settings", {"sso_providers": [{
        "id": "corp", "name": "Corp ID", "issuer": "https://id.corp.test", "client_id": "parley",
        "client_secret_ref": "PARLEY_OIDC_CORP", "roles": ["customer"],
        "domains": {"corp.test": ""}, "password_off_domains": ["corp.test"]}]}, token=admin)
    assert status == 200, body

    # When its addresses ask for a link, or open the one mailed before
    asked = ask(api, email, browser)
    opened = open_link(api, token, browser)

    # Then both are sent to the provider, and no new mail goes out
    for status, body, _ in (asked, opened):
        assert status == 403 and body["error"]["code"] == "sso_required", body
    assert len(mails_to(sent_mail, email)) == 1

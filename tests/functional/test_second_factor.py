"""TOTP as a second factor: enrolling from the profile, signing in with a code or a recovery
code, and what must never work (a wrong code, a replayed code, a spent recovery code, a pending
sign-in used twice, late, or from a browser that does not hold it)."""

from __future__ import annotations

import pytest

from chalicelib.data.second_factor import SecondFactorModel
from tests.functional.auth_support import (
    STRONG_PASSWORD,
    cookie_attributes,
    cookies_set,
    mails_to,
    sign_in,
    table_items,
)
from tests.functional.second_factor_support import Person, code_at, enrolled_person

pytestmark = pytest.mark.functional


def audit_actions(api, admin_token, prefix="auth.second_factor"):
    status, body, _ = api.call("GET", "/api/admin/audit?kind=signin&limit=100", token=admin_token)
    assert status == 200, body
    return [(e["action"], e["outcome"], e.get("details")) for e in body["items"]
            if e["action"].startswith(prefix)]


def test_without_a_second_factor_the_password_signs_in_as_before(api, make_user, fake_clock):
    user = make_user()
    status, body, pending = Person(api, user["email"]).password_step()
    assert status == 200 and body["user"]["id"] == user["id"]
    assert pending is None


def test_enrolling_shows_the_secret_once_and_a_code_confirms_it(api, make_user, fake_clock):
    user = make_user()
    browser = sign_in(api, user["email"])
    status, setup, _ = browser.call("POST", "/api/me/second-factor/totp")
    assert status == 200
    assert setup["uri"].startswith("otpauth://totp/") and setup["secret"] in setup["uri"]
    assert setup["qr_svg"].startswith("<svg")
    # A wrong code does not confirm it
    status, body, _ = browser.call("POST", "/api/me/second-factor/totp/confirm",
                                   {"code": "000000" if code_at(setup["secret"], fake_clock.now)
                                    != "000000" else "111111"})
    assert (status, body["error"]["code"]) == (400, "invalid_code")
    assert browser.call("GET", "/api/me/second-factor")[1]["totp"] is False
    # The code of the step before counts (clocks drift)
    status, body, _ = browser.call("POST", "/api/me/second-factor/totp/confirm",
                                   {"code": code_at(setup["secret"], fake_clock.now - 30)})
    assert status == 200
    codes = body["recovery_codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    assert browser.call("GET", "/api/me/second-factor")[1] == {
        "totp": True, "passkey": False, "recovery_codes_left": 10, "required": False}
    # The secret is stored sealed, the recovery codes as hashes only
    stored = str(table_items(SecondFactorModel))
    assert setup["secret"] not in stored
    assert not any(c in stored or c.replace("-", "") in stored for c in codes)
    # Starting again is refused: one app at a time
    status, body, _ = browser.call("POST", "/api/me/second-factor/totp")
    assert (status, body["error"]["code"]) == (409, "totp_already_enrolled")


def test_sign_in_asks_for_the_code_after_the_password(api, make_user, fake_clock):
    person = enrolled_person(api, make_user)
    fake_clock.advance(60)
    status, body, pending = person.password_step()
    assert (status, body) == (200, {"second_factor": {"methods": ["totp", "recovery_code"],
                                                      "enrol": False}})
    # Only the pending cookie: no session yet
    assert pending
    _, _, headers = api.call("POST", "/api/auth/login",
                             {"email": person.email, "password": person.password})
    cookies = cookies_set(headers)
    assert set(cookies) == {"parley_pending"}
    assert {"HttpOnly", "Path=/api/auth", "Max-Age=300"} <= set(cookie_attributes(
        cookies["parley_pending"]))
    status, body, headers = person.second_step(pending, person.code())
    assert status == 200 and body["user"]["email"] == person.email
    assert {"parley_session", "parley_device", "parley_pending"} <= set(cookies_set(headers))
    assert "Max-Age=0" in cookies_set(headers)["parley_pending"]
    assert api.call("GET", "/api/me", token=body["token"])[0] == 200


def test_a_wrong_code_is_refused_and_the_pending_sign_in_stays(api, make_user, fake_clock):
    person = enrolled_person(api, make_user)
    fake_clock.advance(60)
    _, _, pending = person.password_step()
    wrong = "123456" if person.code() != "123456" else "654321"
    status, body, _ = person.second_step(pending, wrong)
    assert (status, body["error"]["code"]) == (400, "invalid_code")
    status, _, _ = person.second_step(pending, person.code())
    assert status == 200


def test_a_code_is_accepted_once(api, make_user, fake_clock):
    person = enrolled_person(api, make_user)
    fake_clock.advance(60)
    code = person.code()
    person.sign_in(code)
    # The same code, still within its window, from a second sign-in
    fake_clock.advance(5)
    _, _, pending = person.password_step()
    status, body, _ = person.second_step(pending, code)
    assert (status, body["error"]["code"]) == (400, "code_already_used")
    # An older code (the step before) is refused too: steps only move forward
    status, body, _ = person.second_step(pending, person.code(-1))
    assert status == 400
    fake_clock.advance(30)
    assert person.second_step(pending, person.code())[0] == 200


def test_the_enrolling_code_cannot_sign_in_again(api, make_user, fake_clock):
    person = enrolled_person(api, make_user)
    _, _, pending = person.password_step()
    status, body, _ = person.second_step(pending, person.code())
    assert (status, body["error"]["code"]) == (400, "code_already_used")


def test_a_recovery_code_signs_in_once_and_the_owner_hears_of_it(
    api, make_user, fake_clock, sent_mail
):
    person = enrolled_person(api, make_user)
    first, second = person.recovery_codes[:2]
    _, _, pending = person.password_step()
    # Typed as people type them: spaces, capitals, no dashes
    status, body, _ = person.second_step(pending, first.upper().replace("-", " "))
    assert status == 200, body
    _, _, pending = person.password_step()
    status, body, _ = person.second_step(pending, first)
    assert (status, body["error"]["code"]) == (400, "invalid_code")
    assert person.second_step(pending, second)[0] == 200
    mail = mails_to(sent_mail, person.email)[0]
    assert "Recovery codes left: 8." in mail["text"]


def test_a_pending_sign_in_is_spent_by_its_use(api, make_user, fake_clock):
    person = enrolled_person(api, make_user)
    fake_clock.advance(60)
    _, _, pending = person.password_step()
    assert person.second_step(pending, person.code())[0] == 200
    fake_clock.advance(30)
    status, body, _ = person.second_step(pending, person.code())
    assert (status, body["error"]["code"]) == (401, "second_factor_expired")


def test_a_pending_sign_in_expires_after_five_minutes(api, make_user, fake_clock):
    person = enrolled_person(api, make_user)
    _, _, pending = person.password_step()
    fake_clock.advance(301)
    status, body, _ = person.second_step(pending, person.code())
    assert (status, body["error"]["code"]) == (401, "second_factor_expired")


def test_another_browser_without_the_pending_cookie_gets_nowhere(api, make_user, fake_clock):
    person = enrolled_person(api, make_user)
    fake_clock.advance(60)
    person.password_step()  # the person's own browser holds that cookie
    # Another browser knows the code (shoulder-surfed), not the cookie
    assert person.second_step(None, person.code())[1]["error"]["code"] == "second_factor_expired"
    forged = "x" * 43
    status, body, _ = person.second_step(forged, person.code())
    assert (status, body["error"]["code"]) == (401, "second_factor_expired")


def test_wrong_codes_count_as_failed_sign_ins(api, make_user, fake_clock):
    person = enrolled_person(api, make_user)
    fake_clock.advance(60)
    _, _, pending = person.password_step()
    wrong = "000000" if person.code() != "000000" else "999999"
    for _ in range(5):
        assert person.second_step(pending, wrong)[0] == 400
    # Locked: even the right code waits, with the password sign-in's answer
    status, body, headers = person.second_step(pending, person.code())
    assert status == 429 and body["error"]["code"] == "too_many_requests"
    assert int(headers["Retry-After"]) > 0
    # and so does the password: the code's failures are the account's failures
    status, _, _ = person.password_step()
    assert status == 429


def test_knowing_the_password_buys_no_fresh_guesses_at_the_code(api, make_user, fake_clock):
    person = enrolled_person(api, make_user)
    fake_clock.advance(60)
    wrong = "000000" if person.code() != "000000" else "999999"
    for _ in range(4):
        _, _, pending = person.password_step()  # a right password each time...
        assert person.second_step(pending, wrong)[0] == 400
    _, _, pending = person.password_step()
    assert person.second_step(pending, wrong)[0] == 400
    # ...did not forgive the wrong codes
    assert person.password_step()[0] == 429


def test_the_audit_trail_tells_enrolment_use_and_failures(api, make_user, fake_clock):
    admin = make_user("admin")
    admin_token = api.login(admin["email"])
    person = enrolled_person(api, make_user)
    fake_clock.advance(60)
    _, _, pending = person.password_step()
    person.second_step(pending, "000000" if person.code() != "000000" else "999999")
    person.second_step(pending, person.code())
    _, _, pending = person.password_step()
    person.second_step(pending, person.recovery_codes[0])
    entries = audit_actions(api, admin_token)
    assert ("auth.second_factor.enrol", "success", {"method": "totp"}) in entries
    assert ("auth.second_factor.use", "failure", {"method": "totp"}) in entries
    assert ("auth.second_factor.use", "success", {"method": "totp"}) in entries
    assert ("auth.second_factor.use", "success", {"method": "recovery_code"}) in entries
    assert ("auth.second_factor.recovery", "success", {"remaining": 9}) in entries
    logins = audit_actions(api, admin_token, "auth.login")
    assert ("auth.login", "success", {"method": "password"}) in logins




def test_a_pending_sign_in_dies_with_a_password_change(api, make_user, fake_clock):
    user = make_user()
    elsewhere = sign_in(api, user["email"])
    person = Person(api, user["email"])
    person.enrol(elsewhere)
    fake_clock.advance(60)
    _, _, pending = person.password_step()
    # Meanwhile the owner, signed in elsewhere, changes the password
    fake_clock.advance(1)
    status, _, _ = elsewhere.call("POST", "/api/auth/password", {
        "current_password": person.password, "new_password": STRONG_PASSWORD})
    assert status == 200
    status, body, _ = person.second_step(pending, person.code())
    assert (status, body["error"]["code"]) == (401, "second_factor_expired")

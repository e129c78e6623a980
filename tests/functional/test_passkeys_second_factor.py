"""A passkey as the second step of a password sign-in (services/second_factor.py's pending
sign-in), with real WebAuthn payloads (webauthn_support.py)."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD
from tests.functional.auth_support import cookie_value, cookies_set
from tests.functional.webauthn_support import UP, add_passkey

pytestmark = pytest.mark.functional


def pending_sign_in(api, email):
    """A password sign-in that stops at the second step: the answer, and the pending cookie."""
    status, body, headers = api.call("POST", "/api/auth/login",
                                     {"email": email, "password": PASSWORD})
    assert status == 200, body
    return body, {"Cookie": cookies_set(headers)["parley_pending"].split(";", 1)[0]}


def answer(api, pending, authenticator, **bend):
    status, options, _ = api.call("POST", "/api/auth/passkey/second-factor/options",
                                  headers=pending)
    assert status == 200, options
    return options, api.call("POST", "/api/auth/passkey/second-factor",
                             {"credential": authenticator.assert_(options, **bend)},
                             headers=pending)


def test_a_password_sign_in_ends_with_one_of_the_accounts_passkeys(api, make_user, fake_clock):
    # Given Ada, whose passkeys are her second factor, and Bob with his own
    ada, bob = make_user("customer"), make_user("customer")
    admin = api.login(make_user("admin")["email"])
    ada_token = api.login(ada["email"])
    laptop, _ = add_passkey(api, ada_token)
    phone, _ = add_passkey(api, ada_token, name="Phone")
    bobs, _ = add_passkey(api, api.login(bob["email"]))

    # When she signs in with her password
    step, pending = pending_sign_in(api, ada["email"])

    # Then the portal asks for the second step, a passkey among the ways
    assert step == {"second_factor": {"methods": ["passkey", "recovery_code"], "enrol": False}}

    # And the options name her two passkeys only, user verification merely preferred
    options, (status, body, _) = answer(api, pending, bobs)
    assert sorted(c["id"] for c in options["allowCredentials"]) == sorted([laptop.id, phone.id])
    assert options["userVerification"] == "preferred"

    # And Bob's passkey does not finish her sign-in
    assert (status, body["error"]["code"]) == (401, "passkey_refused")

    # Nor a signature over another challenge
    _, (status, body, _) = answer(api, pending, laptop, challenge="AAAAAAAAAAAAAAAAAAAAAA")
    assert (status, body["error"]["code"]) == (401, "passkey_refused")

    # When her phone answers (touched, without its PIN: a second factor needs presence)
    _, (status, body, headers) = answer(api, pending, phone, flags=UP)

    # Then she is signed in, and the pending sign-in is spent and its cookie cleared
    assert status == 200, body
    assert body["user"]["id"] == ada["id"]
    cookies = cookies_set(headers)
    assert cookie_value(cookies["parley_session"]) == body["token"]
    assert cookie_value(cookies["parley_pending"]) == ""
    status, body, _ = api.call("POST", "/api/auth/passkey/second-factor/options", headers=pending)
    assert (status, body["error"]["code"]) == (401, "second_factor_expired")

    # And the audit names the passkey as her second factor, after her password
    _, page, _ = api.call("GET", "/api/admin/audit?limit=100", token=admin)
    used = [e for e in page["items"] if e["action"] == "auth.second_factor.use"
            and e["target"] == ada["id"] and e["outcome"] == "success"]
    assert [e["details"]["method"] for e in used] == ["passkey"]
    logins = [e for e in page["items"] if e["action"] == "auth.login"
              and e["target"] == ada["id"] and e["outcome"] == "success"]
    assert "password" in {e["details"]["method"] for e in logins}


def test_the_second_step_needs_the_pending_sign_in_and_a_live_challenge(
    api, make_user, fake_clock
):
    ada = make_user("customer")
    laptop, _ = add_passkey(api, api.login(ada["email"]))
    # No pending sign-in, or a made-up one
    for headers in (None, {"Cookie": "parley_pending=made-up-token"}):
        status, body, _ = api.call("POST", "/api/auth/passkey/second-factor/options",
                                   headers=headers)
        assert (status, body["error"]["code"]) == (401, "second_factor_expired")
    # An answer without options asked first
    _, pending = pending_sign_in(api, ada["email"])
    status, body, _ = api.call("POST", "/api/auth/passkey/second-factor", {
        "credential": laptop.assert_({"rpId": "localhost", "challenge": "AAAA"})},
        headers=pending)
    assert (status, body["error"]["code"]) == (400, "passkey_challenge_expired")
    # Options for one pending sign-in, answered under another
    _, other = pending_sign_in(api, ada["email"])
    _, options, _ = api.call("POST", "/api/auth/passkey/second-factor/options", headers=pending)
    status, body, _ = api.call("POST", "/api/auth/passkey/second-factor",
                               {"credential": laptop.assert_(options)}, headers=other)
    assert (status, body["error"]["code"]) == (400, "passkey_challenge_expired")
    # The pending sign-in lasts five minutes
    fake_clock.advance(301)
    status, body, _ = api.call("POST", "/api/auth/passkey/second-factor/options", headers=pending)
    assert (status, body["error"]["code"]) == (401, "second_factor_expired")


def test_the_last_passkey_stays_while_a_second_factor_is_required(api, make_user, fake_clock):
    # Given an agent whose one second factor is a passkey, and staff must have one
    agent = make_user("agent")
    admin = api.login(make_user("admin")["email"])
    token = api.login(agent["email"])
    _, first = add_passkey(api, token)
    _, second = add_passkey(api, token, name="Spare key")
    status, body, _ = api.call("PATCH", "/api/admin/settings",
                               {"require_second_factor_staff": True}, token=admin)
    assert status == 200, body

    # When they remove one of two: fine; the last one: refused, and it stays
    assert api.call("DELETE", f"/api/me/passkeys/{second['id']}", token=token)[0] == 200
    status, body, _ = api.call("DELETE", f"/api/me/passkeys/{first['id']}", token=token)
    assert (status, body["error"]["code"]) == (409, "second_factor_required")
    assert [p["id"] for p in api.call("GET", "/api/me/passkeys", token=token)[1]["items"]] == [
        first["id"]]

    # When no second factor is required any more, it may go
    api.call("PATCH", "/api/admin/settings", {"require_second_factor_staff": False}, token=admin)
    assert api.call("DELETE", f"/api/me/passkeys/{first['id']}", token=token)[0] == 200

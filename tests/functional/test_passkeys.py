"""Passkeys in the profile and passwordless sign-in, with real WebAuthn payloads: a software
authenticator (webauthn_support.py) signs with a real P-256 key, and the server checks it with
py_webauthn as it would a browser's."""

from __future__ import annotations

import pytest

from chalicelib.services.passkeys import RelyingParty, relying_party
from tests.functional.auth_support import cookie_value, cookies_set
from tests.functional.webauthn_support import (
    BE,
    BS,
    ORIGIN,
    RP_ID,
    UP,
    Authenticator,
    add_passkey,
    challenge_cookie,
    sign_in_with,
)

pytestmark = pytest.mark.functional


def audit_actions(api, admin_token, action):
    _, page, _ = api.call("GET", "/api/admin/audit?limit=100", token=admin_token)
    return [e for e in page["items"] if e["action"] == action]


def second_factors(user_id):
    from chalicelib.data import users as user_store

    return set(user_store.get_user(user_id).second_factors or ())


def test_the_relying_party_is_the_public_url_and_a_loopback_address_is_localhost():
    assert relying_party("https://help.example.com") == RelyingParty(
        "help.example.com", "https://help.example.com")
    assert relying_party("https://help.example.com:8443/") == RelyingParty(
        "help.example.com", "https://help.example.com:8443")
    # WebAuthn takes no IP address as RP ID: the local run is opened as localhost
    assert relying_party("http://127.0.0.1:8000") == RelyingParty(
        "localhost", "http://localhost:8000")
    assert relying_party("http://[::1]:9000") == RelyingParty("localhost", "http://localhost:9000")
    assert relying_party() == RelyingParty(RP_ID, ORIGIN)  # the test stage's


def test_a_user_adds_names_renames_and_removes_passkeys(api, make_user, fake_clock):
    # Given Ada, signed in
    ada = make_user("customer")
    token = api.login(ada["email"])
    admin = api.login(make_user("admin")["email"])

    # When she asks to add a passkey
    status, options, _ = api.call("POST", "/api/me/passkeys/options", token=token)

    # Then the options ask for a discoverable credential with user verification, for this
    # portal, in her name, with the account's id as the user handle
    assert status == 200, options
    assert options["rp"] == {"id": "localhost", "name": "Parley"}
    assert options["user"]["name"] == ada["email"] and options["user"]["displayName"] == ada["name"]
    assert options["authenticatorSelection"] == {
        "residentKey": "required", "requireResidentKey": True, "userVerification": "required"}
    assert options["excludeCredentials"] == []

    # When her laptop creates one and she names it
    laptop = Authenticator()
    status, body, _ = api.call("POST", "/api/me/passkeys", {
        "name": "  Work   laptop ", "credential": laptop.register(options)}, token=token)

    # Then it is kept, never used yet, and "passkey" is one of her second factors
    assert status == 201, body
    first = body["passkey"]
    assert first["name"] == "Work laptop" and first["last_used_at"] is None and first["synced"]
    assert second_factors(ada["id"]) == {"passkey"}

    # When she adds her phone a minute later: the laptop's passkey is excluded from the options
    fake_clock.advance(60)
    status, options, _ = api.call("POST", "/api/me/passkeys/options", token=token)
    assert [c["id"] for c in options["excludeCredentials"]] == [laptop.id]
    phone = Authenticator()
    status, body, _ = api.call("POST", "/api/me/passkeys", {
        "name": "Phone", "credential": phone.register(options)}, token=token)
    assert status == 201, body

    # Then both are listed, oldest first, with when they were added
    status, listed, _ = api.call("GET", "/api/me/passkeys", token=token)
    assert [p["name"] for p in listed["items"]] == ["Work laptop", "Phone"]
    assert listed["items"][0]["created_at"] < listed["items"][1]["created_at"]
    assert listed["max"] == 20

    # And signing in with one shows when it was last used
    assert sign_in_with(api, phone)[0] == 200
    _, listed, _ = api.call("GET", "/api/me/passkeys", token=token)
    assert listed["items"][1]["last_used_at"] is not None

    # When she renames the laptop's
    status, body, _ = api.call("PATCH", f"/api/me/passkeys/{first['id']}", {"name": "Old laptop"},
                               token=token)
    assert status == 200 and body["passkey"]["name"] == "Old laptop"

    # And removes both: the second factor goes with the last one
    assert api.call("DELETE", f"/api/me/passkeys/{first['id']}", token=token)[0] == 200
    assert second_factors(ada["id"]) == {"passkey"}
    phone_id = listed["items"][1]["id"]
    assert api.call("DELETE", f"/api/me/passkeys/{phone_id}", token=token)[0] == 200
    assert api.call("GET", "/api/me/passkeys", token=token)[1]["items"] == []
    assert second_factors(ada["id"]) == set()

    # And a removed passkey no longer signs in
    status, body, _ = sign_in_with(api, phone)
    assert (status, body["error"]["code"]) == (401, "passkey_refused")

    # And the audit says who added and removed what
    added = audit_actions(api, admin, "auth.passkey.register")
    removed = audit_actions(api, admin, "auth.passkey.remove")
    assert sorted(e["details"]["name"] for e in added) == ["Phone", "Work laptop"]
    assert sorted(e["details"]["name"] for e in removed) == ["Old laptop", "Phone"]
    assert {e["target"] for e in added + removed} == {ada["id"]}


def test_a_registration_answer_is_refused_unless_it_answers_this_sessions_live_challenge(
    api, make_user, fake_clock
):
    ada = make_user("customer")
    token, other_session = api.login(ada["email"]), api.login(ada["email"])

    def register(credential, with_token=token):
        return api.call("POST", "/api/me/passkeys", {"name": "Key", "credential": credential},
                        token=with_token)

    _, options, _ = api.call("POST", "/api/me/passkeys/options", token=token)
    # Made for another origin, another RP ID, another challenge, or as a sign-in: not verified
    for bent in ({"origin": "https://evil.example"}, {"rp_id": "evil.example"},
                 {"challenge": "AAAAAAAAAAAAAAAAAAAAAA"}, {"client_type": "webauthn.get"},
                 {"flags": UP | BE | BS}):  # no user verification
        status, body, _ = register(Authenticator().register(options, **bent))
        assert (status, body["error"]["code"]) == (400, "passkey_invalid"), bent
        # each failed attempt spent the challenge: ask again
        _, options, _ = api.call("POST", "/api/me/passkeys/options", token=token)

    # Options asked by one session cannot be answered from another
    status, body, _ = register(Authenticator().register(options), with_token=other_session)
    assert (status, body["error"]["code"]) == (400, "passkey_challenge_expired")

    # Options last five minutes
    _, options, _ = api.call("POST", "/api/me/passkeys/options", token=token)
    fake_clock.advance(301)
    status, body, _ = register(Authenticator().register(options))
    assert (status, body["error"]["code"]) == (400, "passkey_challenge_expired")

    # A good answer is taken once: replayed, its challenge is spent
    _, options, _ = api.call("POST", "/api/me/passkeys/options", token=token)
    answer = Authenticator().register(options)
    assert register(answer)[0] == 201
    status, body, _ = register(answer)
    assert (status, body["error"]["code"]) == (400, "passkey_challenge_expired")
    assert len(api.call("GET", "/api/me/passkeys", token=token)[1]["items"]) == 1


def test_another_users_passkey_is_a_404_like_a_missing_one(api, make_user, fake_clock):
    ada, bob = make_user("customer"), make_user("customer")
    ada_token, bob_token = api.login(ada["email"]), api.login(bob["email"])
    _, passkey = add_passkey(api, ada_token)
    missing = "0" * 64
    for method, body in (("PATCH", {"name": "Mine now"}), ("DELETE", None)):
        theirs = api.call(method, f"/api/me/passkeys/{passkey['id']}", body, token=bob_token)
        nothing = api.call(method, f"/api/me/passkeys/{missing}", body, token=bob_token)
        assert theirs[0] == nothing[0] == 404
        assert theirs[1] == nothing[1]
        assert theirs[1]["error"]["code"] == "passkey_not_found"
    assert api.call("GET", "/api/me/passkeys", token=ada_token)[1]["items"][0]["name"] == "Laptop"


def test_a_passkey_signs_in_without_a_password_as_a_password_sign_in_does(
    api, make_user, fake_clock
):
    # Given Ada with a passkey, signed out
    ada = make_user("customer")
    admin = api.login(make_user("admin")["email"])
    laptop, _ = add_passkey(api, api.login(ada["email"]))

    # When her browser asks for options
    status, options, headers = api.call("POST", "/api/auth/passkey/options")

    # Then any passkey of this portal will do, verified by PIN or biometric, and an HttpOnly
    # cookie binds the challenge to this browser
    assert status == 200, options
    assert options["allowCredentials"] == [] and options["userVerification"] == "required"
    assert options["rpId"] == "localhost"
    line = cookies_set(headers)["parley_passkey"]
    assert "HttpOnly" in line and "Path=/api/auth/passkey" in line and "Max-Age=300" in line

    # When her laptop answers
    status, body, headers = api.call(
        "POST", "/api/auth/passkey", {"credential": laptop.assert_(options)},
        headers={"Cookie": challenge_cookie(headers)})

    # Then she is signed in with the answer and cookies of a password sign-in
    assert status == 200, body
    assert body["user"]["id"] == ada["id"]
    cookies = cookies_set(headers)
    assert cookie_value(cookies["parley_session"]) == body["token"]
    assert cookie_value(cookies["parley_passkey"]) == ""  # the challenge's cookie, spent
    assert api.call("GET", "/api/me", token=body["token"])[0] == 200

    # And the audit says how she signed in
    [login] = [e for e in audit_actions(api, admin, "auth.login") if e["target"] == ada["id"]
               and e["details"]["method"] == "passkey"]
    assert login["outcome"] == "success"


def test_every_bad_passwordless_answer_is_the_same_refusal(api, make_user, fake_clock):
    ada = make_user("customer")
    laptop, _ = add_passkey(api, api.login(ada["email"]))
    stranger = Authenticator(user_handle=ada["id"].encode())

    def refused(status, body):
        return (status, body["error"]["code"]) == (401, "passkey_refused")

    # Another challenge, origin or RP ID; no user verification; a passkey nobody registered;
    # the right passkey with someone else's user handle, or none
    assert refused(*sign_in_with(api, laptop, challenge="AAAAAAAAAAAAAAAAAAAAAA")[:2])
    assert refused(*sign_in_with(api, laptop, origin="https://evil.example")[:2])
    assert refused(*sign_in_with(api, laptop, origin="http://127.0.0.1:8000")[:2])
    assert refused(*sign_in_with(api, laptop, rp_id="evil.example")[:2])
    assert refused(*sign_in_with(api, laptop, flags=UP)[:2])
    assert refused(*sign_in_with(api, stranger)[:2])
    assert refused(*sign_in_with(api, laptop, user_handle=b"u9999cu")[:2])
    assert refused(*sign_in_with(api, laptop, with_handle=False)[:2])

    # A signature over other data
    _, options, headers = api.call("POST", "/api/auth/passkey/options")
    forged = laptop.assert_(options)
    forged["response"]["signature"] = Authenticator().assert_(options)["response"]["signature"]
    assert refused(*api.call("POST", "/api/auth/passkey", {"credential": forged},
                             headers={"Cookie": challenge_cookie(headers)})[:2])

    # And after all that, the passkey itself still works
    assert sign_in_with(api, laptop)[0] == 200


def test_a_challenge_answers_once_in_the_browser_that_asked_within_five_minutes(
    api, make_user, fake_clock
):
    ada = make_user("customer")
    laptop, _ = add_passkey(api, api.login(ada["email"]))
    _, options, headers = api.call("POST", "/api/auth/passkey/options")
    answer = {"credential": laptop.assert_(options)}

    # Without the cookie of the browser that asked, or with another browser's
    _, _, elsewhere = api.call("POST", "/api/auth/passkey/options")
    for cookie in (None, challenge_cookie(elsewhere), "parley_passkey=made-up"):
        status, body, _ = api.call("POST", "/api/auth/passkey", answer,
                                   headers={"Cookie": cookie} if cookie else None)
        assert status in (400, 401), body
        assert body["error"]["code"] in ("passkey_challenge_expired", "passkey_refused")

    # In the browser that asked: once
    cookie = {"Cookie": challenge_cookie(headers)}
    assert api.call("POST", "/api/auth/passkey", answer, headers=cookie)[0] == 200
    status, body, _ = api.call("POST", "/api/auth/passkey", answer, headers=cookie)
    assert (status, body["error"]["code"]) == (400, "passkey_challenge_expired")

    # Too late
    _, options, headers = api.call("POST", "/api/auth/passkey/options")
    fake_clock.advance(301)
    status, body, _ = api.call("POST", "/api/auth/passkey",
                               {"credential": laptop.assert_(options)},
                               headers={"Cookie": challenge_cookie(headers)})
    assert (status, body["error"]["code"]) == (400, "passkey_challenge_expired")


def test_a_cloned_passkey_whose_counter_goes_back_is_refused(api, make_user, fake_clock):
    ada = make_user("customer")
    token = api.login(ada["email"])
    laptop, _ = add_passkey(api, token)
    assert sign_in_with(api, laptop, counter=5)[0] == 200
    # The clone reports a counter not past the one stored
    for counter in (5, 4, 0):
        status, body, _ = sign_in_with(api, laptop, counter=counter)
        assert (status, body["error"]["code"]) == (401, "passkey_refused"), counter
    assert sign_in_with(api, laptop, counter=6)[0] == 200

    # An authenticator without a counter (0, then 0 again) is not a clone
    synced, _ = add_passkey(api, token, name="Synced")
    assert sign_in_with(api, synced, counter=0)[0] == 200
    assert sign_in_with(api, synced, counter=0)[0] == 200


def test_a_disabled_account_gets_the_refusal_of_a_bad_answer(api, make_user, fake_clock):
    ada = make_user("customer")
    admin = api.login(make_user("admin")["email"])
    laptop, _ = add_passkey(api, api.login(ada["email"]))
    status, body, _ = api.call("PATCH", f"/api/admin/users/{ada['id']}", {"status": "disabled"},
                               token=admin)
    assert status == 200, body
    status, refusal, _ = sign_in_with(api, laptop)
    _, unknown, _ = sign_in_with(api, Authenticator(user_handle=b"nobody"))
    assert status == 401 and refusal == unknown


def test_failed_passkey_answers_count_against_the_address(api, make_user, fake_clock):
    from chalicelib.services.throttles import ADDRESS

    stranger = Authenticator(user_handle=b"nobody")
    for _ in range(ADDRESS.free_failures):
        assert sign_in_with(api, stranger)[0] == 401
    # Locked: even the options are refused now, for a while
    status, _, headers = api.call("POST", "/api/auth/passkey/options")
    assert status == 429 and int(headers["Retry-After"]) > 0
    fake_clock.advance(ADDRESS.first_lock_seconds + 1)
    assert api.call("POST", "/api/auth/passkey/options")[0] == 200


def test_a_passkey_does_not_sign_in_an_address_its_company_signs_in_through_its_provider(
    api, make_org, make_user, fake_clock, monkeypatch
):
    # Given Ada's passkey, registered before her company chose to sign its people in only
    # through its provider (where leavers are removed)
    from tests.functional.oidc_support import SECRET_VARIABLE, provider_settings

    monkeypatch.setenv(SECRET_VARIABLE, "client-secret")
    acme = make_org("Acme")
    ada = make_user("customer", email="ada@acme.test", org_id=acme["id"])
    laptop, _ = add_passkey(api, api.login(ada["email"]))
    admin = api.login(make_user("admin")["email"])
    status, body, _ = api.call("PATCH", "/api/admin/settings", {"sso_providers": [
        provider_settings("https://sso.acme.test", acme["id"],
                          password_off_domains=["acme.test"])]}, token=admin)
    assert status == 200, body

    # When she signs in with the passkey
    status, body, _ = sign_in_with(api, laptop)

    # Then she is sent to the provider, as her password would be
    assert (status, body["error"]["code"]) == (403, "sso_required")

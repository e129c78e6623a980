"""Sign-in with an OpenID provider, against an issuer of our own (tests/functional/oidc_support.py):
the flow from the sign-in page's button to a session, each check of the ID token failing for its
own reason, replays of the state and of the code, and who the provider's answer may sign in.

Every refusal ends on the sign-in page (a redirect to /login?sso_error=<code>) with no session,
and the audit log records the precise reason as a failed sign-in."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from chalicelib import clock
from tests.functional.auth_support import cookie_value, cookies_set
from tests.functional.oidc_support import (
    CLIENT_SECRET,
    SECRET_VARIABLE,
    SsoBrowser,
    TinyIssuer,
    provider_settings,
)

pytestmark = pytest.mark.functional


@pytest.fixture(scope="module")
def issuer() -> Iterator[TinyIssuer]:
    started = TinyIssuer().start()
    yield started
    started.stop()


@pytest.fixture
def portal(api, make_org, make_user, issuer, fake_clock, monkeypatch) -> dict[str, Any]:
    """Acme's customers and the team sign in with the tiny issuer."""
    from chalicelib.services import oidc_tokens

    oidc_tokens.forget_cached_documents()
    monkeypatch.setenv(SECRET_VARIABLE, CLIENT_SECRET)
    acme = make_org("Acme")
    admin = make_user("admin", email="ada@parley.test")
    token = api.login(admin["email"])
    status, body, _ = api.call("PATCH", "/api/admin/settings", {
        "sso_providers": [provider_settings(issuer.issuer, acme["id"])]}, token=token)
    assert status == 200, body
    return {"acme": acme, "admin_token": token,
            "alice": make_user("customer", email="alice@acme.test", org_id=acme["id"])}


def _signs_in(api, issuer: TinyIssuer, email: str, token=None, next_path=None) -> tuple[
        SsoBrowser, str]:
    """A browser clicks the button, signs in at the issuer and comes back: where it lands."""
    browser = SsoBrowser(api)
    location = browser.start(next_path=next_path)
    code, state = issuer.authorize(location, token or (
        lambda nonce: issuer.signed(issuer.claims(clock.now(), nonce, email))))
    return browser, browser.callback(f"code={code}&state={state}")


def _failures(api, token: str) -> list[dict[str, Any]]:
    status, body, _ = api.call("GET", "/api/admin/audit?action=auth.login", token=token)
    assert status == 200, body
    return [e["details"] for e in body["items"] if e["outcome"] == "failure"]


def test_a_customer_signs_in_with_the_provider_and_lands_where_they_were_going(
    api, issuer, portal
):
    # When Alice clicks "Sign in with Tiny SSO" on the way to her tickets, and signs in there
    browser, landed = _signs_in(api, issuer, "alice@acme.test", next_path="/tickets")

    # Then the provider saw a code request with PKCE and the client's secret (the issuer checks
    # both), and she is back on the sign-in page, which finishes signing in
    assert landed == "/login?sso=done&next=%2Ftickets"
    assert issuer.token_requests[-1]["code_verifier"]
    status, answer, headers = browser.complete()
    assert status == 200, answer
    assert answer["user"]["email"] == "alice@acme.test"
    cookies = cookies_set(headers)
    assert cookie_value(cookies["parley_session"]) == answer["token"]
    assert cookie_value(cookies["parley_sso"]) == ""  # the flow's cookie goes
    assert api.call("GET", "/api/me", token=answer["token"])[1]["user"]["email"] == (
        "alice@acme.test")

    # And the page cannot finish it twice
    assert browser.complete()[0] == 400

    # And the admin reads a sign-in by OpenID in the audit log
    _, log, _ = api.call("GET", "/api/admin/audit?action=auth.login", token=portal["admin_token"])
    assert {"method": "oidc"} in [e["details"] for e in log["items"] if e["outcome"] == "success"]


def _token_of(kind: str, issuer: TinyIssuer, nonce: str) -> str:
    now, email = clock.now(), "alice@acme.test"
    claims = issuer.claims(now, nonce, email)
    return {
        "issuer": lambda: issuer.signed({**claims, "iss": "https://evil.example"}),
        "audience": lambda: issuer.signed({**claims, "aud": "another-client"}),
        "nonce": lambda: issuer.signed({**claims, "nonce": "a-nonce-of-another-flow"}),
        "expired": lambda: issuer.signed({**claims, "iat": int(now) - 7200,
                                          "exp": int(now) - 3600}),
        "algorithm none": lambda: issuer.unsigned(claims),
        "HS256 with the public key": lambda: issuer.hmac_with_public_key(claims),
        "signed by another key": lambda: TinyIssuer(kid=issuer.kid).signed(claims),
    }[kind]()


@pytest.mark.parametrize(("kind", "reason"), [
    ("issuer", "issuer"),
    ("audience", "audience"),
    ("nonce", "nonce"),
    ("expired", "expired"),
    ("algorithm none", "algorithm"),
    ("HS256 with the public key", "algorithm"),
    ("signed by another key", "signature"),
])
def test_an_id_token_failing_a_check_signs_nobody_in(api, issuer, portal, kind, reason):
    # When the provider's answer carries such an ID token
    browser, landed = _signs_in(api, issuer, "alice@acme.test",
                                token=lambda nonce: _token_of(kind, issuer, nonce))

    # Then the sign-in page says it could not be verified, and nobody is signed in
    assert landed == "/login?sso_error=sso_failed"
    status, body, _ = browser.complete()
    assert (status, body["error"]["code"]) == (400, "sso_expired")

    # And the audit log says which check failed
    assert _failures(api, portal["admin_token"])[0] == {
        "method": "oidc", "provider": "tiny", "reason": f"id_token:{reason}"}


def test_a_token_within_the_clock_leeway_is_accepted(api, issuer, portal):
    # Issued 30 seconds "in the future" by a provider whose clock runs ahead, expired 30 ago
    def skewed(nonce: str) -> str:
        now = int(clock.now())
        return issuer.signed(issuer.claims(now, nonce, "alice@acme.test", iat=now + 30,
                                           exp=now - 30))

    browser, landed = _signs_in(api, issuer, "alice@acme.test", token=skewed)
    assert landed == "/login?sso=done"
    assert browser.complete()[0] == 200


def test_a_replayed_state_is_refused(api, issuer, portal):
    # Given a sign-in that went through
    browser = SsoBrowser(api)
    code, state = issuer.authorize(browser.start(), lambda nonce: issuer.signed(
        issuer.claims(clock.now(), nonce, "alice@acme.test")))
    assert browser.callback(f"code={code}&state={state}") == "/login?sso=done"
    requests_before = len(issuer.token_requests)

    # When the provider's answer is played again, in the same browser or in another one
    again = browser.callback(f"code={code}&state={state}")
    elsewhere = SsoBrowser(api).callback(f"code={code}&state={state}")

    # Then both are refused before the code goes anywhere
    assert again == elsewhere == "/login?sso_error=sso_expired"
    assert len(issuer.token_requests) == requests_before
    reasons = [d["reason"] for d in _failures(api, portal["admin_token"])]
    assert sorted(reasons) == ["no_flow", "state_used"]


def test_a_state_of_another_flow_is_refused(api, issuer, portal):
    # An attacker's own answer (their code and state) carried into Alice's browser mid-flow
    attacker = SsoBrowser(api)
    code, state = issuer.authorize(attacker.start(), lambda nonce: issuer.signed(
        issuer.claims(clock.now(), nonce, "mallory@acme.test")))
    alice = SsoBrowser(api)
    alice.start()
    assert alice.callback(f"code={code}&state={state}") == "/login?sso_error=sso_expired"
    assert alice.complete()[0] == 400
    assert _failures(api, portal["admin_token"])[0]["reason"] == "state_mismatch"


def test_a_replayed_code_is_refused(api, issuer, portal):
    # Given a code that signed Alice in
    browser = SsoBrowser(api)
    code, state = issuer.authorize(browser.start(), lambda nonce: issuer.signed(
        issuer.claims(clock.now(), nonce, "alice@acme.test")))
    assert browser.callback(f"code={code}&state={state}") == "/login?sso=done"
    assert browser.complete()[0] == 200

    # When someone replays that code with a flow of their own
    thief = SsoBrowser(api)
    _, their_state = issuer.authorize(thief.start(), lambda nonce: "unused")
    landed = thief.callback(f"code={code}&state={their_state}")

    # Then the provider refuses it (spent, and bound to another PKCE challenge): nobody signs in
    assert landed == "/login?sso_error=sso_failed"
    assert thief.complete()[0] == 400
    assert _failures(api, portal["admin_token"])[0]["reason"] == "code_rejected"


@pytest.mark.parametrize(("email", "changes", "claims", "code"), [
    # An address of a domain the provider does not speak for
    ("ola@globex.test", {}, {}, "sso_domain_refused"),
    # The provider has not verified the address
    ("alice@acme.test", {}, {"email_verified": False}, "sso_email_unverified"),
    # No account, and the admin did not allow creating them
    ("ola@acme.test", {"create_accounts": False}, {}, "sso_no_account"),
    # Staff are never created by a sign-in (parley.test names no organization)
    ("new.agent@parley.test", {}, {}, "sso_no_account"),
    # An admin, where the provider admits customers and agents only
    ("ada@parley.test", {}, {}, "sso_role_refused"),
    # A verified address that folds into another (eßex@ folds to essex@, someone else's
    # mailbox): neither signed in nor created by its folded form
    ("eßex@acme.test", {}, {}, "sso_failed"),
])
def test_who_the_provider_may_not_sign_in(api, issuer, portal, email, changes, claims, code):
    if changes:
        status, body, _ = api.call("PATCH", "/api/admin/settings", {"sso_providers": [
            provider_settings(issuer.issuer, portal["acme"]["id"], **changes)]},
            token=portal["admin_token"])
        assert status == 200, body
    browser, landed = _signs_in(api, issuer, email, token=lambda nonce: issuer.signed(
        issuer.claims(clock.now(), nonce, email, **claims)))
    assert landed == f"/login?sso_error={code}"
    assert browser.complete()[0] == 400


def test_a_new_customer_of_a_mapped_domain_gets_an_account_at_the_first_sign_in(
    api, issuer, portal
):
    browser, landed = _signs_in(api, issuer, "Ola.Nowak@ACME.test", token=lambda nonce:
                                issuer.signed(issuer.claims(clock.now(), nonce,
                                                            "Ola.Nowak@ACME.test", locale="pl")))
    assert landed == "/login?sso=done"
    status, answer, _ = browser.complete()
    assert status == 200, answer
    user = answer["user"]
    assert (user["email"], user["name"], user["role"], user["org_id"], user["language"]) == (
        "ola.nowak@acme.test", "Ola Nowak", "customer", portal["acme"]["id"], "pl")
    # A second sign-in finds the same account
    browser, _ = _signs_in(api, issuer, "ola.nowak@acme.test")
    assert browser.complete()[1]["user"]["id"] == user["id"]


def test_a_disabled_account_is_not_signed_in(api, issuer, portal):
    from chalicelib.data import users as user_store

    alice = user_store.get_user(portal["alice"]["id"])
    alice.status = "disabled"
    user_store.save_user(alice)
    _, landed = _signs_in(api, issuer, "alice@acme.test")
    assert landed == "/login?sso_error=account_disabled"


def test_the_person_cancelling_at_the_provider_ends_on_the_sign_in_page(api, issuer, portal):
    browser = SsoBrowser(api)
    _, state = issuer.authorize(browser.start(), lambda nonce: "unused")
    assert browser.callback(f"error=access_denied&state={state}&error_description=x") == (
        "/login?sso_error=sso_cancelled")


def test_a_provider_that_cannot_be_reached_says_so_on_the_sign_in_page(
    api, make_org, make_user, fake_clock, monkeypatch
):
    from chalicelib.services import oidc_tokens

    oidc_tokens.forget_cached_documents()
    token = api.login(make_user("admin", email="ada@parley.test")["email"])
    gone = TinyIssuer().start()
    gone.stop()  # an address where nothing answers
    status, body, _ = api.call("PATCH", "/api/admin/settings", {"sso_providers": [
        provider_settings(gone.issuer, make_org("Acme")["id"])]}, token=token)
    assert status == 200, body
    status, body, headers = api.call("GET", "/api/auth/oidc/tiny/start?next=/tickets")
    assert (status, headers["Location"]) == (
        302, "/login?sso_error=sso_unavailable&next=%2Ftickets")


def test_the_start_goes_to_the_provider_with_pkce_state_and_nonce(api, issuer, portal):
    browser = SsoBrowser(api)
    location = browser.start(next_path="//evil.example/x")
    params = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    assert params["client_id"] == "parley-test-client"
    assert params["redirect_uri"] == "http://127.0.0.1:8000/api/auth/oidc/tiny/callback"
    assert params["scope"] == "openid email profile"
    assert params["code_challenge_method"] == "S256" and len(params["code_challenge"]) == 43
    assert len(params["state"]) >= 43 and len(params["nonce"]) >= 43
    assert params["state"] != params["nonce"]
    # The flow is bound to this browser by an HttpOnly cookie on the OpenID routes only
    _, _, headers = api.call("GET", "/api/auth/oidc/tiny/start")
    line = cookies_set(headers)["parley_sso"]
    assert {"HttpOnly", "SameSite=Lax", "Path=/api/auth/oidc", "Max-Age=600"} <= {
        part.strip() for part in line.split(";")}
    # And another site as `next` is dropped: signed in, the person lands on their home page
    code, state = issuer.authorize(location, lambda nonce: issuer.signed(
        issuer.claims(clock.now(), nonce, "alice@acme.test")))
    assert browser.callback(f"code={code}&state={state}") == "/login?sso=done"


def test_the_sign_in_page_lists_the_providers_and_nothing_else(api, portal):
    status, body, _ = api.call("GET", "/api/auth/oidc/providers")
    assert (status, body) == (200, {"providers": [{"id": "tiny", "name": "Tiny SSO"}]})
    status, body, _ = api.call("GET", "/api/auth/oidc/nobody/start")
    assert (status, body["error"]["code"]) == (404, "sso_provider_not_found")


def test_starts_from_one_address_are_capped_and_the_sign_in_page_says_why(
    api, issuer, portal, fake_clock, monkeypatch
):
    """Anyone may start a sign-in, and each start stores a flow: one address may start only so
    many per window (services/throttles.py check_sso_start), lowered here to 3."""
    from chalicelib.data.oidc import FlowModel
    from chalicelib.services import throttles
    from tests.functional.auth_support import table_items, trusted_proxy_hops

    monkeypatch.setattr(throttles, "SSO_STARTS_PER_SOURCE", 3)
    script, office = {"X-Forwarded-For": "203.0.113.7"}, {"X-Forwarded-For": "198.51.100.9"}

    def start(headers: dict[str, str], path: str = "/api/auth/oidc/tiny/start") -> tuple[
            str, dict[str, str]]:
        status, _, answer = api.call("GET", path, headers=headers)
        assert status == 302
        return answer["Location"], cookies_set(answer)

    with trusted_proxy_hops(1):
        for _ in range(3):
            location, cookies = start(script)
            assert location.startswith(issuer.issuer) and "parley_sso" in cookies
        stored = len(table_items(FlowModel))
        # The fourth from the same address ends on the sign-in page, which says why (its
        # text is error.too_many_requests), and stores nothing
        location, cookies = start(script, "/api/auth/oidc/tiny/start?next=/tickets")
        assert location == "/login?sso_error=too_many_requests&next=%2Ftickets"
        assert "parley_sso" not in cookies
        assert len(table_items(FlowModel)) == stored
        # Another address is not held back, and the next window starts afresh
        assert start(office)[0].startswith(issuer.issuer)
        fake_clock.advance(throttles.SSO_WINDOW_SECONDS)
        assert start(script)[0].startswith(issuer.issuer)

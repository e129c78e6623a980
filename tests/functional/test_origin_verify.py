"""Deployed, the API is reachable at the portal's address (CloudFront) and at API Gateway's own
execute-api URL. CloudFront adds a secret header; a request without it is refused, and only
what CloudFront wrote into X-Forwarded-For decides the caller's address for the throttles."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import PASSWORD
from tests.functional.auth_support import attempt_login, environment

pytestmark = pytest.mark.functional

SECRET = "Qm9vdHN0cmFwcGVkIGJ5IFNlY3JldHMgTWFuYWdlcg"
# The test client's sourceIp plays CloudFront's edge: API Gateway reports the address it was
# connected from as sourceIp and appends it to X-Forwarded-For after CloudFront's own entry.
EDGE = "127.0.0.1"
WRONG = "not the password at all"
ADDRESS_FREE_FAILURES = 20


def via_cloudfront(viewer: str, written_by_client: str | None = None) -> dict[str, str]:
    """The headers a request from `viewer` carries once CloudFront and API Gateway passed it."""
    forwarded = [written_by_client] if written_by_client else []
    return {
        "X-Parley-Origin-Verify": SECRET,
        "X-Forwarded-For": ", ".join([*forwarded, viewer, EDGE]),
    }


@pytest.fixture
def behind_cloudfront() -> Iterator[None]:
    with environment(PARLEY_ORIGIN_VERIFY=SECRET, PARLEY_TRUSTED_PROXY_HOPS="1"):
        yield


def assert_refused(response):
    status, body, headers = response
    assert status == 403, body
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    assert body["error"]["code"] == "origin_not_verified"
    assert headers["Cache-Control"] == "no-store"


def test_a_direct_call_without_cloudfronts_header_is_refused(api, make_user, behind_cloudfront):
    # Given the portal deployed behind CloudFront and a customer with an account
    user = make_user("customer")

    # When someone calls API Gateway's own URL, public routes and sign-in included
    # Then every call is refused with 403 in the API's error shape
    assert_refused(api.call("GET", "/api/health"))
    assert_refused(attempt_login(api, user["email"], PASSWORD))
    # And a wrong secret, or one with the right start, is no better than none
    for guess in ("", SECRET[:-1], SECRET + "x", SECRET.lower()):
        assert_refused(
            attempt_login(api, user["email"], PASSWORD, {"X-Parley-Origin-Verify": guess})
        )


def test_a_valid_session_does_not_open_the_direct_door(api, make_user, behind_cloudfront):
    # Given a customer who signed in through the portal's address
    user = make_user("customer")
    status, body, _ = attempt_login(api, user["email"], PASSWORD, via_cloudfront("198.51.100.9"))
    assert status == 200, body
    token = body["token"]

    # When the same token is sent straight to API Gateway
    # Then it is refused, while through CloudFront it works
    assert_refused(api.call("GET", "/api/me", token=token))
    status, me, _ = api.call("GET", "/api/me", token=token, headers=via_cloudfront("198.51.100.9"))
    assert status == 200, me
    assert me["user"]["email"] == user["email"]


def test_without_a_configured_secret_no_header_is_needed(api, make_user):
    # Given the local run (or the tests), where nothing stands in front of the API
    user = make_user("customer")

    # When a client signs in without any CloudFront header
    status, body, _ = attempt_login(api, user["email"], PASSWORD)

    # Then it is served as before
    assert status == 200, body


def test_a_made_up_forwarded_for_does_not_dodge_the_address_throttle(
    api, make_user, fake_clock, behind_cloudfront
):
    # Given an attacker at one address who guesses passwords through the portal, writing a new
    # made-up X-Forwarded-For on every attempt
    attacker = "203.0.113.7"
    victims = [make_user("customer") for _ in range(5)]
    made_up = iter(f"198.51.100.{n}" for n in range(100, 200))
    for victim in victims:
        for _ in range(ADDRESS_FREE_FAILURES // len(victims)):
            status, body, _ = attempt_login(
                api, victim["email"], WRONG, via_cloudfront(attacker, next(made_up))
            )
            assert status == 401, body

    # When the attacker tries yet another account, with yet another made-up address
    owner = make_user("customer")
    status, body, headers = attempt_login(
        api, owner["email"], PASSWORD, via_cloudfront(attacker, next(made_up))
    )

    # Then its own address is locked whatever it wrote
    assert status == 429, body
    assert int(headers["Retry-After"]) > 0
    # While the account's owner, at another address, signs in normally: CloudFront's edge (the
    # last entry) was never taken for the caller, so the lock does not reach everyone behind it
    status, body, _ = attempt_login(api, owner["email"], PASSWORD, via_cloudfront("198.51.100.9"))
    assert status == 200, body


def test_direct_calls_naming_someone_elses_address_cannot_lock_it(
    api, make_user, fake_clock, behind_cloudfront
):
    # Given a customer who signs in from 198.51.100.9
    owner = make_user("customer")
    victim_address = "198.51.100.9"

    # When an attacker sends many failed sign-ins straight to API Gateway, claiming that address
    for _ in range(ADDRESS_FREE_FAILURES + 5):
        assert_refused(
            attempt_login(api, owner["email"], WRONG, {"X-Forwarded-For": victim_address})
        )

    # Then none of them counted: the customer signs in at once through the portal
    status, body, _ = attempt_login(api, owner["email"], PASSWORD, via_cloudfront(victim_address))
    assert status == 200, body


def test_the_audit_log_names_the_viewer_not_cloudfront(api, make_user, behind_cloudfront):
    # Given a customer whose sign-in through the portal failed once, from 198.51.100.23
    customer = make_user("customer")
    admin = make_user("admin")
    status, _, _ = attempt_login(
        api, customer["email"], WRONG, via_cloudfront("198.51.100.23", "10.9.8.7")
    )
    assert status == 401

    # When an admin reads the audit log
    _, signed_in, _ = attempt_login(api, admin["email"], PASSWORD, via_cloudfront("192.0.2.4"))
    status, audit, _ = api.call(
        "GET", "/api/admin/audit", token=signed_in["token"], headers=via_cloudfront("192.0.2.4")
    )
    assert status == 200, audit

    # Then the failure is recorded with the viewer's address: not what the client wrote, not
    # CloudFront's edge
    (failure,) = [
        e for e in audit["items"] if e["action"] == "auth.login" and e["outcome"] == "failure"
    ]
    assert failure["source_ip"] == "198.51.100.23"


def test_during_a_rotation_the_portal_works_with_either_secret_and_then_only_the_new_one(
    api, make_user
):
    # Given the portal behind CloudFront, whose edges still send the old secret here and the
    # new one there while the new value spreads
    new = "bmV3IHNlY3JldCBmcm9tIFNlY3JldHMgTWFuYWdlcg"
    user = make_user("customer")
    old_edge = {**via_cloudfront("198.51.100.9"), "X-Parley-Origin-Verify": SECRET}
    new_edge = {**via_cloudfront("198.51.100.9"), "X-Parley-Origin-Verify": new}

    # When the functions hold the new secret and the old one as the previous value
    with environment(PARLEY_ORIGIN_VERIFY=new, PARLEY_ORIGIN_VERIFY_PREVIOUS=SECRET,
                     PARLEY_TRUSTED_PROXY_HOPS="1"):
        # Then a customer signs in and is served through either kind of edge
        status, body, _ = attempt_login(api, user["email"], PASSWORD, old_edge)
        assert status == 200, body
        token = body["token"]
        assert api.call("GET", "/api/me", token=token, headers=new_edge)[0] == 200
        assert api.call("GET", "/api/me", token=token, headers=old_edge)[0] == 200
        # And the direct door stays shut
        assert_refused(api.call("GET", "/api/me", token=token))

    # When the rotation ends: the previous value is cleared
    with environment(PARLEY_ORIGIN_VERIFY=new, PARLEY_TRUSTED_PROXY_HOPS="1"):
        # Then a request carrying the old secret is refused, the new one still served
        assert_refused(api.call("GET", "/api/me", token=token, headers=old_edge))
        assert api.call("GET", "/api/me", token=token, headers=new_edge)[0] == 200

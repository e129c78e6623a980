"""Sessions: idle and absolute limits checked on every request, settings that change them, the
server-side end of a session (logout, password change, disabling), the cleanup job, and the
cookie a browser keeps."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD
from tests.functional.auth_support import (
    OTHER_STRONG_PASSWORD,
    STRONG_PASSWORD,
    cookie_attributes,
    cookies_set,
    environment,
    me_status,
    raw_session_item,
    session_writes,
    sign_in,
    table_items,
)

pytestmark = pytest.mark.functional

MINUTE = 60
HOUR = 3600


def assert_session_ended(api, token):
    status, body, _ = api.call("GET", "/api/me", token=token)
    assert status == 401, body
    assert body["error"]["code"] == "session_expired"


def change_settings(api, admin_token, **changes):
    status, body, _ = api.call("PATCH", "/api/admin/settings", changes, token=admin_token)
    assert status == 200, body
    return body["settings"]


def run_cleanup(api):
    """Invoke the scheduled function as EventBridge would."""
    event = api.client.events.generate_cw_event(
        source="aws.events", detail_type="Scheduled Event", detail={}, resources=[]
    )
    return api.client.lambda_.invoke("purge_sessions", event)


# --- idle and absolute limits ---------------------------------------------------------------


def test_an_idle_session_ends_after_30_minutes(api, make_user, fake_clock):
    # Given a signed-in customer who does nothing
    token = api.login(make_user("customer")["email"])

    # When 30 minutes and one second pass
    fake_clock.advance(30 * MINUTE + 1)

    # Then the next request is refused and the session is gone from the table
    assert_session_ended(api, token)
    assert raw_session_item(token) is None


def test_activity_keeps_a_session_alive_past_the_idle_limit(api, make_user, fake_clock):
    # Given a signed-in customer who makes a request every 29 minutes
    token = api.login(make_user("customer")["email"])
    for _ in range(4):
        fake_clock.advance(29 * MINUTE)
        assert me_status(api, token) == 200

    # When they then stay idle for 31 minutes
    fake_clock.advance(31 * MINUTE)

    # Then the session has ended
    assert_session_ended(api, token)


def test_an_active_session_still_ends_after_12_hours(api, make_user, fake_clock):
    # Given a customer who stays active all day
    token = api.login(make_user("customer")["email"])
    elapsed = 0
    while elapsed + 25 * MINUTE <= 12 * HOUR:
        fake_clock.advance(25 * MINUTE)
        elapsed += 25 * MINUTE
        assert me_status(api, token) == 200
    fake_clock.advance(12 * HOUR - elapsed)
    assert me_status(api, token) == 200

    # When the twelfth hour has passed
    fake_clock.advance(1)

    # Then the session ends although it was never idle
    assert_session_ended(api, token)


def test_activity_refreshes_the_session_at_most_once_a_minute(api, make_user, fake_clock):
    # Given a signed-in customer
    token = api.login(make_user("customer")["email"])

    with session_writes() as writes:
        # When they make a request every ten seconds for the first minute
        for _ in range(5):
            fake_clock.advance(10)
            assert me_status(api, token) == 200
        # Then nothing is written to the sessions table
        assert len(writes) == 0

        # When more than a minute has passed since sign-in, one request refreshes the idle clock
        fake_clock.advance(15)
        assert me_status(api, token) == 200
        assert len(writes) == 1

        # And a burst right after it writes nothing more
        for _ in range(5):
            fake_clock.advance(5)
            assert me_status(api, token) == 200
        assert len(writes) == 1

        # And a minute later the next request writes once more
        fake_clock.advance(MINUTE)
        assert me_status(api, token) == 200
        assert len(writes) == 2


def test_a_shorter_idle_timeout_set_by_the_admin_applies_to_open_sessions(
    api, make_user, fake_clock
):
    # Given a customer signed in under the default 30-minute idle timeout
    admin_token = api.login(make_user("admin")["email"])
    customer_token = api.login(make_user("customer")["email"])

    # When the admin sets it to 5 minutes and the customer is idle for 6
    assert change_settings(api, admin_token, idle_timeout_minutes=5)["idle_timeout_minutes"] == 5
    fake_clock.advance(6 * MINUTE)

    # Then the customer's session has ended
    assert_session_ended(api, customer_token)


def test_a_longer_idle_timeout_set_by_the_admin_keeps_sessions_open(api, make_user, fake_clock):
    # Given the admin raised the idle timeout to 60 minutes
    admin_token = api.login(make_user("admin")["email"])
    change_settings(api, admin_token, idle_timeout_minutes=60)
    customer_token = api.login(make_user("customer")["email"])

    # When the customer is idle for 45 minutes
    fake_clock.advance(45 * MINUTE)

    # Then the session is still open
    assert me_status(api, customer_token) == 200


def test_a_shorter_absolute_lifetime_set_by_the_admin_applies(api, make_user, fake_clock):
    # Given the admin limited sessions to one hour
    admin_token = api.login(make_user("admin")["email"])
    change_settings(api, admin_token, absolute_lifetime_hours=1)

    # When a customer stays active for an hour and a minute
    status, body, headers = api.call(
        "POST", "/api/auth/login", {"email": make_user("customer")["email"], "password": PASSWORD}
    )
    assert status == 200, body
    token = body["token"]
    # (the cookie and the answer tell the browser the same lifetime)
    assert body["expires_in"] == HOUR
    assert "Max-Age=3600" in cookie_attributes(cookies_set(headers)["parley_session"])
    for _ in range(3):
        fake_clock.advance(20 * MINUTE)
        assert me_status(api, token) == 200
    fake_clock.advance(MINUTE)

    # Then the session has ended
    assert_session_ended(api, token)


# --- ending sessions on the server ----------------------------------------------------------


def test_logout_ends_only_this_session_on_the_server(api, make_user, fake_clock):
    # Given a customer signed in on two devices
    email = make_user("customer")["email"]
    laptop, phone = api.login(email), api.login(email)
    assert laptop != phone

    # When they sign out on the laptop
    status, body, headers = api.call("POST", "/api/auth/logout", token=laptop)

    # Then the laptop's token no longer works and its cookie is cleared
    assert status == 200, body
    assert_session_ended(api, laptop)
    assert raw_session_item(laptop) is None
    cleared = cookies_set(headers)["parley_session"]
    assert cleared.startswith("parley_session=;") and "Max-Age=0" in cookie_attributes(cleared)
    # And the phone stays signed in
    assert me_status(api, phone) == 200


def test_password_change_ends_every_other_session_and_keeps_this_one(api, make_user, fake_clock):
    # Given a customer signed in on two devices
    email = make_user("customer")["email"]
    laptop, phone = api.login(email), api.login(email)

    # When they change their password on the laptop
    status, body, _ = api.call(
        "POST",
        "/api/auth/password",
        {"current_password": PASSWORD, "new_password": STRONG_PASSWORD},
        token=laptop,
    )

    # Then the laptop stays signed in, the phone is signed out
    assert status == 200, body
    assert me_status(api, laptop) == 200
    assert_session_ended(api, phone)
    # And only the new password opens the account
    assert api.call("POST", "/api/auth/login", {"email": email, "password": PASSWORD})[0] == 401
    assert me_status(api, api.login(email, STRONG_PASSWORD)) == 200


def test_a_wrong_current_password_changes_nothing(api, make_user, fake_clock):
    # Given a customer signed in on two devices
    email = make_user("customer")["email"]
    laptop, phone = api.login(email), api.login(email)

    # When the password change gives a wrong current password
    status, body, _ = api.call(
        "POST",
        "/api/auth/password",
        {"current_password": "not my password", "new_password": OTHER_STRONG_PASSWORD},
        token=laptop,
    )

    # Then it is refused, both sessions remain, and the old password still works
    assert status == 400 and body["error"]["code"] == "wrong_password"
    assert me_status(api, laptop) == 200 and me_status(api, phone) == 200
    assert me_status(api, api.login(email)) == 200


def test_disabling_a_user_ends_their_sessions_at_once(api, make_user, fake_clock):
    # Given a customer signed in on two devices
    admin_token = api.login(make_user("admin")["email"])
    customer = make_user("customer")
    sessions = [api.login(customer["email"]), api.login(customer["email"])]

    # When the admin disables the account
    status, body, _ = api.call(
        "PATCH", f"/api/admin/users/{customer['id']}", {"status": "disabled"}, token=admin_token
    )

    # Then both sessions end with the very next request
    assert status == 200 and body["user"]["status"] == "disabled"
    for token in sessions:
        assert_session_ended(api, token)
    # And the right password no longer signs in
    status, body, _ = api.call(
        "POST", "/api/auth/login", {"email": customer["email"], "password": PASSWORD}
    )
    assert status == 403 and body["error"]["code"] == "account_disabled"

    # Until the admin enables the account again
    api.call("PATCH", f"/api/admin/users/{customer['id']}", {"status": "active"}, token=admin_token)
    assert me_status(api, api.login(customer["email"])) == 200


def test_an_admin_cannot_disable_their_own_account(api, make_user, fake_clock):
    admin = make_user("admin")
    token = api.login(admin["email"])

    status, body, _ = api.call(
        "PATCH", f"/api/admin/users/{admin['id']}", {"status": "disabled"}, token=token
    )

    assert status == 409, body
    assert me_status(api, token) == 200


# --- the cleanup job ------------------------------------------------------------------------


def test_the_cleanup_job_deletes_expired_sessions_that_ttl_left_behind(api, make_user, fake_clock):
    # Given one session past its 12-hour lifetime (and past its TTL), one idle for 31 minutes,
    # and one in use
    old = api.login(make_user("customer")["email"])
    fake_clock.advance(13 * HOUR)
    idle = api.login(make_user("customer")["email"])
    fake_clock.advance(31 * MINUTE)
    fresh = api.login(make_user("customer")["email"])
    ttl = int(raw_session_item(old)["expires_at"]["N"])
    assert ttl < fake_clock.now
    # DynamoDB's TTL is only a backstop (moto never applies it): the items are still there
    assert raw_session_item(old) is not None and raw_session_item(idle) is not None

    # When the scheduled cleanup runs
    result = run_cleanup(api)

    # Then the expired sessions are deleted and the one in use is kept
    assert result.payload == {"purged": 2}
    assert raw_session_item(old) is None and raw_session_item(idle) is None
    assert raw_session_item(fresh) is not None
    assert me_status(api, fresh) == 200


def test_the_cleanup_job_applies_the_admins_idle_timeout(api, make_user, fake_clock):
    # Given the admin set a 5-minute idle timeout and a customer has been idle for 6
    admin_token = api.login(make_user("admin")["email"])
    change_settings(api, admin_token, idle_timeout_minutes=5)
    idle = api.login(make_user("customer")["email"])
    fake_clock.advance(3 * MINUTE)
    assert me_status(api, admin_token) == 200  # the admin stays active
    fake_clock.advance(3 * MINUTE)

    # When the cleanup runs
    result = run_cleanup(api)

    # Then the idle session is gone and the active one is kept
    assert result.payload == {"purged": 1}
    assert raw_session_item(idle) is None
    assert raw_session_item(admin_token) is not None


# --- tokens, cookies and CSRF ---------------------------------------------------------------


def test_sessions_are_random_and_stored_only_as_hashes(api, make_user, fake_clock):
    # Given a customer who signed in twice
    email = make_user("customer")["email"]
    first, second = api.login(email), api.login(email)

    # Then each sign-in made a new token of at least 128 bits
    assert first != second
    assert min(len(first), len(second)) >= 22  # 22 URL-safe base64 characters = 132 bits
    # And the sessions table holds neither token in any attribute
    from chalicelib.data.sessions import SessionModel

    stored = repr(table_items(SessionModel))
    assert first not in stored and second not in stored
    assert raw_session_item(first) is not None  # found by its hash


def test_login_sets_an_httponly_samesite_cookie_without_secure_on_plain_http(
    api, make_user, fake_clock
):
    # When a customer signs in on the plain-http test stage
    email = make_user("customer")["email"]
    status, body, headers = api.call(
        "POST", "/api/auth/login", {"email": email, "password": PASSWORD}
    )

    # Then the session cookie carries the token, is HttpOnly and SameSite=Lax, and not Secure
    assert status == 200
    session_cookie = cookies_set(headers)["parley_session"]
    assert session_cookie.startswith(f"parley_session={body['token']};")
    attributes = cookie_attributes(session_cookie)
    assert "HttpOnly" in attributes and "SameSite=Lax" in attributes and "Path=/" in attributes
    assert "Secure" not in attributes
    # And the device cookie is HttpOnly and only sent to the sign-in route
    device_attributes = cookie_attributes(cookies_set(headers)["parley_device"])
    assert "HttpOnly" in device_attributes and "Path=/api/auth/login" in device_attributes


def test_cookies_are_secure_when_the_portal_is_served_over_https(api, make_user, fake_clock):
    email = make_user("customer")["email"]
    with environment(PARLEY_PUBLIC_URL="https://portal.example.test"):
        _, _, headers = api.call("POST", "/api/auth/login", {"email": email, "password": PASSWORD})

    for cookie in cookies_set(headers).values():
        assert "Secure" in cookie_attributes(cookie)


def test_a_cookie_authenticated_write_needs_the_sessions_csrf_token(api, make_user, fake_clock):
    # Given a browser signed in with the session cookie, and another user's browser
    browser = sign_in(api, make_user("customer")["email"])
    other = sign_in(api, make_user("customer")["email"])
    assert browser.call("GET", "/api/me")[0] == 200

    # When a write carries the cookie with a wrong CSRF token, or another session's
    for csrf in ("forged-csrf-token", other.csrf_token):
        status, body, _ = browser.call("POST", "/api/auth/logout", csrf=csrf)
        # Then it is refused and the session is untouched
        assert status == 403, body
        assert body["error"]["code"] == "csrf_failed"
    assert browser.call("GET", "/api/me")[0] == 200

    # And with the cookie alone (no Authorization header at all) the gateway refuses it
    status, _, _ = api.call(
        "POST", "/api/auth/logout", headers={"Cookie": f"parley_session={browser.token}"}
    )
    assert status == 401
    assert browser.call("GET", "/api/me")[0] == 200

    # While the right CSRF token signs the browser out
    assert browser.call("POST", "/api/auth/logout")[0] == 200
    assert browser.call("GET", "/api/me")[0] == 401

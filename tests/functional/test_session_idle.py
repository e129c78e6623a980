"""The idle timeout on an open tab: the page's background polls are authenticated but never move
the idle clock (the route says so, not the client), a person's requests and the explicit
keep-alive do, the page learns when its session ends, and a refusal says why it ended."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import PASSWORD
from tests.functional.auth_support import (
    STRONG_PASSWORD,
    Browser,
    raw_session_item,
    session_writes,
    sign_in,
)

pytestmark = pytest.mark.functional

MINUTE = 60
HOUR = 3600
# What a page left open asks every 30 s, and what it asks while a ticket is open.
POLLS = ("/api/notifications/unread-count", "/api/portal/folders", "/api/auth/session")


@pytest.fixture
def admin(api: Any, make_user: Any) -> str:
    return str(api.login(make_user("admin")["email"]))


@pytest.fixture
def five_minute_idle(api: Any, admin: str) -> None:
    status, body, _ = api.call(
        "PATCH", "/api/admin/settings", {"idle_timeout_minutes": 5}, token=admin
    )
    assert status == 200, body


@pytest.fixture
def customer(api: Any, make_org: Any, make_user: Any) -> dict[str, Any]:
    return dict(make_user("customer", org_id=make_org()["id"]))


def open_ticket(browser: Browser) -> str:
    status, body, _ = browser.call(
        "POST", "/api/portal/tickets", {"topic": "technical", "subject": "VPN", "body": "Down."}
    )
    assert status == 201, body
    return str(body["ticket"]["id"])


def poll_everything(browser: Browser, ticket_id: str) -> None:
    for path in (*POLLS, f"/api/portal/tickets/{ticket_id}/messages?after=1"):
        status, body, _ = browser.call("GET", path)
        assert status == 200, (path, body)


def assert_ended(browser: Browser, reason: str, path: str = "/api/notifications/unread-count"):
    status, body, _ = browser.call("GET", path)
    assert status == 401, body
    # The code API clients know, and the reason the page words
    assert body["error"]["code"] == "session_expired"
    assert body["error"]["details"] == {"reason": reason}


# --- what moves the idle clock --------------------------------------------------------------


def test_background_polls_do_not_keep_an_untouched_tab_signed_in(
    api, customer, five_minute_idle, fake_clock
):
    # Given a customer with a ticket open under a 5-minute idle timeout
    browser = sign_in(api, customer["email"])
    ticket_id = open_ticket(browser)

    # When the tab polls every 30 s for 4 min 30 s and nobody touches it
    with session_writes() as writes:
        for _ in range(9):
            fake_clock.advance(30)
            poll_everything(browser, ticket_id)
        # Then the polls wrote nothing to the session
        assert writes == []

    # And 31 s later (5 min 1 s after the last thing the person did) the next poll is refused
    fake_clock.advance(31)
    assert_ended(browser, "idle")
    assert raw_session_item(browser.token) is None


def test_a_poll_cannot_pass_for_a_person_whatever_it_sends(
    api, customer, five_minute_idle, fake_clock
):
    # Given a signed-in customer
    browser = sign_in(api, customer["email"])

    # When only polls arrive for 5 minutes, whatever headers they carry
    for _ in range(10):
        fake_clock.advance(30)
        status, _, _ = api.call(
            "GET",
            "/api/notifications/unread-count",
            headers={
                "Cookie": f"parley_session={browser.token}",
                "Authorization": f"CSRF {browser.csrf_token}",
                "X-Requested-With": "XMLHttpRequest",
                "X-Parley-Activity": "user",
            },
        )
        assert status == 200
    fake_clock.advance(1)

    # Then the session has ended as idle
    assert_ended(browser, "idle")


def test_a_persons_requests_keep_the_session_alive(api, customer, five_minute_idle, fake_clock):
    # Given a signed-in customer whose tab also polls
    browser = sign_in(api, customer["email"])
    ticket_id = open_ticket(browser)

    # When they open their ticket list every 4 minutes for 20 minutes, the tab polling between
    for _ in range(5):
        fake_clock.advance(2 * MINUTE)
        poll_everything(browser, ticket_id)
        fake_clock.advance(2 * MINUTE)
        assert browser.call("GET", "/api/portal/tickets")[0] == 200

    # Then they are still signed in, and the page is told the idle timeout starts again
    status, body, headers = browser.call("GET", "/api/portal/tickets")
    assert status == 200, body
    assert headers["X-Session-Ends-In"] == str(5 * MINUTE)


def test_only_the_after_poll_of_a_thread_is_background(
    api, customer, five_minute_idle, fake_clock
):
    # Given a customer reading a ticket: `?after=` is the page's poll, other reads are a person's
    browser = sign_in(api, customer["email"])
    ticket_id = open_ticket(browser)
    fake_clock.advance(4 * MINUTE)

    # When they read the thread's messages
    status, body, _ = browser.call("GET", f"/api/portal/tickets/{ticket_id}/messages")
    assert status == 200, body
    fake_clock.advance(4 * MINUTE)

    # Then the session lasts five minutes from that read
    assert browser.call("GET", "/api/auth/session")[0] == 200


def test_what_a_live_update_reads_again_does_not_keep_the_session_alive(
    api, customer, five_minute_idle, fake_clock
):
    # Given a customer's open ticket, left alone for four minutes
    browser = sign_in(api, customer["email"])
    ticket_id = open_ticket(browser)
    fake_clock.advance(4 * MINUTE)

    # When a live update makes the page read the ticket and its documents again
    ticket = f"/api/portal/tickets/{ticket_id}"
    for path in (ticket, f"{ticket}/attachments"):
        status, body, _ = browser.call("GET", f"{path}?refresh=1")
        assert status == 200, body
    fake_clock.advance(2 * MINUTE)

    # Then the session still ended five minutes after the person's last request
    status, body, _ = browser.call("GET", "/api/auth/session")
    assert (status, body["error"]["details"]["reason"]) == (401, "idle")


def test_api_clients_polling_with_a_bearer_token_keep_working(
    api, customer, five_minute_idle, fake_clock
):
    # Given an API client
    token = api.login(customer["email"])

    # When it polls the unread count within the idle timeout
    fake_clock.advance(4 * MINUTE)
    status, body, _ = api.call("GET", "/api/notifications/unread-count", token=token)

    # Then it gets its answer (the poll is authenticated, it only does not count as activity)
    assert status == 200 and "unread" in body


# --- what the page is told, and "Stay signed in" --------------------------------------------


def test_the_session_answer_says_when_it_ends_without_extending_it(
    api, customer, five_minute_idle, fake_clock
):
    # Given a customer who signed in 3 minutes ago
    signed_in_at = fake_clock.now
    browser = sign_in(api, customer["email"])
    fake_clock.advance(3 * MINUTE)

    # When the page asks when the session ends
    status, body, headers = browser.call("GET", "/api/auth/session")

    # Then it learns both limits and the server's clock
    assert status == 200, body
    assert body["idle_expires_at"] == signed_in_at + 5 * MINUTE
    assert body["expires_at"] == signed_in_at + 12 * HOUR
    assert body["now"] == fake_clock.now
    assert body["idle_timeout_seconds"] == 5 * MINUTE
    assert headers["X-Session-Ends-In"] == str(2 * MINUTE)
    # And asking did not extend it
    fake_clock.advance(2 * MINUTE + 1)
    assert_ended(browser, "idle", "/api/auth/session")


def test_stay_signed_in_restarts_the_idle_timeout(api, customer, five_minute_idle, fake_clock):
    # Given a customer idle for 4 min 30 s: the page is warning them
    browser = sign_in(api, customer["email"])
    fake_clock.advance(4 * MINUTE + 30)

    # When they choose "Stay signed in"
    status, body, _ = browser.call("POST", "/api/auth/session/refresh")

    # Then the idle timeout starts again from now
    assert status == 200, body
    assert body["idle_expires_at"] == fake_clock.now + 5 * MINUTE
    fake_clock.advance(4 * MINUTE + 30)
    assert browser.call("GET", "/api/auth/session")[0] == 200
    fake_clock.advance(31)
    assert_ended(browser, "idle")


def test_stay_signed_in_works_even_right_after_a_click(api, customer, admin, fake_clock):
    # Given a customer whose last click was within the once-a-minute refresh window
    browser = sign_in(api, customer["email"])
    fake_clock.advance(30)
    assert browser.call("GET", "/api/portal/tickets")[0] == 200

    # When they choose "Stay signed in" 10 s later
    fake_clock.advance(10)
    status, body, _ = browser.call("POST", "/api/auth/session/refresh")

    # Then the deadline is counted from now, not from the sign-in
    assert status == 200, body
    assert body["idle_expires_at"] == fake_clock.now + 30 * MINUTE


def test_stay_signed_in_needs_the_csrf_token(api, customer, fake_clock):
    # Given a browser signed in with the cookie
    browser = sign_in(api, customer["email"])

    # When a cross-site page tries the keep-alive with a wrong CSRF token
    status, body, _ = browser.call("POST", "/api/auth/session/refresh", csrf="forged")

    # Then it is refused
    assert status == 403 and body["error"]["code"] == "csrf_failed"


# --- why a session ended --------------------------------------------------------------------


def test_a_session_past_its_absolute_lifetime_says_so(api, customer, fake_clock):
    browser = sign_in(api, customer["email"])
    for _ in range(24):
        fake_clock.advance(29 * MINUTE)
        assert browser.call("GET", "/api/portal/tickets")[0] == 200
    fake_clock.advance(25 * MINUTE)  # 12 h 1 min after signing in, never idle

    assert_ended(browser, "expired")


def test_a_session_ended_by_a_password_change_elsewhere_says_so(api, customer, fake_clock):
    # Given a customer signed in on a laptop and a phone
    laptop, phone = sign_in(api, customer["email"]), sign_in(api, customer["email"])

    # When they change the password on the laptop
    status, body, _ = laptop.call(
        "POST",
        "/api/auth/password",
        {"current_password": PASSWORD, "new_password": STRONG_PASSWORD},
    )
    assert status == 200, body

    # Then the phone's page is told why it was signed out
    assert_ended(phone, "password_changed")


def test_a_session_of_a_disabled_account_says_so(api, customer, admin, fake_clock):
    browser = sign_in(api, customer["email"])

    status, body, _ = api.call(
        "PATCH", f"/api/admin/users/{customer['id']}", {"status": "disabled"}, token=admin
    )
    assert status == 200, body

    assert_ended(browser, "account_disabled")


def test_a_session_revoked_by_an_admin_says_signed_out_elsewhere(
    api, customer, admin, fake_clock
):
    # Given a customer signed in
    browser = sign_in(api, customer["email"])

    # When an admin changes what the account may see (which ends its sessions)
    status, body, _ = api.call(
        "PATCH", f"/api/admin/users/{customer['id']}", {"org_view": True}, token=admin
    )
    assert status == 200, body

    # Then the page is told it was signed out elsewhere
    assert_ended(browser, "signed_out")

    # And the old token learns nothing of what becomes of the account afterwards
    status, body, _ = api.call(
        "PATCH", f"/api/admin/users/{customer['id']}", {"status": "disabled"}, token=admin
    )
    assert status == 200, body
    assert_ended(browser, "signed_out")


def test_signing_out_here_gives_no_reason_to_explain(api, customer, fake_clock):
    token = api.login(customer["email"])
    assert api.call("POST", "/api/auth/logout", token=token)[0] == 200

    status, body, _ = api.call("GET", "/api/me", token=token)

    assert status == 401
    assert body["error"]["code"] == "session_expired"
    assert body["error"]["details"] == {"reason": "ended"}


def test_the_cleanup_keeps_the_reason_for_a_tab_that_comes_back(
    api, customer, five_minute_idle, fake_clock
):
    # Given a tab left alone past the idle timeout, and the scheduled cleanup that ran meanwhile
    browser = sign_in(api, customer["email"])
    fake_clock.advance(6 * MINUTE)
    from chalicelib.services.sessions import ENDED_KEPT_SECONDS, purge_expired_sessions

    assert purge_expired_sessions() == 1
    assert raw_session_item(browser.token) is None

    # When the tab asks again, it is told it was idle
    assert_ended(browser, "idle")

    # And days later, once the cleanup removed the marker too, it is only told it ended
    fake_clock.advance(ENDED_KEPT_SECONDS + 1)
    purge_expired_sessions()
    assert_ended(browser, "ended")


def test_the_authorizer_function_alone_knows_which_routes_are_polls():
    # Deployed, the session authorizer is a Lambda function of its own: its handler string
    # points into chalicelib.api.authorizer, and no route module is ever imported there.
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    script = (
        "import json, sys\n"
        "from chalicelib.api.authorizer import refreshes_session as r\n"
        "print(json.dumps([r(('GET', '/api/portal/folders'), frozenset()),\n"
        "                  r(('GET', '/api/portal/tickets/{ticket_id}/messages'),"
        " frozenset({'after'})),\n"
        "                  r(('GET', '/api/portal/tickets/{ticket_id}/messages'), frozenset()),\n"
        "                  r(('GET', '/api/portal/tickets/{ticket_id}'), frozenset()),\n"
        "                  'chalicelib.api.portal' in sys.modules]))"
    )
    result = subprocess.run(  # noqa: S603 - our own interpreter and a fixed script
        [sys.executable, "-c", script], cwd=Path(__file__).resolve().parents[2],
        capture_output=True, text=True, env={**os.environ, "PARLEY_STAGE": "local"},
        timeout=60, check=False,
    )
    assert result.returncode == 0, result.stderr
    polls, after_poll, thread_page, ticket, routes_loaded = json.loads(
        result.stdout.strip().splitlines()[-1])
    assert (polls, after_poll, thread_page, ticket) == (False, False, True, True)
    assert routes_loaded is False

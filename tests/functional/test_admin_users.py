"""Administration of accounts: invitations, unique addresses, and the audit log of sign-ins,
failures, lockouts, password changes and admin changes."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD
from tests.functional.auth_support import (
    STRONG_PASSWORD,
    link_token,
    mails_to,
)

pytestmark = pytest.mark.functional

DAY = 86400


def create_user(api, token, **fields):
    return api.call("POST", "/api/admin/users", fields, token=token)


def test_an_invited_user_sets_their_password_through_the_mailed_link(
    api, make_user, sent_mail, fake_clock
):
    # Given an admin invited a new admin
    admin_token = api.login(make_user("admin")["email"])
    status, body, _ = create_user(
        api, admin_token, email="ines@example.test", name="Ines", role="admin", delivery="invite"
    )
    assert status == 201, body

    # When Ines follows the link in her invitation a few days later
    invite = mails_to(sent_mail, "ines@example.test")[0]
    assert "invited" in invite["subject"]
    fake_clock.advance(3 * DAY)
    token = link_token(invite)
    status, body, _ = api.call(
        "POST",
        "/api/auth/password-reset/confirm",
        {"token": token, "new_password": STRONG_PASSWORD},
    )
    assert status == 200, body

    # Then she signs in with the password she chose, with no further change asked
    status, body, _ = api.call(
        "POST", "/api/auth/login", {"email": "ines@example.test", "password": STRONG_PASSWORD}
    )
    assert status == 200 and body["user"]["must_change_password"] is False
    assert api.call("GET", "/api/admin/users", token=body["token"])[0] == 200
    # And the invitation cannot be used again
    status, body, _ = api.call(
        "POST",
        "/api/auth/password-reset/confirm",
        {"token": token, "new_password": "mossy harbour kettle drum"},
    )
    assert status == 400 and body["error"]["code"] == "invalid_token"


def test_an_address_belongs_to_one_account_whatever_its_case(api, make_user, sent_mail, fake_clock):
    # Given an agent created as Dana@Example.test
    admin_token = api.login(make_user("admin")["email"])
    status, body, _ = create_user(
        api, admin_token, email="Dana@Example.test", name="Dana", role="agent"
    )
    assert status == 201 and body["user"]["email"] == "dana@example.test"
    existing = make_user("agent", email="carl@example.test")["email"]

    # When the admin creates another account with the same addresses in another case
    for email in ("dana@EXAMPLE.test", " DANA@example.TEST ", existing.upper()):
        status, body, _ = create_user(api, admin_token, email=email, name="Twin", role="agent")

        # Then it is refused as taken, and nobody else was mailed
        assert status == 409, (email, body)
        assert body["error"]["code"] == "email_taken"
    assert len(sent_mail()) == 1


def test_the_audit_log_lists_sign_ins_failures_lockouts_password_and_admin_changes(
    api, make_org, make_user, fake_clock
):
    # Given, in November: the admin signs in, a customer signs in, then someone fails five
    # times on the customer's account (which locks it), and the customer changes password
    org = make_org()
    admin = make_user("admin")
    customer = make_user("customer", org_id=org["id"])
    api.login(admin["email"])
    fake_clock.advance(1)
    customer_token = api.login(customer["email"])
    for _ in range(5):
        fake_clock.advance(1)
        api.call("POST", "/api/auth/login", {"email": customer["email"], "password": "guess"})
    fake_clock.advance(1)
    status, _, _ = api.call(
        "POST",
        "/api/auth/password",
        {"current_password": PASSWORD, "new_password": STRONG_PASSWORD},
        token=customer_token,
    )
    assert status == 200
    # And in December the admin creates a user, disables the customer and changes a setting
    fake_clock.advance(20 * DAY)
    admin_token = api.login(admin["email"])
    fake_clock.advance(1)
    create_user(api, admin_token, email="new@example.test", name="New", role="agent")
    fake_clock.advance(1)
    api.call(
        "PATCH", f"/api/admin/users/{customer['id']}", {"status": "disabled"}, token=admin_token
    )
    fake_clock.advance(1)
    api.call("PATCH", "/api/admin/settings", {"portal_name": "Acme Help"}, token=admin_token)
    fake_clock.advance(1)

    # When the admin reads the log three entries at a time
    pages, cursor = [], None
    while True:
        query = "?limit=3" + (f"&cursor={cursor}" if cursor else "")
        status, body, _ = api.call("GET", f"/api/admin/audit{query}", token=admin_token)
        assert status == 200, body
        assert len(body["items"]) <= 3
        pages.append(body["items"])
        cursor = body["next_cursor"]
        if not cursor:
            break
        assert len(pages) < 20, "the cursor does not advance"
    entries = [entry for page in pages for entry in page]

    # Then the pages together are the whole log, newest first, across both months
    status, whole, _ = api.call("GET", "/api/admin/audit?limit=100", token=admin_token)
    assert entries == whole["items"]
    assert len(pages) >= 4
    times = [entry["at"] for entry in entries]
    assert times == sorted(times, reverse=True)
    assert entries[0]["at"].startswith("2026-12") and entries[-1]["at"].startswith("2026-11")

    # And each kind of event is there, in the order it happened
    def first(action, outcome="success", target=None):
        for position, entry in enumerate(entries):
            if (entry["action"], entry["outcome"]) == (action, outcome) and (
                target is None or entry["target"] == target
            ):
                return position
        raise AssertionError(f"{action} ({outcome}) missing from {entries}")

    order = [
        first("settings.update"),
        first("user.disable"),
        first("user.create"),
        first("auth.password_change"),
        first("auth.lockout", "failure"),
        first("auth.login", target=customer["id"]),
    ]
    assert order == sorted(order)
    oldest = entries[-1]  # the admin's sign-in in November
    assert (oldest["action"], oldest["outcome"], oldest["target"]) == (
        "auth.login",
        "success",
        admin["id"],
    )
    failures = [e for e in entries if e["action"] == "auth.login" and e["outcome"] == "failure"]
    assert len(failures) == 5
    assert {(e["actor_email"], e["source_ip"]) for e in failures} == {
        (customer["email"], "127.0.0.1")
    }
    disable = entries[first("user.disable")]
    assert disable["actor_id"] == admin["id"] and disable["target"] == customer["id"]


def test_a_made_up_audit_cursor_is_refused(api, make_user, fake_clock):
    token = api.login(make_user("admin")["email"])

    for cursor in ("garbage", "2026-11~bm90LXNpZ25lZA", "2026-13~"):
        status, body, _ = api.call("GET", f"/api/admin/audit?cursor={cursor}", token=token)
        assert status == 400, (cursor, body)
        assert body["error"]["code"] == "invalid_cursor"

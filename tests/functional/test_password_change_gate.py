"""A temporary password opens only the password change: every other route answers 403
`password_change_required` until the user has chosen their own."""

from __future__ import annotations

import pytest

import app  # noqa: F401 - importing the app registers every route in ROUTES
from chalicelib.api.routing import PUBLIC, ROUTES
from tests.functional.auth_support import (
    STRONG_PASSWORD,
    Callers,
    assert_error_body,
    concrete_path,
    mails_to,
    me_status,
    route_id,
    temporary_password,
)

pytestmark = pytest.mark.functional

ALLOWED_BEFORE_CHANGE = {
    ("POST", "/api/auth/password"),
    ("GET", "/api/me"),
    ("GET", "/api/auth/session"),
    ("POST", "/api/auth/session/refresh"),
    ("POST", "/api/auth/logout"),
}
PROTECTED = [spec for spec in ROUTES if spec.access is not PUBLIC]


def test_a_temporary_password_opens_only_the_password_change(
    api, make_org, make_user, subtests, fake_clock
):
    assert PROTECTED, "no protected route registered: is the app imported?"
    # Given users of every role, still on a temporary password
    callers = Callers(api, make_org, make_user, must_change_password=True)
    for spec in PROTECTED:
        with subtests.test(msg=route_id(spec)):
            # When one of a role the route admits calls it
            token = callers.token(sorted(spec.access)[0])
            status, body, _ = api.call(spec.method, concrete_path(spec.path), token=token)

            # Then only the password change, "who am I" and sign-out get past the gate
            if (spec.method, spec.path) in ALLOWED_BEFORE_CHANGE:
                assert status not in (401, 403), body
            else:
                assert status == 403, body
                assert_error_body(body, "password_change_required")
            callers.forget_ended_sessions()


def test_an_account_created_with_a_temporary_password_works_once_it_is_changed(
    api, make_user, sent_mail, fake_clock
):
    # Given an admin created another admin, who got a temporary password by mail
    admin_token = api.login(make_user("admin")["email"])
    status, body, _ = api.call(
        "POST",
        "/api/admin/users",
        {"email": "tess@example.test", "name": "Tess", "role": "admin", "delivery": "password"},
        token=admin_token,
    )
    assert status == 201 and body["user"]["must_change_password"] is True
    temporary = temporary_password(mails_to(sent_mail, "tess@example.test")[0])

    # When Tess signs in with it
    status, body, _ = api.call(
        "POST", "/api/auth/login", {"email": "tess@example.test", "password": temporary}
    )
    assert status == 200 and body["user"]["must_change_password"] is True
    token = body["token"]

    # Then she may see who she is, but nothing else yet
    status, me, _ = api.call("GET", "/api/me", token=token)
    assert status == 200 and me["user"]["must_change_password"] is True
    status, body, _ = api.call("GET", "/api/admin/settings", token=token)
    assert status == 403 and body["error"]["code"] == "password_change_required"
    # And she cannot keep the temporary password as her own
    status, body, _ = api.call(
        "POST",
        "/api/auth/password",
        {"current_password": temporary, "new_password": temporary},
        token=token,
    )
    assert status == 400 and body["error"]["code"] == "weak_password"

    # When she chooses her own password
    status, body, _ = api.call(
        "POST",
        "/api/auth/password",
        {"current_password": temporary, "new_password": STRONG_PASSWORD},
        token=token,
    )
    assert status == 200, body

    # Then the same session opens everything her role allows
    assert api.call("GET", "/api/admin/settings", token=token)[0] == 200
    assert api.call("GET", "/api/me", token=token)[1]["user"]["must_change_password"] is False
    # And so does a new sign-in with the new password, while the temporary one is dead
    fresh = api.login("tess@example.test", STRONG_PASSWORD)
    assert api.call("GET", "/api/admin/users", token=fresh)[0] == 200
    status, _, _ = api.call(
        "POST", "/api/auth/login", {"email": "tess@example.test", "password": temporary}
    )
    assert status == 401


def test_a_user_on_a_temporary_password_can_sign_out(api, make_user, fake_clock):
    token = api.login(make_user("agent", must_change_password=True)["email"])

    assert api.call("POST", "/api/auth/logout", token=token)[0] == 200
    assert me_status(api, token) == 401

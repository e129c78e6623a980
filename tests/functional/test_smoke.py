"""The first thing to break when the stack is wired wrong: health and a signed-in /api/me."""

import pytest

pytestmark = pytest.mark.functional


def test_health(api):
    status, body, _ = api.call("GET", "/api/health")
    assert status == 200 and body["status"] == "ok"


def test_login_me(api, make_org, make_user):
    org = make_org()
    user = make_user(org_id=org["id"])
    token = api.login(user["email"])
    status, body, _ = api.call("GET", "/api/me", token=token)
    assert status == 200, body
    assert body["user"]["email"] == user["email"]

"""The audit log filtered by who, action and date range, with sign-ins apart from changes
(issue 13, point 7); each filter a key-condition query of its own partition."""

from __future__ import annotations

from typing import Any

import pytest

from tests.functional.dynamodb_support import dynamodb_calls

pytestmark = pytest.mark.functional

DAY = 86400


@pytest.fixture
def log(api, make_org, make_user, fake_clock) -> dict[str, Any]:
    """In November (the 18th): the admin and an agent sign in, someone fails on the agent's
    account, the admin creates a user. In December (the 8th): the admin signs in again,
    changes a setting and creates another user."""
    admin, agent = make_user("admin"), make_user("agent", email="kim@parley.test")
    token = api.login(admin["email"])
    fake_clock.advance(60)
    api.login(agent["email"])
    fake_clock.advance(60)
    api.call("POST", "/api/auth/login", {"email": "KIM@parley.test", "password": "guess"})
    fake_clock.advance(60)
    org = make_org("Acme")
    api.call("POST", "/api/admin/users", {"email": "one@acme.test", "name": "One",
                                          "role": "customer", "org_id": org["id"]}, token=token)
    fake_clock.advance(20 * DAY)
    token = api.login(admin["email"])
    fake_clock.advance(60)
    api.call("PATCH", "/api/admin/settings", {"portal_name": "Acme Help"}, token=token)
    fake_clock.advance(60)
    api.call("POST", "/api/admin/users", {"email": "two@acme.test", "name": "Two",
                                          "role": "customer", "org_id": org["id"]}, token=token)
    return {"token": token, "admin": admin, "agent": agent}


def read(api, token: str, query: str) -> list[dict[str, Any]]:
    status, body, _ = api.call("GET", f"/api/admin/audit?limit=100&{query}", token=token)
    assert status == 200, (query, body)
    return list(body["items"])


def actions(items: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(e["action"], e["outcome"]) for e in items]


def test_sign_ins_and_changes_are_apart(api, log, fake_clock):
    changes = read(api, log["token"], "kind=change")
    sign_ins = read(api, log["token"], "kind=signin")

    assert actions(changes) == [
        ("user.create", "success"), ("settings.update", "success"), ("user.create", "success")]
    assert actions(sign_ins) == [
        ("auth.login", "success"), ("auth.login", "failure"), ("auth.login", "success"),
        ("auth.login", "success")]
    # And together they are the whole log, which is still there unfiltered
    assert len(read(api, log["token"], "")) == len(changes) + len(sign_ins)


def test_one_persons_sign_ins_include_the_attempts_on_their_address(api, log, fake_clock):
    items = read(api, log["token"], "kind=signin&actor=Kim%40Parley.test")

    assert actions(items) == [("auth.login", "failure"), ("auth.login", "success")]
    assert read(api, log["token"], "kind=change&actor=kim%40parley.test") == []


def test_by_action_and_by_action_of_one_person(api, log, fake_clock):
    admin = log["admin"]["email"]

    created = read(api, log["token"], "action=user.create")
    by_admin = read(api, log["token"], f"action=settings.update&actor={admin}")
    by_agent = read(api, log["token"], "action=settings.update&actor=kim%40parley.test")

    assert actions(created) == [("user.create", "success")] * 2
    assert [e["details"]["changed"] for e in by_admin] == [["portal_name"]]
    assert by_agent == []


def test_a_date_range(api, log, fake_clock):
    november = read(api, log["token"], "since=2026-11-01&until=2026-11-30")
    one_day = read(api, log["token"], "kind=change&since=2026-12-08&until=2026-12-08")
    nothing = read(api, log["token"], "since=2026-11-19&until=2026-12-07")

    assert [e["at"][:7] for e in november] == ["2026-11"] * 4
    assert actions(one_day) == [("user.create", "success"), ("settings.update", "success")]
    assert nothing == []


def test_filters_page_with_a_cursor(api, log, fake_clock):
    first = api.call("GET", "/api/admin/audit?kind=signin&limit=3", token=log["token"])[1]
    second = api.call("GET", f"/api/admin/audit?kind=signin&limit=3&cursor={first['next_cursor']}",
                      token=log["token"])[1]

    assert len(first["items"]) == 3 and first["next_cursor"]
    assert actions(second["items"]) == [("auth.login", "success")]
    # A cursor of one filter does not open another's list
    status, body, _ = api.call(
        "GET", f"/api/admin/audit?kind=change&limit=3&cursor={first['next_cursor']}",
        token=log["token"])
    assert status == 400 and body["error"]["code"] == "invalid_cursor"


@pytest.mark.parametrize("query", [
    "kind=change", "kind=signin", "action=user.create", "kind=signin&actor=kim%40parley.test",
    "action=user.create&actor=x%40parley.test", "kind=change&since=2026-12-01&until=2026-12-31",
])
def test_each_filter_is_a_query_of_its_own_partition(api, log, query, fake_clock):
    with dynamodb_calls() as calls:
        status, _, _ = api.call("GET", f"/api/admin/audit?{query}", token=log["token"])

    assert status == 200
    assert "Scan" not in calls
    # The session, a person's account found by address (two reads), and one query per month
    # read back (at most twelve): no filter reads pages it then throws away.
    assert calls["Query"] <= 12 and sum(calls.values()) <= 1 + 2 + 12, calls


@pytest.mark.parametrize(("query", "code"), [
    ("kind=signin&action=user.create", "kind_mismatch"),
    ("actor=kim%40parley.test", "kind_required"),
    ("since=2026-12-02&until=2026-12-01", "invalid_range"),
    ("action=User%20Create", "invalid_input"),
    ("since=yesterday", "invalid_input"),
])
def test_filters_that_mean_nothing_are_refused(api, log, query, code, fake_clock):
    status, body, _ = api.call("GET", f"/api/admin/audit?{query}", token=log["token"])

    assert status == 400 and body["error"]["code"] == code, body

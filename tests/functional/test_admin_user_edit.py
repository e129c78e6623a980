"""Admins edit existing users (issue 13, point 6): name, language, role, organization and its
view, teams picked from the team list; where rights shrink the user's sessions end; and no two
organizations share a name."""

from __future__ import annotations

import pytest

from chalicelib.services.teams import create_team

pytestmark = pytest.mark.functional


@pytest.fixture
def admin_token(api, make_user) -> str:
    return api.login(make_user("admin")["email"])


@pytest.fixture
def teams(aws) -> None:
    create_team(None, "support", "Support", None)
    create_team(None, "billing", "Billing", None)


def edit(api, token: str, user_id: str, changes: dict) -> tuple[int, dict]:
    status, body, _ = api.call("PATCH", f"/api/admin/users/{user_id}", changes, token=token)
    return status, body


def signed_in(api, token: str) -> bool:
    return api.call("GET", "/api/me", token=token)[0] == 200


def test_an_agent_is_renamed_moved_between_teams_and_made_admin(
    api, admin_token, make_user, teams, fake_clock
):
    # Given an agent of the support team
    agent = make_user("agent", team_ids=["support"], name="Sam")

    # When the admin renames them, changes their language, adds the billing team and makes
    # them an admin
    status, body = edit(api, admin_token, agent["id"], {
        "name": "Samuel", "language": "pl", "team_ids": ["support", "billing"], "role": "admin",
    })

    # Then the user reads so
    assert status == 200, body
    user = body["user"]
    assert (user["name"], user["language"], user["role"]) == ("Samuel", "pl", "admin")
    assert user["team_ids"] == ["billing", "support"]
    assert api.call("GET", f"/api/admin/users/{agent['id']}", token=admin_token)[1]["user"] == user


def test_a_team_must_be_one_of_the_teams(api, admin_token, make_user, teams, fake_clock):
    # Given an agent of the support team
    agent = make_user("agent", team_ids=["support"])

    # When the admin gives them a team that does not exist, by editing or creating
    status, body = edit(api, admin_token, agent["id"], {"team_ids": ["support", "nope-team"]})
    created = api.call("POST", "/api/admin/users", {
        "email": "new@parley.test", "name": "New", "role": "agent", "team_ids": ["nope-team"],
    }, token=admin_token)

    # Then both are refused, naming the team, and nothing changed
    assert status == 400 and body["error"]["code"] == "unknown_team", body
    assert "nope-team" in body["error"]["message"]
    assert created[0] == 400 and created[1]["error"]["code"] == "unknown_team"
    user = api.call("GET", f"/api/admin/users/{agent['id']}", token=admin_token)[1]["user"]
    assert user["team_ids"] == ["support"]


def test_a_customer_moves_to_another_organization_and_loses_the_view(
    api, admin_token, make_org, make_user, fake_clock
):
    # Given a customer of Acme with the organization view, signed in
    acme, globex = make_org("Acme"), make_org("Globex")
    customer = make_user("customer", org_id=acme["id"], org_view=True)
    token = api.login(customer["email"])

    # When the admin only renames them, the session goes on
    assert edit(api, admin_token, customer["id"], {"name": "Alice M."})[0] == 200
    assert signed_in(api, token)

    # And when the admin moves them to Globex and removes the view, the session ends
    status, body = edit(api, admin_token, customer["id"], {"org_id": globex["id"],
                                                           "org_view": False})
    assert status == 200, body
    assert (body["user"]["org_id"], body["user"]["org_view"]) == (globex["id"], False)
    assert not signed_in(api, token)

    # And an organization that does not exist is refused
    status, body = edit(api, admin_token, customer["id"], {"org_id": "no-such-org"})
    assert status == 400 and body["error"]["code"] == "unknown_org"


@pytest.mark.parametrize("change", [
    {"role": "agent"},  # an admin lowered
    {"team_ids": []},  # a team taken away
    {"status": "disabled"},
])
def test_sessions_end_where_rights_shrink(
    api, admin_token, make_user, teams, change, fake_clock
):
    # Given another admin of the support team, signed in
    other = make_user("admin", team_ids=["support"])
    token = api.login(other["email"])

    # When their rights shrink
    status, body = edit(api, admin_token, other["id"], change)

    # Then their session has ended, and the audit log says so with what changed
    assert status == 200, body
    assert not signed_in(api, token)
    _, log, _ = api.call("GET", "/api/admin/audit?kind=change&limit=5", token=admin_token)
    entry = next(e for e in log["items"] if e["target"] == other["id"])
    assert entry["details"]["sessions_ended"] == 1
    assert entry["details"]["changes"], entry


def test_a_team_added_keeps_the_session(api, admin_token, make_user, teams, fake_clock):
    agent = make_user("agent", team_ids=["support"])
    token = api.login(agent["email"])

    assert edit(api, admin_token, agent["id"], {"team_ids": ["support", "billing"]})[0] == 200

    assert signed_in(api, token)


def test_roles_take_and_leave_organizations_and_teams(
    api, admin_token, make_org, make_user, teams, fake_clock
):
    acme = make_org("Acme")
    agent = make_user("agent", team_ids=["support"])

    # A member of staff becomes a customer only with an organization, and leaves their teams
    status, body = edit(api, admin_token, agent["id"], {"role": "customer"})
    assert status == 400 and body["error"]["code"] == "unknown_org"
    status, body = edit(api, admin_token, agent["id"], {"role": "customer", "org_id": acme["id"]})
    assert status == 200, body
    assert (body["user"]["org_id"], body["user"]["team_ids"]) == (acme["id"], [])

    # And a customer made an agent leaves the organization and its view
    status, body = edit(api, admin_token, agent["id"], {"role": "agent", "team_ids": ["billing"]})
    assert status == 200, body
    user = body["user"]
    assert (user["org_id"], user["org_view"], user["team_ids"]) == (None, False, ["billing"])


def test_an_admin_cannot_change_their_own_role(api, make_user, fake_clock):
    admin = make_user("admin")
    token = api.login(admin["email"])

    status, body = edit(api, token, admin["id"], {"role": "agent"})

    assert status == 409 and body["error"]["code"] == "own_role"
    assert signed_in(api, token)


def test_two_organizations_cannot_share_a_name(api, admin_token, fake_clock):
    def create(name: str) -> tuple[int, dict]:
        status, body, _ = api.call("POST", "/api/admin/orgs", {"name": name}, token=admin_token)
        return status, body

    def rename(org_id: str, name: str) -> tuple[int, dict]:
        status, body, _ = api.call("PATCH", f"/api/admin/orgs/{org_id}", {"name": name},
                                   token=admin_token)
        return status, body

    # Given Acme and Globex
    status, acme = create("Acme")
    assert status == 201, acme
    globex = create("Globex")[1]["org"]

    # When another Acme is created, whatever its case and spacing, or Globex renamed to it
    for name in ("Acme", " acme ", "ACME"):
        status, body = create(name)
        assert status == 409 and body["error"]["code"] == "org_name_taken", (name, body)
    status, body = rename(globex["id"], "  aCmE ")

    # Then each is refused with the reason
    assert status == 409 and body["error"]["code"] == "org_name_taken"
    assert "already exists" in body["error"]["message"]

    # And a rename frees the old name and takes the new one
    status, body = rename(globex["id"], "Globex  Ltd")
    assert status == 200 and body["org"]["name"] == "Globex Ltd"
    assert create("Globex")[0] == 201
    assert create("globex ltd")[0] == 409
    # (a change of case alone is a rename of the same name)
    assert rename(globex["id"], "GLOBEX LTD")[0] == 200
    _, listed, _ = api.call("GET", "/api/admin/orgs?limit=100", token=admin_token)
    assert sorted(o["name"] for o in listed["items"]) == sorted(["Acme", "Globex", "GLOBEX LTD"])


@pytest.mark.parametrize("lookalike", ["Ac\u200bme", "\uff21cme", "Acme\u00ad", "Acme\u2060"])
def test_an_organization_name_that_only_looks_different_is_refused(api, make_user, lookalike):
    admin = api.login(make_user("admin")["email"])
    assert api.call("POST", "/api/admin/orgs", {"name": "Acme"}, token=admin)[0] == 201
    status, body, _ = api.call("POST", "/api/admin/orgs", {"name": lookalike}, token=admin)
    assert (status, body["error"]["code"]) == (409, "org_name_taken")


def test_two_renames_at_once_leave_no_claim_behind(api, make_user):
    from chalicelib.data import orgs as org_store
    from chalicelib.errors import Conflict

    admin = api.login(make_user("admin")["email"])
    status, created, _ = api.call("POST", "/api/admin/orgs", {"name": "Xname"}, token=admin)
    assert status == 201, created
    # Given two copies of the organization read before either rename
    first, second = (org_store.get_org(created["org"]["id"]) for _ in range(2))
    org_store.rename_org(first, "Yname")
    # When the second rename, from the name it read, lands after the first
    with pytest.raises(Conflict):
        org_store.rename_org(second, "Zname")
    # Then Yname is the organization's, and Zname is still free for anyone
    assert org_store.get_org(created["org"]["id"]).name == "Yname"
    status, _, _ = api.call("POST", "/api/admin/orgs", {"name": "Zname"}, token=admin)
    assert status == 201

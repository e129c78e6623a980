"""Teams as the admin keeps them: a name and the address that gets the support alerts of
tickets nobody is assigned to, every change audited."""

from __future__ import annotations

import pytest

from tests.functional.conversation_support import assert_error
from tests.functional.notification_support import Desk, Stream, mails_to, session_token

pytestmark = pytest.mark.functional


@pytest.fixture
def desk(api, make_org, make_user) -> Desk:
    desk = Desk(api, make_org, make_user)
    desk.tokens["admin"] = session_token(make_user("admin", name="Ada Admin"))
    return desk


def _admin(desk: Desk, method: str, path: str, body=None):
    return desk.api.call(method, path, body, token=desk.tokens["admin"])


def _alerts(address: str) -> list[str]:
    return [m["subject"] for m in mails_to(address) if "wrote a new message" in m["text"]]


def test_support_alerts_go_to_the_address_the_admin_gives_the_team(desk, aws):
    stream = Stream()
    assert _admin(desk, "PATCH", "/api/admin/settings",
                  {"support_address": "fallback@acme.test"})[0] == 200
    # Given the admin creates the team the default topics route to, with an address
    status, created, _ = _admin(desk, "POST", "/api/admin/teams", {
        "id": "support", "name": "Support", "email": "Desk@Acme-Support.test"})
    assert status == 201, created
    assert created["team"] == {"id": "support", "name": "Support",
                               "email": "desk@acme-support.test",
                               "topics": ["general", "billing", "technical"]}
    # When Alice writes on a ticket nobody is assigned to
    desk.open_ticket(subject="First")
    stream.pump()
    # Then the team's address is alerted, not the portal's fallback
    assert _alerts("desk@acme-support.test") == ["[#1001] First"]
    assert _alerts("fallback@acme.test") == []
    # When the admin renames the team and moves its address, the next alert follows
    status, updated, _ = _admin(desk, "PATCH", "/api/admin/teams/support",
                                {"name": "First line", "email": "night@acme-support.test"})
    assert status == 200, updated
    assert updated["team"]["name"] == "First line"
    desk.open_ticket(subject="Second")
    stream.pump()
    assert _alerts("night@acme-support.test") == ["[#1002] Second"]
    # and without an address the portal's support address gets them again
    status, updated, _ = _admin(desk, "PATCH", "/api/admin/teams/support", {"email": None})
    assert status == 200 and updated["team"]["email"] is None
    assert updated["team"]["name"] == "First line"
    desk.open_ticket(subject="Third")
    stream.pump()
    assert _alerts("fallback@acme.test") == ["[#1003] Third"]
    # The list shows the team as it is now, and the audit log who changed what
    _, listed, _ = _admin(desk, "GET", "/api/admin/teams")
    assert [(t["id"], t["name"], t["email"]) for t in listed["items"]] == [
        ("support", "First line", None)]
    _, audit, _ = _admin(desk, "GET", "/api/admin/audit?limit=100")
    team_entries = [(e["action"], e["target"]) for e in audit["items"]
                    if e["action"].startswith("team.")]
    assert team_entries == [("team.update", "support")] * 2 + [("team.create", "support")]


def test_team_changes_that_cannot_be_made_are_refused(desk, aws):
    assert _admin(desk, "POST", "/api/admin/teams", {"id": "support", "name": "Support"})[0] == 201
    assert_error(_admin(desk, "POST", "/api/admin/teams", {"id": "support", "name": "Again"}),
                 409)
    assert_error(_admin(desk, "PATCH", "/api/admin/teams/nobody", {"name": "Ghosts"}), 404,
                 "team_not_found")
    for bad in ({"id": "Has Spaces", "name": "X"}, {"id": "ok", "name": ""},
                {"id": "ok", "name": "X", "email": "not an address"},
                {"id": "ok", "name": "X", "email": "a@b.test\r\nBcc: evil@x.test"},
                {"id": "ok", "name": "X", "colour": "red"}):
        assert_error(_admin(desk, "POST", "/api/admin/teams", bad), 400)
    # Alerts sent to the portal's own sender address would come back to it as inbound mail
    assert_error(_admin(desk, "PATCH", "/api/admin/teams/support",
                        {"email": "support@parley.test"}), 400, "own_address")
    # Agents and customers may not change teams
    for who in ("agent", "customer"):
        assert_error(desk.api.call("PATCH", "/api/admin/teams/support", {"name": "Mine"},
                                   token=desk.tokens[who]), 403)


def test_the_console_names_each_team_as_the_admin_named_it(desk, aws):
    # Given the default topics route to "support", which has no record yet
    def names():
        status, config, _ = desk.api.call("GET", "/api/console/config", token=desk.tokens["agent"])
        assert status == 200, config
        return config["team_names"]

    # Then the console shows its id, until the admin creates the team with a name
    assert names() == {"support": "support"}
    assert _admin(desk, "POST", "/api/admin/teams",
                  {"id": "support", "name": "Customer Care", "email": None})[0] == 201
    assert names() == {"support": "Customer Care"}

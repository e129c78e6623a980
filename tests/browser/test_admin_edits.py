"""Admin edits lose nothing (issue 13, points 6 and 7), in the browser: an existing user's teams
and role edited from the users page, teams only from the list, a duplicate organization name
refused with the reason, and the audit log filtered by kind, action, person and date."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.support import screenshot, sign_in

pytestmark = pytest.mark.browser


def test_admin_edits_a_users_teams_and_role_from_the_list(stack, open_page):
    admin_token = stack.token("admin@parley.test")
    suffix = uuid.uuid4().hex[:6]
    # Given an agent of the support team, signed in, and a billing team
    name = f"Tess Teams {suffix}"
    email, _ = stack.new_user(name, role="agent")
    agent_token = stack.tokens[email]
    team = stack.call("POST", "/api/admin/teams", {"id": f"billing-{suffix}",
                                                   "name": f"Billing {suffix}"},
                      token=admin_token)["team"]

    # When the admin opens the user's edit form from the list
    page = open_page().page
    sign_in(page, "admin@parley.test")
    page.goto("/admin/users")
    page.get_by_placeholder("Search by name").fill(name)
    expect(page.locator("tbody tr")).to_have_count(1)  # the search has answered
    row = page.locator("tr", has_text=email)
    row.get_by_role("button", name=f"Edit {name}").click()
    form = page.get_by_role("form", name=f"Edit {name}")
    teams = form.get_by_role("group", name="Teams")

    # Then teams can only be picked from the list: checkboxes, no box to type one in
    expect(teams.get_by_role("checkbox", name="Support")).to_be_checked()
    expect(teams.get_by_role("checkbox", name=team["name"])).not_to_be_checked()
    expect(teams.locator("input:not([type=checkbox])")).to_have_count(0)

    # When they add the billing team and make the agent an admin
    teams.get_by_role("checkbox", name=team["name"]).check()
    form.get_by_label("Role").select_option(label="Admin")
    screenshot(page, "admin-user-edit")
    form.get_by_role("button", name="Save").click()

    # Then the row says so, and the server agrees
    expect(page.get_by_text(f"{name} was saved.")).to_be_visible()
    row = page.locator("tr", has_text=email)
    expect(row).to_contain_text("Admin")
    expect(row).to_contain_text(team["name"])
    user_id = row.get_attribute("data-user-id")
    user = stack.call("GET", f"/api/admin/users/{user_id}", token=admin_token)["user"]
    assert (user["role"], user["team_ids"]) == ("admin", sorted(["support", team["id"]]))

    # And a team typed by hand is refused by the API too
    with pytest.raises(AssertionError, match=r"400.*unknown_team"):
        stack.call("PATCH", f"/api/admin/users/{user_id}", {"team_ids": ["nope-team"]},
                   token=admin_token)

    # And the role change ended the user's session
    with pytest.raises(AssertionError, match="401"):
        stack.call("GET", "/api/me", token=agent_token)


def test_a_duplicate_organization_name_is_refused_with_the_reason(stack, open_page):
    name = f"Umbrella {uuid.uuid4().hex[:6]}"
    page = open_page().page
    sign_in(page, "admin@parley.test")
    page.goto("/admin/orgs")

    # Given an organization the admin created
    page.get_by_label("Organization name").fill(name)
    page.get_by_role("button", name="Create", exact=True).click()
    expect(page.locator(".org-list__item", has_text=name)).to_be_visible()

    # When they create another of the same name, in other case and spacing
    page.get_by_label("Organization name").fill(f"  {name.upper()} ")
    page.get_by_role("button", name="Create", exact=True).click()

    # Then it is refused, saying why
    expect(page.get_by_role("alert")).to_contain_text(
        "An organization with this name already exists")
    same = re.compile(name, re.IGNORECASE)
    expect(page.locator(".org-list__item", has_text=same)).to_have_count(1)

    # And renaming another organization to it is refused beside the field
    page.get_by_role("button", name="Rename Globex").click()
    page.get_by_label("New name for Globex").fill(name.lower())
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".org-list .field__error")).to_contain_text(
        "An organization with this name already exists")
    page.get_by_role("button", name="Cancel").click()
    expect(page.locator(".org-list__item", has_text="Globex")).to_be_visible()


def test_the_audit_log_filters_by_kind_action_person_and_date(stack, open_page):
    admin_token = stack.token("admin@parley.test")
    # Given a change (a new organization), a settings change, and an agent's sign-in
    org = f"Filtered {uuid.uuid4().hex[:6]}"
    stack.call("POST", "/api/admin/orgs", {"name": org}, token=admin_token)
    before = stack.call("GET", "/api/admin/settings", token=admin_token)["settings"]
    stack.call("PATCH", "/api/admin/settings", {"announcement": "Audit filters today"},
               token=admin_token)
    email, _ = stack.new_user("Ava Audit", role="agent")
    try:
        page = open_page().page
        sign_in(page, "admin@parley.test")

        # When the admin opens the audit log, changes show, apart from sign-ins
        page.goto("/admin/audit")
        rows = page.locator("tbody tr")
        expect(rows.filter(has_text=org).first).to_be_visible()
        expect(page.locator("tbody")).not_to_contain_text("Signed in")
        # (a settings change in words, before → after)
        expect(rows.filter(has_text="Settings changed").first).to_contain_text(
            re.compile(r"Announcement: .* → Audit filters today"))

        # And the sign-ins are a click away, and narrow to one person
        page.get_by_role("button", name="Sign-ins").click()
        expect(rows.filter(has_text="Signed in").first).to_be_visible()
        expect(page.locator("tbody")).not_to_contain_text("Organization created")
        page.get_by_label("Who").fill(email)
        page.get_by_label("Who").press("Enter")
        expect(rows.first).to_contain_text(email)
        expect(rows.filter(has_not_text=email)).to_have_count(0)

        # And changes narrow to one action, and to a date range
        page.get_by_role("button", name="Changes", exact=True).click()
        page.get_by_label("Who").fill("")
        page.get_by_label("Who").press("Enter")
        page.get_by_label("Action").select_option(label="Organization created")
        expect(rows.filter(has_text=org)).to_have_count(1)
        expect(rows.filter(has_not_text="Organization created")).to_have_count(0)
        tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
        page.get_by_label("From").fill(tomorrow)
        expect(page.get_by_text("Nothing recorded yet.")).to_be_visible()
        page.get_by_label("From").fill(datetime.now(UTC).date().isoformat())
        expect(rows.filter(has_text=org)).to_have_count(1)
        expect(page).to_have_url(re.compile(r"action=org\.create"))
        screenshot(page, "admin-audit-filtered")
    finally:
        stack.call("PATCH", "/api/admin/settings", {"announcement": before["announcement"]},
                   token=admin_token)

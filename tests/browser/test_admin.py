"""Administration in the browser: branding that every page shows (sign-in included), and
organizations and users created and disabled from the admin pages."""

from __future__ import annotations

import base64
import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.support import screenshot, sign_in, wait_for

pytestmark = pytest.mark.browser

LOGO_PNG = base64.b64decode(  # 1 x 1 pixel
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")


def test_branding_set_by_the_admin_appears_on_the_sign_in_page(stack, open_page):
    admin_token = stack.token("admin@parley.test")
    before = stack.call("GET", "/api/admin/settings", token=admin_token)["settings"]
    try:
        # Given an admin on the settings page
        page = open_page().page
        sign_in(page, "admin@parley.test")
        page.goto("/admin")
        expect(page.get_by_role("heading", name="Portal settings")).to_be_visible()
        # (the save bar, which covers fields, shows only once something changed)
        expect(page.get_by_role("button", name="Save changes")).to_be_hidden()

        # When they rename and recolour the portal, add a banner link, an announcement and a logo
        page.get_by_label("Portal name").fill("Acme Help Centre")
        page.locator("input.input--colour").first.fill("#7c3aed")
        page.get_by_role("button", name="Add a link").click()
        link = page.get_by_role("group", name="Banner links").locator(".rows__row").last
        link.get_by_label("Label").fill("Service status")
        link.get_by_label("Address (https, http or mailto)").fill("https://status.acme.test/")
        page.get_by_label("Announcement").fill("Planned maintenance on Sunday 06:00-08:00.")
        page.locator(".logo-row input[type=file]").set_input_files(files=[{
            "name": "logo.png", "mimeType": "image/png", "buffer": LOGO_PNG}])
        expect(page.get_by_role("img", name="Logo preview")).to_be_visible()
        screenshot(page, "admin-settings")
        page.get_by_role("button", name="Save changes").click()
        expect(page.get_by_text("The settings are saved.")).to_be_visible()
        expect(page.get_by_role("button", name="Save changes")).to_be_hidden()

        # Then a visitor who is not signed in sees them all on the sign-in page
        visitor = open_page().page
        visitor.goto("/login")
        expect(visitor.get_by_role("heading", name="Sign in to Acme Help Centre")).to_be_visible()
        expect(visitor.get_by_role("link", name="Service status")).to_have_attribute(
            "href", "https://status.acme.test/")
        expect(visitor.get_by_text("Planned maintenance on Sunday")).to_be_visible()
        logo = visitor.locator(".brand__logo")
        expect(logo).to_have_attribute("src", re.compile(r"^data:image/png;base64,"))
        assert visitor.evaluate("document.querySelector('.brand__logo').naturalWidth") > 0
        primary = visitor.evaluate(
            "getComputedStyle(document.documentElement).getPropertyValue('--primary').trim()")
        assert primary == "#7c3aed"
        assert visitor.title().endswith("Acme Help Centre")
        screenshot(visitor, "sign-in-branded", full_page=False)

        # And an invalid colour is refused with a message beside the field
        page.locator("input.input--colour").first.fill("#12345")
        page.get_by_role("button", name="Save changes").click()
        expect(page.get_by_text("Some settings are not valid")).to_be_visible()
        # in words, not the field's name in the API
        expect(page.get_by_text("Primary colour: This is not in the expected format.")) \
            .to_be_visible()
        expect(page.get_by_text("primary_color:")).to_have_count(0)
    finally:
        stack.call("PATCH", "/api/admin/settings", {
            key: before[key] for key in
            ("portal_name", "logo_url", "primary_color", "banner_links", "announcement")
        }, token=admin_token)


def test_admin_creates_an_organization_and_a_user_then_disables_the_user(stack, open_page):
    org_name = f"Initech {uuid.uuid4().hex[:4]}"
    email = f"milton-{uuid.uuid4().hex[:6]}@initech.test"
    page = open_page().page
    sign_in(page, "admin@parley.test")

    # When the admin creates an organization
    page.goto("/admin/orgs")
    page.get_by_label("Organization name").fill(org_name)
    page.get_by_role("button", name="Create", exact=True).click()
    expect(page.locator(".org-list__item", has_text=org_name)).to_be_visible()

    # And a customer in it
    page.locator(".org-list__item", has_text=org_name).get_by_role("link", name="Users").click()
    page.get_by_text("Add a user").click()
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Name", exact=True).fill("Milton Waddams")
    page.get_by_label("Organization", exact=True).select_option(label=org_name)
    page.get_by_label("Email a temporary password").check()
    page.get_by_role("button", name="Create the user").click()
    expect(page.get_by_text(f"{email} was created")).to_be_visible()
    row = page.locator("tr", has_text=email)
    expect(row).to_contain_text("Active")

    # Then disabling them shows at once
    row.get_by_role("button", name="Disable").click()
    expect(page.locator("tr", has_text=email)).to_contain_text("Disabled")
    assert stack.mails_to(email), "the new user got no mail"

    # And the audit log lists it in words: the action, its outcome, who was disabled
    page.goto("/admin/audit")
    expect(page.locator("tbody tr").first).to_be_visible()
    disabled = page.locator("tbody tr", has_text="User disabled").first
    expect(disabled).to_contain_text("Success")
    expect(disabled).to_contain_text(f"Milton Waddams ({email})")
    expect(disabled).to_contain_text("Changed")
    expect(disabled).not_to_contain_text('{"')
    # (and, under Sign-ins, apart from the changes, "Signed in" by the address that signed in)
    expect(page.locator("tbody tr", has_text="Signed in")).to_have_count(0)
    page.get_by_role("button", name="Sign-ins").click()
    expect(page.locator("tbody tr", has_text="Signed in").filter(
        has_text="admin@parley.test").first).to_be_visible()
    expect(page.locator("tbody")).not_to_contain_text("auth.login")
    screenshot(page, "admin-audit")


def test_display_modes_chosen_by_the_admin_change_what_customers_see(stack, open_page):
    admin = stack.token("admin@parley.test")
    before = stack.call("GET", "/api/admin/settings", token=admin)["settings"]
    email, password = stack.new_customer("Yara Quinn")
    token = stack.tokens[email]
    waiting = stack.call("POST", "/api/portal/tickets", {
        "topic": "general", "subject": "Nobody has looked yet", "body": "Hello?"},
        token=token)["ticket"]
    answered = stack.call("POST", "/api/portal/tickets", {
        "topic": "general", "subject": "Who answers this?", "body": "Just curious."},
        token=token)["ticket"]
    stack.call("POST", f"/api/console/tickets/{answered['id']}/messages",
               {"action": "send_leave_open", "body": "We all do, together."},
               token=stack.token("agent@parley.test"))
    try:
        # Given the admin signs the team's answers with a team name and shows full statuses
        page = open_page().page
        sign_in(page, "admin@parley.test")
        page.goto("/admin")
        page.get_by_label("Author shown to customers").select_option(label="Team name")
        page.get_by_label("Team name", exact=True).fill("Acme Care Team")
        page.get_by_label("Statuses shown to customers").select_option("full")
        page.get_by_role("button", name="Save changes").click()
        expect(page.get_by_text("The settings are saved.")).to_be_visible()

        # Then the customer sees the team's name on the answer, never the agent's
        customer = open_page().page
        sign_in(customer, email, password)
        customer.goto(f"/tickets/{answered['id']}")
        answer = customer.locator(".message--team")
        expect(answer).to_contain_text("We all do, together.")
        expect(answer.locator(".message__author")).to_contain_text("Acme Care Team")
        expect(customer.locator(".thread")).not_to_contain_text("Sam Agent")

        # And the ticket nobody answered yet says "New" rather than "Open"
        customer.goto("/tickets")
        expect(customer.locator(".ticket-row", has_text=waiting["subject"])).to_contain_text("New")
    finally:
        stack.call("PATCH", "/api/admin/settings", {
            key: before[key] for key in ("author_display", "team_display_name", "status_display")
        }, token=admin)


def test_topics_limits_and_mail_settings_from_the_admin_take_effect(stack, open_page):
    admin = stack.token("admin@parley.test")
    before = stack.call("GET", "/api/admin/settings", token=admin)["settings"]
    suffix = uuid.uuid4().hex[:6]
    topic_name, team = f"Returns {suffix}", f"returns-{suffix}"
    stack.call("POST", "/api/admin/teams", {"id": team, "name": f"Returns team {suffix}"},
               token=admin)
    try:
        # Given the admin adds a topic for a new team, and changes a timeout, a limit, the
        # customers' notification wording and who else receives it
        page = open_page().page
        sign_in(page, "admin@parley.test")
        page.goto("/admin")
        page.get_by_role("button", name="Add a topic").click()
        row = page.get_by_role("group", name="Topics").locator(".rows__row").last
        row.get_by_label("Id").fill(team)
        row.get_by_label("Name").fill(topic_name)
        row.get_by_label("Team").select_option(label=f"Returns team {suffix}")
        page.get_by_label("Sign out after inactivity").fill("45")
        page.get_by_label("Largest document").fill("5")
        page.get_by_text("Secure notification", exact=True).click()
        template = page.locator("details", has=page.get_by_text("Secure notification", exact=True))
        # (a ticket mail's subject is the ticket's own: shown, not editable)
        expect(template.get_by_label("Subject").first).not_to_be_editable()
        template.get_by_label("Body").first.fill(
            "Acme: a reply is waiting on #{{ ticket_number }}. Read it at {{ link }}")
        page.get_by_role("group", name="Extra recipients of customer alerts").get_by_label(
            "Cc", exact=True).fill("account.manager@parley.test")
        page.get_by_role("button", name="Save changes").click()
        expect(page.get_by_text("The settings are saved.")).to_be_visible()

        # Then the page shows them again after a reload
        page.reload()
        expect(page.get_by_label("Sign out after inactivity")).to_have_value("45")
        expect(page.get_by_label("Largest document")).to_have_value("5")
        topics = page.get_by_role("group", name="Topics")
        expect(topics.locator(".rows__row").last.get_by_label("Name")).to_have_value(topic_name)

        # And a customer can file a ticket under the new topic
        email, password = stack.new_customer("Zane Ortiz")
        customer = open_page().page
        sign_in(customer, email, password)
        customer.goto("/tickets/new")
        customer.get_by_label("Topic").select_option(label=topic_name)
        customer.get_by_label("Subject").fill("Parcel returned damaged")
        customer.get_by_role("textbox", name="Message").fill("The box arrived crushed.")
        customer.get_by_role("button", name="Send", exact=True).click()
        customer.wait_for_url(re.compile(r"/tickets/[0-9a-f]{32}$"))
        ticket_id = customer.url.rsplit("/", 1)[1]

        # And the console's team filter finds it, and only it, under the new team
        page.goto("/console")
        page.get_by_label("Team", exact=True).select_option(team)
        conversations = page.locator(".convo")
        expect(conversations).to_have_count(1)
        expect(conversations).to_contain_text("Parcel returned damaged")

        # And the answer's notice to the customer has the admin's words under the ticket's
        # subject, and the copy recipient
        stack.call("POST", f"/api/console/tickets/{ticket_id}/messages",
                   {"action": "send_leave_open", "body": "Sorry! A new one is on its way."},
                   token=admin)
        number = stack.call("GET", f"/api/portal/tickets/{ticket_id}",
                            token=stack.tokens[email])["ticket"]["number"]
        expected = f"Acme: a reply is waiting on #{number}"
        # sent by the event pump's stream handler, after the answer
        mail = wait_for(lambda: next((m for m in stack.mails_to(email)
                                      if expected in m["text"]), None),
                        f"the secure notification to {email}", timeout=30)
        assert mail["subject"] == f"[#{number}] Parcel returned damaged"
        assert "Sorry! A new one" not in mail["text"]
        assert ["Cc", "account.manager@parley.test"] in mail["headers"]
    finally:
        stack.call("PATCH", "/api/admin/settings", {
            key: before[key] for key in ("topics", "idle_timeout_minutes", "attachment_max_bytes",
                                         "notification_templates", "customer_alert_recipients")
        }, token=admin)


def test_inbound_mail_and_document_types_have_proper_controls(stack, open_page):
    admin = stack.token("admin@parley.test")
    before = stack.call("GET", "/api/admin/settings", token=admin)["settings"]
    org = stack.call("POST", "/api/admin/orgs", {"name": f"Mailroom {uuid.uuid4().hex[:4]}"},
                     token=admin)["org"]
    try:
        page = open_page().page
        sign_in(page, "admin@parley.test")
        page.goto("/admin")
        expect(page.get_by_role("heading", name="Portal settings")).to_be_visible()

        # Every setting has a control of its own: none is named after its key or edited as JSON
        expect(page.get_by_text("Inbound unknown sender")).to_have_count(0)
        expect(page.locator(".textarea--code")).to_have_count(0)
        # (and "Troubleshooters" is said once, by its section)
        expect(page.get_by_text("Troubleshooters", exact=True)).to_have_count(1)

        # The unknown-sender policy is a choice in words
        unknown = page.get_by_label("Mail from an address without an account")
        expect(unknown.locator("option")).to_have_text([
            "Open a ticket and invite the sender as a new customer",
            "Refuse it with a polite answer (at most one a day)",
            "Ignore it without answering"])
        expect(unknown).to_have_value(before["inbound_unknown_sender"])
        # The topic and organization are chosen among those configured
        topic = page.get_by_label("Topic of tickets opened by email")
        expect(topic.locator("option").first).to_have_text(re.compile(r"^The first topic"))
        expect(topic.locator("option", has_text="Billing")).to_have_count(1)
        org_select = page.get_by_label("Organization of customers created from email")
        expect(org_select.locator("option").first).to_have_text(
            "An organization of their own for each")

        # When the admin changes them and unticks ZIP documents
        unknown.select_option("reject")
        topic.select_option(label="Billing")
        org_select.select_option(label=org["name"])
        types = page.get_by_role("group", name="Accepted document types")
        types.get_by_label("ZIP", exact=True).uncheck()
        page.get_by_role("button", name="Save changes").click()
        expect(page.get_by_text("The settings are saved.")).to_be_visible()

        # Then they are saved as the server's values
        saved = stack.call("GET", "/api/admin/settings", token=admin)["settings"]
        assert saved["inbound_unknown_sender"] == "reject"
        assert saved["inbound_default_topic"] == "billing"
        assert saved["inbound_default_org"] == org["id"]
        assert "application/zip" not in saved["attachment_types"]
        assert "application/pdf" in saved["attachment_types"]
    finally:
        stack.call("PATCH", "/api/admin/settings", {
            key: before[key] for key in ("inbound_unknown_sender", "inbound_default_topic",
                                         "inbound_default_org", "attachment_types")
        }, token=admin)

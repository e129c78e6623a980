"""The settings page's mail editor in the browser: every mail the portal sends, each language
starting from its built-in text, with its variables and a preview; a wording the server refuses
shows its reason beside its editor."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.support import screenshot, sign_in

pytestmark = pytest.mark.browser

WELCOME = "Bienvenue chez {{ portal_name }}, {{ name }}"


def test_admin_edits_a_french_mail_from_its_built_in_text_previews_and_saves_it(
    stack, open_page
):
    admin_token = stack.token("admin@parley.test")
    catalog = {t["name"]: t for t in stack.call(
        "GET", "/api/admin/settings/mail-templates", token=admin_token)["templates"]}
    try:
        # Given an admin on the settings page
        watched = open_page()
        page = watched.page
        sign_in(page, "admin@parley.test")
        page.goto("/admin")
        expect(page.get_by_role("heading", name="Portal settings")).to_be_visible()

        # Then every mail the portal sends is there, each once
        mails = page.locator("details.mail-templates__mail")
        expect(mails).to_have_count(len(catalog))
        for name in catalog:
            expect(page.locator(f"details[data-template={name}]")).to_have_count(1)

        # When they open the invitation, its French editor holds the built-in French text
        invite = page.locator("details[data-template=invite]")
        invite.locator("summary").click()
        expect(invite.get_by_text("{{ link }}", exact=True)).to_be_visible()  # its variables
        french = invite.locator(".mail-template[data-lang=fr]")
        expect(french.locator("textarea")).to_have_value(catalog["invite"]["builtin"]["fr"]["body"])
        expect(french.locator("input")).to_have_value(
            catalog["invite"]["builtin"]["fr"]["subject"])

        # and they reword its subject and preview it with sample data (as text)
        french.locator("input").fill(WELCOME)
        french.get_by_role("button", name="Preview").click()
        shown = french.locator(".mail-template__shown")
        expect(shown).to_contain_text(re.compile(r"Bienvenue chez .+, Zoë Łukasiewicz-Fontaine"))
        expect(shown).to_contain_text("/reset-password?token=SAMPLE-TOKEN")  # built-in body
        screenshot(page, "admin-mail-template-preview")

        # and save it
        page.get_by_role("button", name="Save changes").click()
        expect(page.get_by_text("The settings are saved.")).to_be_visible()
        saved = stack.call("GET", "/api/admin/settings", token=admin_token)["settings"]
        assert saved["notification_templates"]["invite"]["fr"] == {"subject": WELCOME,
                                                                   "body": None}

        # When they give the French reset mail a wording that would render 300 MB
        reset = page.locator("details[data-template=password_reset]")
        reset.locator("summary").click()
        reset_fr = reset.locator(".mail-template[data-lang=fr]")
        reset_fr.locator("textarea").fill("{{ link }} {{ name * 100000000 }}")
        page.get_by_role("button", name="Save changes").click()

        # Then it is refused, with its reason beside its editor, and nothing else is lost
        expect(reset_fr.locator(".mail-template__error")).to_have_text(
            re.compile(r"This template makes a text too long to send"))
        expect(page.get_by_text("Some settings are not valid")).to_be_visible()
        screenshot(page, "admin-mail-template-refused")
        saved = stack.call("GET", "/api/admin/settings", token=admin_token)["settings"]
        assert "password_reset" not in saved["notification_templates"]
        assert saved["notification_templates"]["invite"]["fr"]["subject"] == WELCOME
        assert watched.csp_violations() == []
    finally:
        stack.call("PATCH", "/api/admin/settings", {"notification_templates": {
            "invite": None, "password_reset": None}}, token=admin_token)

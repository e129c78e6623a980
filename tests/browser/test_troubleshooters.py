"""Troubleshooter forms end to end: the admin defines one on the settings page, a customer on a
phone-sized screen starts a ticket from it, and the agent reads the questions and answers."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.support import no_horizontal_overflow, screenshot, sign_in

pytestmark = pytest.mark.browser


def _add_form(stack, form):
    """The admin adds a form beside those already configured (the demo's VPN form stays)."""
    admin = stack.token("admin@parley.test")
    current = stack.call("GET", "/api/admin/settings", token=admin)["settings"]["troubleshooters"]
    stack.call("PATCH", "/api/admin/settings", {"troubleshooters": [*current, form]}, token=admin)


def test_a_customer_starts_a_ticket_from_a_troubleshooter(stack, open_page):
    # Given the admin configured a printer troubleshooter
    name = f"Printer will not print {uuid.uuid4().hex[:6]}"
    _add_form(stack, {
        "id": f"printer-{uuid.uuid4().hex[:8]}", "name": name, "topic": "technical",
        "intro": "Two questions help us find the printer.",
        "questions": [
            {"text": "Which floor is the printer on?", "options": ["Ground floor", "First floor"]},
            {"text": "What does its screen say?", "options": []},
        ],
    })
    email, password = stack.new_customer("Tess Printer")
    watched = open_page(width=390, height=844)
    page = watched.page
    sign_in(page, email, password)

    # When she opens the compose page, the troubleshooters are offered above the form, a card
    # each with its introduction
    page.goto("/tickets/new")
    offered = page.get_by_role("region", name="Start from a troubleshooter")
    expect(offered.get_by_role("link", name="Can't sign in to the VPN")).to_be_visible()
    expect(offered.locator(".ts-card", has_text=name)).to_contain_text(
        "Two questions help us find the printer.")
    assert offered.bounding_box()["y"] < page.get_by_label("Subject").bounding_box()["y"]
    screenshot(page, "troubleshooter-compose-390")
    offered.get_by_role("link", name=name).click()

    # Then the form shows its name (focused, as after any move within the app), its introduction,
    # a way back, and each question with its own label
    expect(page.get_by_role("heading", name=name)).to_be_focused()
    expect(page.locator(".back-link")).to_have_text("Back")
    expect(page.get_by_text("Two questions help us find the printer.")).to_be_visible()
    floor = page.get_by_role("group", name="Which floor is the printer on?")
    expect(floor.get_by_role("radio")).to_have_count(2)

    # When she sends it with a question left unanswered, she is told beside the question
    page.get_by_role("button", name="Send to support").click()
    expect(floor).to_have_attribute("aria-invalid", "true")
    floor.get_by_label("First floor").check()
    page.get_by_role("button", name="Send to support").click()
    expect(floor).not_to_have_attribute("aria-invalid", "true")
    expect(page.get_by_text("Answer this question.")).to_be_visible()
    expect(page.get_by_label("What does its screen say?")).to_be_focused()
    assert "/troubleshooters/printer-" in page.url

    # And once it is answered (by keyboard: arrows move within the radio group)
    floor.get_by_label("First floor").focus()
    page.keyboard.press("ArrowUp")
    expect(floor.get_by_label("Ground floor")).to_be_checked()
    page.get_by_label("What does its screen say?").fill("Paper jam in tray 2")
    page.get_by_label("Anything else we should know?").fill("It prints blank pages too.")
    assert no_horizontal_overflow(page)[0] <= no_horizontal_overflow(page)[1]
    screenshot(page, "troubleshooter-form-390")
    page.get_by_role("button", name="Send to support").click()

    # Then she lands on her new ticket, which shows the questions and her answers
    page.wait_for_url(re.compile(r"/tickets/[0-9a-f]{32}$"))
    ticket_id = page.url.rsplit("/", 1)[1]
    summary = page.get_by_role("region", name="Troubleshooter answers")
    expect(summary).to_contain_text(name)
    expect(summary).to_contain_text("Which floor is the printer on?")
    expect(summary).to_contain_text("Ground floor")
    expect(summary).to_contain_text("Paper jam in tray 2")
    expect(page.get_by_text("It prints blank pages too.")).to_be_visible()
    assert no_horizontal_overflow(page)[0] <= no_horizontal_overflow(page)[1]
    screenshot(page, "troubleshooter-ticket-390")
    assert not watched.errors, watched.errors

    # And the agent reads the same summary in the console
    agent = open_page().page
    sign_in(agent, "agent@parley.test")
    agent.goto(f"/console/tickets/{ticket_id}")
    console_summary = agent.get_by_role("region", name="Troubleshooter answers")
    expect(console_summary).to_contain_text("What does its screen say?")
    expect(console_summary).to_contain_text("Paper jam in tray 2")


def test_the_admin_edits_troubleshooters_on_the_settings_page(stack, open_page):
    admin = open_page().page
    sign_in(admin, "admin@parley.test")
    admin.goto("/admin")
    section = admin.get_by_role("region", name="Troubleshooters", exact=True)
    expect(section.get_by_label("Name", exact=True).first).to_have_value("Can't sign in to the VPN")

    # When the admin adds a form whose id is already taken
    section.get_by_role("button", name="Add a troubleshooter").click()
    # (its legend says "New troubleshooter" until it has a name)
    form = section.locator(".troubleshooter-edit").last
    expect(section.get_by_role("group", name="New troubleshooter")).to_be_visible()
    name = f"Badge does not open the door {uuid.uuid4().hex[:6]}"
    form.get_by_label("Name", exact=True).fill(name)
    form.get_by_label("Id", exact=True).fill("vpn-sign-in")
    form.get_by_label("Topic").select_option(label="Technical problem")
    form.get_by_label("Questions", exact=True).fill(
        "Which door? | Main entrance | Car park\nWhat colour is the light?")
    admin.get_by_role("button", name="Save changes").click()

    # Then the refusal is shown beside the list, and nothing was saved
    expect(section.get_by_text(re.compile("ids must be unique: vpn-sign-in"))).to_be_visible()

    # When the admin gives it an id of its own
    form = section.get_by_role("group", name=name)
    form_id = f"badge-{uuid.uuid4().hex[:8]}"
    form.get_by_label("Id", exact=True).fill(form_id)
    admin.get_by_role("button", name="Save changes").click()
    expect(admin.get_by_text("The settings are saved.")).to_be_visible()

    # Then it is saved with its choices and its free-text question
    token = stack.token("admin@parley.test")
    saved = stack.call("GET", "/api/admin/settings", token=token)["settings"]["troubleshooters"]
    mine = next(f for f in saved if f["id"] == form_id)
    assert mine["questions"] == [
        {"text": "Which door?", "options": ["Main entrance", "Car park"]},
        {"text": "What colour is the light?", "options": []},
    ]
    # And removing it takes it out again
    admin.reload()
    section = admin.get_by_role("region", name="Troubleshooters", exact=True)
    section.get_by_role("group", name=name).get_by_role(
        "button", name="Remove this troubleshooter").click()
    admin.get_by_role("button", name="Save changes").click()
    expect(admin.get_by_text("The settings are saved.")).to_be_visible()
    saved = stack.call("GET", "/api/admin/settings", token=token)["settings"]["troubleshooters"]
    assert form_id not in [f["id"] for f in saved]

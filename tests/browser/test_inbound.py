"""Held inbound mail in the browser: staff see what the checks quarantined, with its sender,
subject and reason, and release it (spam, virus, DMARC) or retry it (anything else)."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.support import screenshot, sign_in

pytestmark = pytest.mark.browser


def _raw(subject: str, sender: str | None = "Alice Martin <alice@acme.test>") -> bytes:
    headers = [f"From: {sender}"] if sender else []
    headers += ["To: support@parley.test", f"Subject: {subject}",
                f"Message-ID: <{uuid.uuid4().hex}@mail.acme.test>"]
    return ("\r\n".join(headers) + "\r\n\r\nThe invoice total looks wrong this month.\r\n").encode()


def test_an_agent_releases_mail_held_as_spam_and_it_becomes_a_conversation(stack, open_page):
    # Given a customer's mail that SES's spam check failed, held in quarantine
    subject = f"Invoice question {uuid.uuid4().hex[:6]}"
    delivery_id = stack.receive_mail(_raw(subject), spam="FAIL")
    assert stack.delivery(delivery_id, "quarantined")["outcome"] == "spam"

    # When an agent opens the held mail from the console's navigation
    page = open_page().page
    sign_in(page, "agent@parley.test")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Held mail").click()
    expect(page.get_by_role("heading", name="Held mail")).to_be_visible()

    # Then the message is listed with its sender, subject, time received and why it is held
    row = page.locator("tr", has_text=subject)
    expect(row).to_contain_text("alice@acme.test")
    expect(row).to_contain_text("Marked as spam")
    expect(row.locator("td").first).not_to_be_empty()
    expect(row.get_by_role("button", name="Retry")).to_have_count(0)
    screenshot(page, "inbound-held")

    # When they release it
    row.get_by_role("button", name="Release").click()

    # Then the page says a conversation was created, and the row is handled
    result = page.get_by_role("status").filter(has_text="conversation #")
    expect(result).to_contain_text(re.compile(r"Let through: conversation #\d+ was created\."))
    number = re.search(r"#(\d+)", result.inner_text()).group(1)
    expect(page.locator("tr", has_text=subject)).to_contain_text("Handled")
    expect(page.locator("tr", has_text=subject).get_by_role("button")).to_have_count(0)

    # And the conversation holds the mail
    result.get_by_role("link", name="Open the conversation").click()
    page.wait_for_url(re.compile(r"/console/tickets/[0-9a-f]{32}"))
    expect(page.locator(".thread")).to_contain_text("The invoice total looks wrong this month.")
    expect(page.locator(".ticket__meta")).to_contain_text(f"#{number} · Email")
    expect(page.locator(".convo.is-current")).to_contain_text(subject)

    # And it is no longer in the quarantine list
    page.goto("/console/inbound")
    expect(page.get_by_role("heading", name="Held mail")).to_be_visible()
    expect(page.locator("tbody")).not_to_contain_text(subject)


def test_an_admin_retries_held_mail_and_is_told_it_is_still_held(stack, open_page):
    # Given a mail with no sender address: held, and not something a release could let through
    subject = f"Who sent this {uuid.uuid4().hex[:6]}"
    delivery_id = stack.receive_mail(_raw(subject, sender=None))
    assert stack.delivery(delivery_id, "quarantined")["outcome"] == "no_sender"

    # When an admin opens the held mail and retries it
    page = open_page().page
    sign_in(page, "admin@parley.test")
    page.goto("/console/inbound")
    row = page.locator("tr", has_text=subject)
    expect(row).to_contain_text("No sender address")
    expect(row.get_by_role("button", name="Release")).to_have_count(0)
    row.get_by_role("button", name="Retry").click()

    # Then the page says plainly that it is still held, and why
    expect(page.get_by_role("status").filter(has_text="Still held")).to_contain_text(
        "Still held: No sender address")
    expect(page.locator("tr", has_text=subject).get_by_role("button", name="Retry")).to_be_visible()

    # And the other lists are a choice away
    page.get_by_label("Show").select_option(label="Handled")
    expect(page).to_have_url(re.compile(r"/console/inbound\?status=done$"))
    expect(page.locator("tbody")).not_to_contain_text(subject)

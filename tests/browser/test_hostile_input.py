"""Script, HTML and javascript: payloads in a subject, a message, a file name and a display name
are shown as the text they are, on every page that shows them, to customers and agents."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.support import sign_in

pytestmark = pytest.mark.browser

NAME = "<img src=x onerror=alert('name')>"
SUBJECT = "<script>alert('subject')</script> \"><svg onload=alert('subject2')>"
BODY = "javascript:alert('body')\n<a href=\"javascript:alert('link')\">click</a>\n<b>bold?</b>"
FILENAME = "<img src=x onerror=alert('file')>.txt"
ANSWER = "<iframe src=\"javascript:alert('answer')\"></iframe> &lt;not an entity&gt;"

# Anything that would have come from parsing a payload as HTML.
INJECTED = """() => {
  const found = [];
  for (const el of document.querySelectorAll('*')) {
    for (const attr of el.attributes) {
      if (/^on/i.test(attr.name)) found.push(el.tagName + '[' + attr.name + ']');
      if (/^\\s*javascript:/i.test(attr.value)) found.push(el.tagName + ' ' + attr.name + '=js');
    }
  }
  const injected = 'img[src="x"], iframe, svg[onload], b, script:not([src])';
  for (const el of document.querySelectorAll(injected)) found.push('injected ' + el.tagName);
  return found;
}"""


def assert_inert(watched, *texts):
    page = watched.page
    for text in texts:
        expect(page.get_by_text(text, exact=False).first).to_be_visible()
    assert page.evaluate(INJECTED) == []
    assert watched.dialogs == []


def test_hostile_strings_render_as_plain_text(stack, open_page):
    # Given a customer whose display name is markup, with a ticket whose subject and text are
    email, password = stack.new_customer(NAME)
    token = stack.call("POST", "/api/auth/login", {"email": email, "password": password})["token"]
    created = stack.call("POST", "/api/portal/tickets",
                         {"topic": "general", "subject": SUBJECT, "body": BODY}, token=token)
    ticket_id = created["ticket"]["id"]
    subject_shown = created["ticket"]["subject"]  # whitespace folded by the server

    # And a document with a hostile file name, uploaded from the ticket page
    customer = open_page()
    page = customer.page
    sign_in(page, email, password)
    page.goto(f"/tickets/{ticket_id}")
    page.locator(".documents input[type=file]").set_input_files(
        files=[{"name": FILENAME, "mimeType": "text/plain", "buffer": b"plain text\n"}])
    expect(page.locator(".documents__item")).to_have_count(1)
    listed = stack.call("GET", f"/api/portal/tickets/{ticket_id}/attachments", token=token)
    filename_shown = listed["items"][0]["filename"]

    # And an agent's answer and title that are markup too
    agent_token = stack.token("agent@parley.test")
    stack.call("POST", f"/api/console/tickets/{ticket_id}/messages",
               {"action": "send_leave_open", "body": ANSWER}, token=agent_token)
    stack.call("PATCH", f"/api/console/tickets/{ticket_id}", {"title": SUBJECT}, token=agent_token)

    # Then the customer's pages show every one of them literally, and nothing runs
    page.reload()
    expect(page.locator(".message--team")).to_contain_text(ANSWER)
    assert_inert(customer, subject_shown, "javascript:alert('body')", "<b>bold?</b>", ANSWER,
                 filename_shown, NAME)
    page.goto("/tickets")
    expect(page.locator(".ticket-row", has_text=subject_shown)).to_be_visible()
    assert_inert(customer, subject_shown)
    page.goto("/folders/inbox")
    assert_inert(customer, subject_shown, "<iframe src=")
    page.goto("/folders/sent")
    assert_inert(customer, subject_shown, "javascript:alert('body')")
    # The feed is written by the event pump, after the answer; read, as she had the ticket open
    stack.wait_for_feed(email, 1, read_too=True)
    page.goto("/notifications")
    assert_inert(customer, subject_shown)

    # And so do the agent's
    agent = open_page()
    console = agent.page
    sign_in(console, "agent@parley.test")
    console.goto(f"/console/tickets/{ticket_id}")
    expect(console.locator(".message--customer")).to_contain_text("javascript:alert('body')")
    assert_inert(agent, NAME, subject_shown, "<b>bold?</b>", ANSWER, filename_shown)
    console.get_by_role("button", name="Edit title").click()
    expect(console.get_by_label("Title")).to_have_value(subject_shown)
    assert page.evaluate(INJECTED) == [] and agent.dialogs == [] and customer.dialogs == []

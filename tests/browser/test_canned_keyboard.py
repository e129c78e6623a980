"""An agent's canned responses and keyboard: a response of their own written on the management
page (a placeholder the console cannot fill refused first), picked in the composer's picker and
filled in for the ticket, its action becoming the chosen one; a shared response inserted by its
shortcut; Ctrl+Enter sending with the chosen action; j / k through the list, / to its search, ?
for every shortcut."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.support import sign_in

pytestmark = pytest.mark.browser


def said(page, text):
    """The notice a form or the composer shows (role status) saying `text`."""
    return page.get_by_role("status").filter(has_text=text)


def test_canned_responses_and_the_keyboard(stack, open_page):
    # Given a customer with two open tickets, and a shared response of the team's
    mark = uuid.uuid4().hex[:6]
    email, _ = stack.new_customer("Zoë Fontaine")
    tickets = [stack.call("POST", "/api/portal/tickets", {
        "topic": "general", "subject": f"{subject} {mark}", "body": "Could you help?"},
        token=stack.tokens[email])["ticket"] for subject in ("Older question", "Newer question")]
    older, newer = tickets
    stack.call("POST", "/api/console/canned", {
        "title": f"Refund issued {mark}", "language": "any", "shortcut": f"rf{mark}",
        "action": "send_leave_open", "shared": True,
        "body": "Dear {{ customer_name }}, your refund for #{{ ticket_number }} is on its way."},
        token=stack.token("admin@parley.test"))
    page = open_page().page
    sign_in(page, "agent@parley.test")

    # When the agent writes a response of their own, first with a placeholder nobody fills
    page.get_by_role("link", name="Canned responses").click()
    expect(page.get_by_role("heading", name="Canned responses", level=1)).to_be_visible()
    page.get_by_text("New canned response").click()
    page.get_by_label("Title").fill(f"Ask for the logs {mark}")
    page.get_by_label("Shortcut").fill(f"logs{mark}")
    page.get_by_label("Answer action").select_option(label="Internal note")
    text = page.get_by_label("Text", exact=True)
    text.fill("Logs asked of {{ customer.email }}")
    page.get_by_role("button", name="Add the response").click()
    expect(page.locator(".field__error").filter(has_text="Unknown placeholder")).to_contain_text(
        "{{ customer.email }}")
    # then with the placeholders the page offers
    text.fill("Asked ")
    page.get_by_role("button", name="Customer's name").click()
    text.press("End")
    text.press_sequentially(" for the logs of #")
    page.get_by_role("button", name="Ticket number").click()
    page.get_by_role("button", name="Add the response").click()
    expect(said(page, f"“Ask for the logs {mark}” added.")).to_be_visible()
    mine = page.get_by_role("region", name="Your own").locator(".canned-card", has_text=mark)
    expect(mine).to_contain_text("Asked {{ customer_name }} for the logs of #{{ ticket_number }}")

    # And opens the newer ticket, and picks it in the composer's picker
    page.goto(f"/console/tickets/{newer['id']}")
    answer = page.get_by_label("Your answer or note")
    chosen = page.get_by_label("Chosen action")
    expect(chosen).to_have_value("send")
    page.get_by_role("button", name="Canned responses").click()
    picker = page.get_by_role("dialog", name="Insert a canned response")
    search = picker.get_by_role("combobox", name="Search the responses")
    expect(search).to_be_focused()
    search.fill(f"logs {mark}")
    options = picker.get_by_role("listbox", name="Canned responses").get_by_role("option")
    expect(options).to_have_count(1)
    search.press("Enter")

    # Then its text is in the answer, filled for this ticket, and its action is the chosen one
    expect(picker).to_be_hidden()
    expect(answer).to_be_focused()
    expect(answer).to_have_value(f"Asked Zoë Fontaine for the logs of #{newer['number']}")
    expect(chosen).to_have_value("note")
    actions = page.get_by_role("group", name="Answer actions")
    ringed = re.compile("is-chosen")
    expect(actions.get_by_role("button", name="Internal note")).to_have_class(ringed)
    expect(actions.get_by_role("button", name="Send", exact=True)).not_to_have_class(ringed)

    # When Ctrl+Enter sends it: an internal note, and the chosen action is Send again
    answer.press("Control+Enter")
    expect(said(page, "Internal note added.")).to_be_visible()
    thread = page.get_by_role("list", name="Messages, oldest first")
    note = thread.locator(".message", has_text=f"for the logs of #{newer['number']}")
    expect(note).to_have_class(re.compile("message--internal"))
    expect(chosen).to_have_value("send")

    # And the team's response by its shortcut, then Tab: filled in where the shortcut was
    answer.press_sequentially(f"PS ;rf{mark}")
    answer.press("Tab")
    expect(answer).to_have_value(
        f"PS Dear Zoë Fontaine, your refund for #{newer['number']} is on its way.")
    expect(answer).to_be_focused()
    expect(chosen).to_have_value("send_leave_open")
    answer.press("Control+Enter")
    expect(said(page, "Sent. The ticket stays open.")).to_be_visible()
    expect(thread.locator(".message", has_text="your refund for")).to_be_visible()
    customer_view = stack.call("GET", f"/api/portal/tickets/{newer['id']}",
                               token=stack.tokens[email])
    bodies = [m["body"] for m in customer_view["messages"]]
    assert bodies[-1].startswith("PS Dear Zoë Fontaine")
    assert not any("for the logs" in body for body in bodies)  # the note stayed internal
    assert customer_view["ticket"]["status"] == "open"

    # When the agent leaves the answer and presses j, the next conversation of the list opens;
    # k goes back
    answer.press("Escape")
    expect(answer).not_to_be_focused()
    current = page.locator(".convo.is-current")
    expect(current).to_contain_text(f"Newer question {mark}")
    page.keyboard.press("j")
    page.wait_for_url(re.compile(rf"/console/tickets/{older['id']}"))
    expect(page.locator(".convo.is-current")).to_contain_text(f"Older question {mark}")
    page.keyboard.press("k")
    page.wait_for_url(re.compile(rf"/console/tickets/{newer['id']}"))

    # And / goes to the list's search, where letters are only typed
    list_search = page.get_by_role("searchbox", name="Search conversations")
    expect(page.locator(".convo.is-current")).to_be_visible()
    page.keyboard.press("/")
    expect(list_search).to_be_focused()
    page.keyboard.type("jk")
    expect(list_search).to_have_value("jk")
    assert re.search(rf"/console/tickets/{newer['id']}", page.url)

    # And ? lists every shortcut, until Escape
    list_search.press("Escape")
    page.keyboard.press("?")
    shortcuts = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(shortcuts).to_be_visible()
    for line in ("Open the next conversation in the list", "Search the conversations",
                 "In the answer: send it with the chosen action",
                 "In the answer: insert the canned response with this shortcut", "Show this list"):
        expect(shortcuts.get_by_role("row", name=re.compile(re.escape(line)))).to_be_visible()
    page.keyboard.press("Escape")
    expect(shortcuts).to_have_count(0)

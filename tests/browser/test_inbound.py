"""Held inbound mail in the browser: staff see what the checks quarantined, with its sender,
subject and reason; read it as text (never its HTML), then release it (spam, virus, DMARC, an
unproven sender, a stranger's reply: each with its own choice), retry it (anything else) or
discard it; and force a dropped message a person did write through. In English, French and
Polish."""

from __future__ import annotations

import re
import uuid
from email.message import EmailMessage

import pytest
from playwright.sync_api import expect

from tests.browser.support import no_horizontal_overflow, screenshot, sign_in, wait_for

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


# ---------------------------------------------------------------------------------------------
# Reading, discarding, forcing through


def _hostile(subject: str) -> bytes:
    """Plain text that talks about markup, an HTML rendition that is markup (a script in an
    image's onerror), and an attachment."""
    message = EmailMessage()
    message["From"] = "Alice Martin <alice@acme.test>"
    message["To"] = "support@parley.test"
    message["Subject"] = subject
    message["Message-ID"] = f"<{uuid.uuid4().hex}@mail.acme.test>"
    message.set_content("Please make the total <b>bold</b> on the next invoice.\n")
    message.add_alternative(
        '<p>Please make the total <b id="bold">bold</b></p>'
        '<img id="pwn" src="x" onerror="window.__pwned = true">', subtype="html")
    message.add_attachment(b"%PDF-1.4 " + b"x" * 2000, maintype="application", subtype="pdf",
                           filename="invoice-2026.pdf")
    return message.as_bytes()


def _open_held(page, subject: str, status: str = ""):
    page.goto("/console/inbound" + (f"?status={status}" if status else ""))
    row = page.locator("tr", has_text=subject)
    expect(row).to_have_count(1)
    return row


def test_an_agent_reads_held_mail_as_text_and_discards_it(stack, open_page):
    # Given spam from a customer whose HTML rendition carries a script
    subject = f"Invoice markup {uuid.uuid4().hex[:6]}"
    stack.delivery(stack.receive_mail(_hostile(subject), spam="FAIL", spf="FAIL"), "quarantined")

    # When an agent opens it from the held mail list
    watched = open_page()
    page = watched.page
    sign_in(page, "agent@parley.test")
    row = _open_held(page, subject)
    read = row.get_by_role("button", name=f"Read “{subject}”")
    read.click()

    # Then the message is shown with its sender, the checks in words, its text and attachment
    reader = page.get_by_role("region", name=subject)
    expect(reader).to_be_visible()
    expect(reader.get_by_role("heading", name=subject)).to_be_focused()
    expect(read).to_have_attribute("aria-expanded", "true")
    expect(reader).to_contain_text("Alice Martin <alice@acme.test>")
    expect(reader).to_contain_text("Spam check: failed")
    expect(reader).to_contain_text("SPF: failed")
    expect(reader).to_contain_text("DKIM: passed")
    expect(reader).to_contain_text("invoice-2026.pdf (application/pdf, 2.0 KB)")
    # And the text is text: the markup it talks about shows literally, the HTML is not there
    expect(reader.locator("pre")).to_have_text(
        "Please make the total <b>bold</b> on the next invoice.\n")
    expect(reader).to_contain_text("It also has an HTML version, never shown here")
    expect(page.locator("#pwn, #bold, .inbound-reader img, .inbound-reader b")).to_have_count(0)
    assert page.evaluate("window.__pwned") is None
    screenshot(page, "inbound-read")

    # When they choose to discard it, and think again
    reader.get_by_role("button", name="Discard", exact=True).click()
    question = page.get_by_role("group", name=re.compile("Discard this message?"))
    expect(question.get_by_role("button", name="Cancel")).to_be_focused()
    question.get_by_role("button", name="Cancel").click()
    expect(question).to_have_count(0)
    expect(reader.get_by_role("button", name="Discard", exact=True)).to_be_focused()

    # And then discard it for good
    reader.get_by_role("button", name="Discard", exact=True).click()
    page.get_by_role("button", name="Discard for good").click()

    # Then the page says so, the row says who decided, and it has left the held mail
    expect(page.get_by_role("status").filter(has_text="Discarded:")).to_contain_text(
        "the message will not become a conversation")
    expect(page.locator("tr", has_text=subject)).to_contain_text("Discarded by staff")
    expect(page.get_by_role("region", name=subject)).to_have_count(0)
    page.reload()
    expect(page.get_by_role("heading", name="Held mail")).to_be_visible()
    expect(page.locator("tbody")).not_to_contain_text(subject)
    # And among the dropped mail it cannot be forced back in
    dropped = _open_held(page, subject, "dropped")
    expect(dropped).to_contain_text("discarded by Sam")
    expect(dropped.get_by_role("button", name="Force through")).to_have_count(0)
    assert watched.csp_violations() == []
    assert not [e for e in watched.errors if e.startswith("uncaught")], watched.errors


def test_an_agent_forces_a_dropped_automatic_reply_through(stack, open_page):
    # Given a customer's own words that were taken for an automatic reply and dropped
    subject = f"Out of office? No {uuid.uuid4().hex[:6]}"
    raw = _raw(subject).replace(b"Subject:", b"Auto-Submitted: auto-replied\r\nSubject:", 1)
    assert stack.delivery(stack.receive_mail(raw), "dropped")["forcible"]

    # When an agent looks at the dropped mail and forces it through
    page = open_page().page
    sign_in(page, "agent@parley.test")
    page.goto("/console/inbound")
    page.get_by_label("Show").select_option(label="Dropped")
    row = page.locator("tr", has_text=subject)
    expect(row).to_contain_text("Automatic reply")
    row.get_by_role("button", name="Force through").click()

    # Then it became the customer's conversation
    result = page.get_by_role("status").filter(has_text="conversation #")
    expect(result).to_contain_text(re.compile(r"Let through: conversation #\d+ was created\."))
    # And the focus is where the outcome is told, not lost with the row that went
    expect(page.locator(".form-status")).to_be_focused()
    expect(page.locator("tr", has_text=subject)).to_contain_text("Handled")
    result.get_by_role("link", name="Open the conversation").click()
    expect(page.locator(".thread")).to_contain_text("The invoice total looks wrong this month.")


def test_mail_in_a_customers_name_that_ses_could_not_prove_is_let_through_as_theirs(
    stack, open_page
):
    # Given mail from Alice's address that no check could prove came from her
    subject = f"Unproven {uuid.uuid4().hex[:6]}"
    delivery_id = stack.receive_mail(_raw(subject), spf="GRAY", dkim="GRAY", dmarc="GRAY")
    assert stack.delivery(delivery_id, "quarantined")["outcome"] == "unverified_sender"

    # When an agent reads it: the doubt is said, and the only release is in Alice's name
    page = open_page().page
    sign_in(page, "agent@parley.test")
    row = _open_held(page, subject)
    expect(row).to_contain_text("In a customer's name, sender not proven")
    expect(row.get_by_role("button", name="Release")).to_have_count(0)
    row.get_by_role("button", name=re.compile("^Read")).click()
    reader = page.get_by_role("region", name=subject)
    expect(reader).to_contain_text("Sender not proven:")
    expect(reader).to_contain_text("DMARC: inconclusive")
    reader.get_by_role("button", name="Let through as alice@acme.test").click()

    # Then it is Alice's conversation
    expect(page.get_by_role("status").filter(has_text="conversation #")).to_contain_text(
        "Let through: conversation #")


def _sent_message_id(stack, address: str, subject: str) -> str:
    """The Message-ID of the notice the portal mailed `address` about a ticket."""
    def message_id() -> str | None:
        for mail in stack.mails_to(address):
            headers = {name.lower(): value for name, value in mail["headers"]}
            if subject in mail["subject"] + mail["text"] and "message-id" in headers:
                return str(headers["message-id"])
        return None

    return wait_for(message_id, f"a mail to {address} about {subject}")


def test_a_strangers_reply_to_a_ticket_is_added_to_it_for_staff(stack, open_page):
    # Given a customer's conversation the team answered by mail
    email, _ = stack.new_customer("Nora Lind")
    subject = f"Printer jam {uuid.uuid4().hex[:6]}"
    ticket = stack.call("POST", "/api/portal/tickets", {
        "topic": "general", "subject": subject, "body": "Paper stuck again."},
        token=stack.tokens[email])["ticket"]
    stack.call("POST", f"/api/console/tickets/{ticket['id']}/messages",
               {"action": "send", "body": "Open tray 2."}, token=stack.token("agent@parley.test"))
    message_id = _sent_message_id(stack, email, subject)
    # And a reply to that mail from someone who is not part of the conversation
    reply = ("From: Colleague <colleague@elsewhere.test>\r\nTo: support@parley.test\r\n"
             f"Subject: Re: {subject}\r\nIn-Reply-To: {message_id}\r\n"
             f"Message-ID: <{uuid.uuid4().hex}@elsewhere.test>\r\n\r\n"
             "Nora is out; tray 2 is empty too.\r\n").encode()
    delivery_id = stack.receive_mail(reply)
    held = stack.delivery(delivery_id, "quarantined")
    assert (held["outcome"], held["answers_ticket_number"]) == ("not_participant",
                                                               ticket["number"])

    # When an agent reads it, Then they choose between the ticket it answers and a new one
    page = open_page().page
    sign_in(page, "agent@parley.test")
    row = _open_held(page, f"Re: {subject}")
    expect(row).to_contain_text("Answers a conversation the sender is not part of")
    row.get_by_role("button", name=re.compile("^Read")).click()
    reader = page.get_by_role("region", name=f"Re: {subject}")
    expect(reader.get_by_role("button", name="Make a new ticket")).to_be_visible()
    reader.get_by_role("button", name=f"Add to #{ticket['number']}").click()

    # Then it is in that conversation, for staff
    expect(page.get_by_role("status").filter(has_text="conversation #")).to_contain_text(
        f"Let through: added to conversation #{ticket['number']}.")
    page.get_by_role("status").get_by_role("link", name="Open the conversation").click()
    expect(page.locator(".thread")).to_contain_text("Nora is out; tray 2 is empty too.")


def test_reading_held_mail_fits_a_phone(stack, open_page):
    subject = f"Narrow {uuid.uuid4().hex[:6]} " + "Unbrokenwordwithoutanyspaces" * 4
    stack.delivery(stack.receive_mail(_hostile(subject), spam="FAIL"), "quarantined")
    page = open_page(width=390, height=844).page
    sign_in(page, "agent@parley.test")
    _open_held(page, subject).get_by_role("button", name=re.compile("^Read")).click()
    expect(page.get_by_role("region", name=subject).locator("pre")).to_be_visible()
    scroll_width, client_width = no_horizontal_overflow(page)
    assert scroll_width <= client_width, (scroll_width, client_width)
    screenshot(page, "inbound-read-phone")


# ---------------------------------------------------------------------------------------------
# In the other languages (English is what the tests above read the page in)

WORDS = {
    "fr": {"title": "Courrier retenu", "read": "Lire", "spam": "Signalé comme spam",
           "held": "Retenu", "release": "Libérer", "message": "Message",
           "check": "Contrôle antispam : échoué", "discard": "Écarter", "dropped": "Ignoré"},
    "pl": {"title": "Wstrzymana poczta", "read": "Czytaj", "spam": "Oznaczona jako spam",
           "held": "Wstrzymana", "release": "Zwolnij", "message": "Wiadomość",
           "check": "Kontrola antyspamowa: niezaliczona", "discard": "Odrzuć",
           "dropped": "Pominięta"},
}


@pytest.mark.parametrize("language", sorted(WORDS))
def test_the_held_mail_page_speaks_the_agents_language(stack, open_page, language):
    words = WORDS[language]
    # Given held spam, and an agent whose account speaks the language
    subject = f"Cheap {language} {uuid.uuid4().hex[:6]}"
    stack.delivery(stack.receive_mail(_raw(subject), spam="FAIL"), "quarantined")
    email, password = stack.new_user(f"Agent {language}", role="agent", language=language)

    # When they open the held mail
    page = open_page().page
    sign_in(page, email, password)
    page.goto("/console/inbound")

    # Then the heading, the outcome, the status and the buttons are in their language
    expect(page.get_by_role("heading", name=words["title"])).to_be_visible()
    row = page.locator("tr", has_text=subject)
    expect(row).to_contain_text(words["spam"])
    expect(row).to_contain_text(words["held"])
    expect(row.get_by_role("button", name=words["release"], exact=True)).to_be_visible()
    row.get_by_role("button", name=re.compile(f"^{words['read']} ")).click()
    reader = page.get_by_role("region", name=subject)
    expect(reader.get_by_role("heading", name=words["message"], exact=True)).to_be_visible()
    expect(reader).to_contain_text(words["check"])
    expect(reader.get_by_role("button", name=words["discard"], exact=True)).to_be_visible()
    expect(page.locator("select option", has_text=words["dropped"])).to_have_count(1)
    assert page.evaluate("document.documentElement.lang") == language

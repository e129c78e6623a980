"""The admin's wording of every mail the portal sends: account mail, notifications and the
polite answers to inbound mail, each checked when saved against the variables its mail is
given, so that no wording can put a message's text into a mail."""

from __future__ import annotations

import re

import pytest

from chalicelib.mail import outbound
from tests.functional.notification_support import (
    Stream,
    mails_to,
    send_queued_account_mail,
    session_token,
)

pytestmark = pytest.mark.functional

MARKER = "OKAPI-5150-SECRET"


@pytest.fixture
def admin_token(make_user) -> str:
    return session_token(make_user("admin", name="Ada Admin"))


def _save(api, admin_token: str, templates: dict) -> tuple[int, dict]:
    status, body, _ = api.call("PATCH", "/api/admin/settings",
                               {"notification_templates": templates}, token=admin_token)
    return status, body


def test_every_mail_of_the_portal_can_be_reworded(api, desk, admin_token):
    assert set(outbound.MAIL_TEMPLATES) == {
        p.stem for p in (outbound.TEMPLATES / "en").glob("*.txt")
    }
    # Given the admin's wording of the invitation, the temporary password, the reset and the
    # answer to strangers (a subject alone keeps the built-in body)
    status, body = _save(api, admin_token, {
        "invite": {"en": {"subject": "Join {{ portal_name }}, {{ name }}",
                          "body": "Start here: {{ link }}"}},
        "temporary_password": {"en": {"body": "Your code is {{ password }}."}},
        "password_reset": {"en": {"subject": "A new password for {{ name }}"}},
        "inbound_unknown_sender": {"en": {"subject": "Write to us from {{ portal_name }}"}},
    })
    assert status == 200, body
    # When the admin invites one person and gives another a temporary password, someone
    # asks for a reset, and a stranger writes while the portal answers strangers
    for email, delivery in (("ines@acme.test", "invite"), ("tom@acme.test", "password")):
        status, created, _ = api.call("POST", "/api/admin/users", {
            "email": email, "name": email.split("@")[0].title(), "role": "customer",
            "org_id": desk.org["id"], "delivery": delivery}, token=admin_token)
        assert status == 201, created
    assert api.call("POST", "/api/auth/password-reset", {"email": "alice@acme.test"})[0] in (
        200, 202)
    send_queued_account_mail()  # the API only queued the mail
    assert api.call("PATCH", "/api/admin/settings", {"inbound_unknown_sender": "reject"},
                    token=admin_token)[0] == 200
    from tests.functional.inbound_support import deliver, make_mail

    deliver(make_mail(sender="stranger@else.test", subject="Hello?"))
    # Then each mail has the admin's words, and still does its job
    [invite] = mails_to("ines@acme.test")
    assert invite["subject"] == "Join Parley, Ines"
    assert re.fullmatch(r"Start here: http://127\.0\.0\.1:8000/reset-password\?token=\S+\n",
                        invite["text"])
    [temporary] = mails_to("tom@acme.test")
    assert temporary["subject"] == "Your Parley account"  # the built-in subject
    assert re.fullmatch(r"Your code is \S{8,}\.\n", temporary["text"])
    [reset] = mails_to("alice@acme.test")
    assert reset["subject"] == "A new password for Alice Martin"
    assert "/reset-password?token=" in reset["text"]  # the built-in body
    [answer] = mails_to("stranger@else.test")
    assert answer["subject"] == "Write to us from Parley"


def test_a_rewording_that_would_break_its_mail_is_refused(api, admin_token):
    for template, wording in (
        ("invite", {"body": "Welcome aboard."}),  # no link: nobody could sign in
        ("verify_email", {"body": "Thanks for registering."}),
        ("temporary_password", {"body": "Ask us for your password."}),
        ("inbound_unknown_sender", {"body": "Hello {{ name }}"}),  # strangers have no name
        ("already_registered", {"subject": "{{ password }}"}),  # another mail's variable
        ("no_such_mail", {"subject": "Hello"}),
    ):
        status, body = _save(api, admin_token, {template: {"en": wording}})
        assert status == 400, (template, wording, body)


def test_no_rewording_of_a_secure_notification_can_carry_the_message(
    api, desk, admin_token, aws
):
    stream = Stream()
    # No wording may name anything but the ticket's number and subject, names and links
    for wording in ("{{ body }}", "{{ message }}", "{{ text }}", "{{ preview }}",
                    "{{ ticket.title }}", "{{ password }}"):
        status, body = _save(api, admin_token, {"secure_notification": {"en": {"body": wording}}})
        assert status == 400, (wording, body)
    # while a wording with every variable it has is saved and used
    allowed = sorted(outbound.MAIL_TEMPLATES["secure_notification"])
    status, body = _save(api, admin_token, {"secure_notification": {"en": {
        "body": "News: " + " / ".join(f"{{{{ {name} }}}}" for name in allowed)}}})
    assert status == 200, body
    ticket_id = desk.open_ticket(body=f"Question {MARKER}")
    desk.answer(ticket_id, f"Answer {MARKER}")
    assert stream.pump() == {"batchItemFailures": []}
    [mail] = [m for m in mails_to("alice@acme.test") if m["text"].startswith("News: ")]
    assert f"/tickets/{ticket_id}" in mail["text"] and "Printer on fire" in mail["text"]
    assert MARKER not in mail["raw"]

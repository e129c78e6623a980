"""Mail from machines is never answered: auto-replies, bounces and our own mail coming back.
A bounce of one of our mails suppresses the address and is noted on its ticket."""

from __future__ import annotations

import pytest

from tests.functional.inbound_support import (
    deliver,
    delivery,
    make_mail,
    outgoing_count,
    thread,
)
from tests.functional.notification_support import Stream

pytestmark = pytest.mark.functional

# (From, Subject, headers): each says "a machine wrote this" in its own way.
MACHINE_MAIL = [
    ("alice@acme.test", "Re: Printer", {"Auto-Submitted": "auto-replied"}),
    ("alice@acme.test", "Re: Printer", {"Auto-Submitted": "auto-generated"}),
    ("alice@acme.test", "Re: Printer", {"X-Autoreply": "yes"}),
    ("alice@acme.test", "Re: Printer", {"X-Autorespond": "Vacation"}),
    ("alice@acme.test", "Re: Printer", {"X-MS-Exchange-Generated-Message-Source": "Mailbox"}),
    ("alice@acme.test", "Re: Printer", {"X-MS-Exchange-Inbox-Rules-Loop": "alice@acme.test"}),
    ("alice@acme.test", "Re: Printer", {"X-FC-MachineGenerated": "true"}),
    ("alice@acme.test", "Re: Printer", {"X-Loop": "alice@acme.test"}),
    ("alice@acme.test", "Re: Printer", {"Precedence": "bulk"}),
    ("alice@acme.test", "Re: Printer", {"Precedence": "auto_reply"}),
    ("alice@acme.test", "Re: Printer", {"List-Id": "<printers.acme.test>"}),
    ("alice@acme.test", "Re: Printer", {"X-Mailer": "Vacation autoresponder 1.2"}),
    ("alice@acme.test", "Out of Office: Printer", {}),
    ("alice@acme.test", "Automatische Antwort: Printer", {}),
    ("noreply@acme.test", "Your request", {}),
    ("alice@acme.test", "Re: Printer", {"Return-Path": "<>"}),
    ("MAILER-DAEMON@acme.test", "Undelivered Mail Returned to Sender", {}),
    ("alice@acme.test", "Re: Printer", {"X-Parley-Loop": "1"}),
    ("support@parley.test", "Printer", {}),  # our own address and Message-ID domain: a loop
]


@pytest.mark.parametrize("unknown_sender", ["create", "reject"])
def test_no_machine_mail_is_ever_answered(office, unknown_sender):
    from chalicelib.data import settings as settings_store
    from chalicelib.services.settings import forget_cached_settings

    item = settings_store.get_settings_item()
    settings_store.save_settings_item(item, {**item.data, "inbound_unknown_sender":
                                             unknown_sender}, 0)
    forget_cached_settings()
    stream = Stream()
    stream.pump()  # what opening the ticket sent is not this test's business
    before = outgoing_count()
    for n, (sender, subject, headers) in enumerate(MACHINE_MAIL):
        message_id = f"<{n}.auto@parley.test>" if sender.endswith("@parley.test") else None
        # Half of them to Alice's reply address (they thread), half to the support address
        to = office.reply_address() if n % 2 else "support@parley.test"
        delivery_id = deliver(make_mail(sender=sender, to=to, subject=subject, headers=headers,
                                        message_id=message_id, body="I am away until Monday."))
        log = delivery(delivery_id)
        assert log["outcome"] in {"auto_reply", "bounce", "loop"}, (n, log)
        assert log["status"] in {"done", "dropped"}, (n, log)
    # Whatever they wrote on tickets notifies nobody by mail either
    assert stream.pump() == {"batchItemFailures": []}
    assert outgoing_count() == before
    public = [m for m in thread(office.ticket_id) if m["visibility"] == "public"]
    assert [m["body"] for m in public] == ["It smokes."]


def test_a_person_asking_us_not_to_auto_reply_is_still_a_person(office):
    # Outlook marks a person's own mail this way: it asks *us* not to answer automatically
    raw = make_mail(subject="New badge", body="My badge stopped working.",
                    headers={"X-Auto-Response-Suppress": "All"})
    log = delivery(deliver(raw))
    assert (log["status"], log["outcome"]) == ("done", "ticket")
    assert thread(log["ticket_id"])[0]["body"] == "My badge stopped working."


def test_an_auto_reply_on_a_ticket_is_an_internal_event(office):
    raw = make_mail(to=office.reply_address(), subject="Out of office",
                    headers={"Auto-Submitted": "auto-replied"}, body="Back on Monday.")
    log = delivery(deliver(raw))
    assert (log["status"], log["outcome"], log["ticket_id"]) == (
        "done", "auto_reply", office.ticket_id)
    event = thread(office.ticket_id)[-1]
    assert (event["kind"], event["visibility"]) == ("system_event", "internal")
    assert "Back on Monday." in event["body"]


def test_an_auto_reply_that_threads_nowhere_is_dropped_in_the_log(office):
    raw = make_mail(sender="someone@else.test", subject="Auto: away",
                    headers={"Auto-Submitted": "auto-replied"})
    log = delivery(deliver(raw))
    assert (log["status"], log["outcome"], log["ticket_id"]) == ("dropped", "auto_reply", None)


def _bounce(original_message_id: str, *recipients: str) -> bytes:
    statuses = "\r\n".join(
        f"Final-Recipient: rfc822; {r}\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 no such user\r\n" for r in recipients
    )
    recipient = recipients[0]
    return (
        "From: Mail Delivery System <MAILER-DAEMON@mx.acme.test>\r\n"
        "To: support@parley.test\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "Message-ID: <bounce1@mx.acme.test>\r\n"
        "Auto-Submitted: auto-replied\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n'
        "\r\n--B\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.acme.test\r\n\r\n"
        f"{statuses}"
        "--B\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        "From: Parley <support@parley.test>\r\n"
        f"To: {recipient}\r\nSubject: [#1001] New message\r\n"
        f"Message-ID: {original_message_id}\r\n"
        "--B--\r\n"
    ).encode()


def test_a_bounce_of_our_mail_suppresses_the_address_and_is_noted_on_its_ticket(office):
    from chalicelib.services.suppressions import is_suppressed

    before = outgoing_count()
    log = delivery(deliver(_bounce(office.sent_message_id(), "alice@acme.test")))
    assert (log["status"], log["outcome"], log["ticket_id"]) == ("done", "bounce",
                                                                 office.ticket_id)
    assert is_suppressed("alice@acme.test")
    event = thread(office.ticket_id)[-1]
    assert (event["kind"], event["visibility"]) == ("system_event", "internal")
    assert "alice@acme.test" in event["body"]
    assert outgoing_count() == before
    # The agents see why Alice no longer gets mail
    assert office.console()["ticket"]["requester"]["email_suppressed"] is True


def test_a_bounce_about_no_mail_of_ours_is_logged_but_not_believed(office):
    from chalicelib.services.suppressions import is_suppressed

    log = delivery(deliver(_bounce("<unknown@parley.test>", "ghost@acme.test")))
    assert (log["status"], log["outcome"]) == ("dropped", "bounce")
    assert "not believed: ghost@acme.test" in log["reason"]
    assert not is_suppressed("ghost@acme.test")


def test_a_forged_delivery_report_silences_nobody(office):
    from chalicelib.data.suppressions import get_suppression
    from chalicelib.services.suppressions import is_suppressed

    # Given a stranger's "delivery report" listing Bob and Carol, about no mail of ours
    forged = _bounce("<whatever@mx.evil.test>", "bob@acme.test", "carol@globex.test")
    log = delivery(deliver(forged))
    # Then neither is suppressed: the log says why
    assert not is_suppressed("bob@acme.test") and not is_suppressed("carol@globex.test")
    assert "not believed: bob@acme.test, carol@globex.test" in log["reason"]
    # Given a report quoting a Message-ID we sent to Alice, but listing Bob as well
    mixed = _bounce(office.sent_message_id("alice@acme.test"), "alice@acme.test",
                    "bob@acme.test")
    deliver(mixed)
    # Then only Alice, to whom that mail went, is suppressed, with the evidence kept
    assert is_suppressed("alice@acme.test") and not is_suppressed("bob@acme.test")
    kept = get_suppression("alice@acme.test")
    assert kept is not None and kept.evidence["source"] == "inbound_dsn"
    assert kept.evidence["message_id"].endswith("@parley.test>")

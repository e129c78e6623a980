"""Notification mail as customers and agents receive it: secure notifications that carry no
message text, acknowledgements and support alerts, threading headers, the signed Reply-To, and
every mail sent exactly once however often the stream delivers its record."""

from __future__ import annotations

import itertools

import pytest

from chalicelib.mail import outbound, tokens
from tests.functional.notification_support import (
    mails_to,
    raw_mails,
    record_of,
    session_token,
    set_user,
)

pytestmark = pytest.mark.functional

MARKER = "ZEBRA-7731-SECRET"


def _portal_settings(api, make_user, **changes):
    admin = make_user("admin", name="Ada Admin")
    status, body, _ = api.call("PATCH", "/api/admin/settings", changes, token=session_token(admin))
    assert status == 200, body
    return body["settings"]


def test_agent_reply_sends_a_secure_notification_without_the_text(desk, stream):
    # Given Alice's ticket, and the agent's public answer to it
    ticket_id = desk.open_ticket(body=f"Question {MARKER}")
    desk.answer(ticket_id, body=f"The answer is {MARKER}-REPLY")
    # When the stream delivers the new messages
    result = stream.pump()
    # Then Alice has one secure notification: number, title, a link, and none of the text
    assert result == {"batchItemFailures": []}
    notifications = [m for m in mails_to("alice@acme.test")
                     if "You have a new message" in m["text"]]
    assert len(notifications) == 1
    mail = notifications[0]
    assert mail["subject"] == "[#1001] Printer on fire"
    assert f"http://127.0.0.1:8000/tickets/{ticket_id}" in mail["text"]
    assert f'href="http://127.0.0.1:8000/tickets/{ticket_id}"' in mail["html"]
    for part in (mail["subject"], mail["text"], mail["html"], mail["raw"]):
        assert MARKER not in part
    # And it is an automatic mail, answerable by a signed token for this ticket and her
    assert mail["headers"]["auto-submitted"] == "auto-generated"
    assert tokens.verify(mail["headers"]["reply-to"], "alice@acme.test") == ticket_id
    assert mail["headers"]["message-id"].endswith("@parley.test>")


@pytest.mark.parametrize("language", ["en", "fr", "pl"])
def test_no_mail_of_any_kind_carries_message_text(api, make_user, desk, stream, language):
    # Given everyone speaks one language, and alerts go to a support address when unassigned
    _portal_settings(api, make_user, support_address="helpdesk@acme.test",
                     default_language=language)
    set_user(desk.customer["id"], language=language)
    set_user(desk.agent["id"], language=language)
    # When Alice writes (acknowledgement, support alert), the agent answers (secure
    # notification), and Alice writes again (acknowledgement, alert to the assignee)
    ticket_id = desk.open_ticket(body=f"First {MARKER} message")
    assert stream.pump() == {"batchItemFailures": []}
    desk.answer(ticket_id, body=f"Answer {MARKER}")
    desk.reply(ticket_id, body=f"Thanks {MARKER}")
    assert stream.pump() == {"batchItemFailures": []}
    # Then every mail went out, in her language, and none carries a word of any message
    mails = raw_mails()
    subjects = sorted(m["subject"] for m in mails)
    assert len(mails) == 5, subjects
    for mail in mails:
        for part in (mail["subject"], mail["text"], mail["html"], mail["raw"]):
            assert MARKER not in part
    expected_word = {"en": "Hello", "fr": "Bonjour", "pl": "Dzień dobry"}[language]
    assert all(expected_word in m["text"] for m in mails)
    assert {m["to"] for m in mails} == {"alice@acme.test", "helpdesk@acme.test", "sam@parley.test"}


def test_every_template_in_every_language_renders_no_message_body(desk, stream):
    """The plan for each message builds the context of its mails; render every notification
    template in every language with it (the digest too) and look for the message's text."""
    from chalicelib.data import tickets as ticket_store
    from chalicelib.data.messages import MessageModel
    from chalicelib.services import notifications, outbox
    from chalicelib.services.settings import get_portal_settings

    ticket_id = desk.open_ticket(body=f"Body {MARKER}", subject="Subject line")
    desk.answer(ticket_id, body=f"Reply {MARKER}")
    ticket = ticket_store.get_ticket(ticket_id)
    assert MARKER in ticket.title  # the console's title is the start of the first message
    deliveries = []
    for record in stream.read():
        message = MessageModel.from_raw_data(record["dynamodb"]["NewImage"])
        assert MARKER in message.body
        deliveries += notifications.plan_for(message, ticket, get_portal_settings()).mails
    assert {d.template for d in deliveries} >= {"secure_notification", "acknowledgement"}
    contexts = {d.template: {"portal_name": "P", "login_link": "x",
                             **outbox.ticket_context(ticket, d.audience, d.name), **d.context}
                for d in deliveries}
    contexts.setdefault("support_alert", {**contexts["acknowledgement"], "requester_name": "A"})
    contexts["digest"] = {**contexts["secure_notification"], "count": 3}
    assert set(contexts) == set(outbound.NOTIFICATION_TEMPLATES)
    for template, context in contexts.items():
        for language in outbound.LANGUAGES:
            rendered = outbound.render(template, language, context)
            for part in (rendered.subject, rendered.text, rendered.html):
                assert MARKER not in part, (template, language)
            assert str(ticket.number) in rendered.subject


def test_the_same_record_delivered_three_times_sends_once(desk, stream):
    ticket_id = desk.open_ticket()
    desk.answer(ticket_id)
    records = stream.read()
    # When Lambda delivers the same batch three times (retries after timeouts, say)
    for _ in range(3):
        assert stream.deliver(records) == {"batchItemFailures": []}
    # Then each mail went out once
    texts = [m["text"] for m in mails_to("alice@acme.test")]
    assert len([t for t in texts if "You have a new message" in t]) == 1
    assert len([t for t in texts if "received your message" in t]) == 1
    assert len(texts) == 2


def test_a_poison_record_fails_alone_in_a_batch_of_fifty(desk, stream):
    """49 agent replies spread over five tickets (under the cap) and one unreadable record."""
    import uuid

    from chalicelib import clock
    from chalicelib.data.messages import MessageModel

    tickets = [desk.open_ticket(subject=f"Ticket {n}") for n in range(5)]
    stream.read()  # the customers' own messages are not the subject here
    records = []
    for n in range(49):
        message = MessageModel(
            thread=f"{tickets[n % 5]}#public", seq=100 + n, message_id=uuid.uuid4().hex,
            ticket_id=tickets[n % 5], visibility="public", kind="agent_reply",
            author_id=desk.agent["id"], author_role="agent", author_name="Sam Agent",
            body=f"reply {n}", created_at=clock.now(),
        )
        records.append(record_of(message.serialize(), 1000 + n))
    poison = record_of({"thread": {"S": "broken#public"}, "seq": {"N": "1"}}, 9999)
    records.insert(25, poison)
    assert len(records) == 50
    # When the batch is delivered
    result = stream.deliver(records)
    # Then only the poison record is reported, and the 49 others were sent
    assert result == {"batchItemFailures": [{"itemIdentifier": "9999"}]}
    assert len(mails_to("alice@acme.test")) == 49


def test_mails_of_a_ticket_form_one_thread(desk, stream):
    ticket_id = desk.open_ticket()
    desk.answer(ticket_id, "First answer")
    desk.reply(ticket_id, "Still smoking")
    desk.answer(ticket_id, "Second answer")
    stream.pump()
    mails = raw_mails()
    assert len(mails) >= 5
    ids = [m["headers"]["message-id"] for m in mails]
    assert len(set(ids)) == len(ids)
    assert "in-reply-to" not in mails[0]["headers"]
    for previous, mail in itertools.pairwise(mails):
        # Each mail answers the one before it, and its References hold the whole chain so far
        assert mail["headers"]["in-reply-to"] == previous["headers"]["message-id"]
        references = mail["headers"]["references"].split()
        assert previous["headers"]["message-id"] in references
        assert references[0] == ids[0]
    from chalicelib.data.mail_threads import ticket_of_message_id

    assert {ticket_of_message_id(i) for i in ids} == {ticket_id}


def test_line_breaks_in_names_and_titles_never_reach_a_header(api, make_user, desk, stream):
    from chalicelib.data import tickets as ticket_store

    # Given a customer and an agent whose names try to add headers, on an unassigned ticket
    set_user(desk.customer["id"], name="Alice\r\nBcc: victim@evil.test")
    set_user(desk.agent["id"], name="Sam\nX-Injected: 1")
    _portal_settings(api, make_user, support_address="helpdesk@acme.test")
    ticket_id = desk.open_ticket()
    # And a title that does the same (titles are cleaned on the way in; this one was not)
    ticket = ticket_store.get_ticket(ticket_id)
    ticket.subject = "Printer\r\nBcc: victim@evil.test\r\nX-Injected: 2"
    ticket_store.save_ticket(ticket, "changed")
    desk.answer(ticket_id)
    desk.reply(ticket_id)
    assert stream.pump() == {"batchItemFailures": []}
    mails = raw_mails()
    assert len(mails) >= 4
    for mail in mails:
        assert "bcc" not in mail["header_names"] and "x-injected" not in mail["header_names"]
        head = mail["raw"].split("\n\n", 1)[0]
        assert "victim@evil.test" not in " ".join(mail["envelope"])
        for line in head.splitlines():
            assert not line.lower().startswith(("bcc:", "x-injected:"))
        assert "\r" not in mail["subject"] and "\n" not in mail["subject"]


def test_admin_rewords_a_body_per_language_and_the_subject_stays_the_tickets(
    api, make_user, desk, stream
):
    # Given a French wording of the secure notification
    _portal_settings(api, make_user, notification_templates={
        "secure_notification": {"fr": {
            "body": "Bonjour {{ name }}, lisez la réponse ici : {{ link }}",
        }},
    })
    french = desk.make_user("customer", org_id=desk.org["id"], name="Élodie",
                            email="elodie@acme.test")
    set_user(french["id"], language="fr")
    french_ticket = desk.open_ticket(token=session_token(french))
    english_ticket = desk.open_ticket()
    desk.answer(french_ticket)
    desk.answer(english_ticket)
    stream.pump()
    # Then the French customer gets the admin's words, the English one the built-in text
    [elodie] = [m for m in mails_to("elodie@acme.test") if "lisez la réponse" in m["text"]]
    assert elodie["subject"] == "[#1001] Printer on fire"
    assert elodie["text"].startswith(
        "Bonjour Élodie, lisez la réponse ici : http://127.0.0.1:8000/tickets/"
    )
    assert "<a href=" in elodie["html"]
    [alice] = [m for m in mails_to("alice@acme.test") if "You have a new message" in m["text"]]
    assert alice["text"].startswith("Hello Alice Martin")


def test_a_broken_override_is_refused_when_saved(api, make_user):
    admin = make_user("admin")
    for template, wording in (("secure_notification", {"body": "{{ message_body }}"}),
                              ("invite", {"subject": "{% if %}"}),
                              ("invite", {"subject": "two\nlines"})):
        status, body, _ = api.call(
            "PATCH", "/api/admin/settings",
            {"notification_templates": {template: {"en": wording}}},
            token=session_token(admin),
        )
        assert status == 400, (wording, body)


def test_reply_token_verifies_only_for_its_ticket_and_recipient(desk, stream):
    first, second = desk.open_ticket(), desk.open_ticket(subject="Other")
    desk.answer(first)
    desk.answer(second)
    stream.pump()
    reply_to = {m["headers"]["reply-to"] for m in mails_to("alice@acme.test")
                if "You have a new message" in m["text"]}
    assert len(reply_to) == 2
    address = next(a for a in reply_to if tokens.parse(a).ticket_id == first)
    # Genuine: its ticket, for its recipient (case and display name do not matter)
    assert tokens.verify(address, "alice@acme.test") == first
    assert tokens.verify(f"Support <{address.upper()}>", "Alice@Acme.test") == first
    # Someone else answering with it, another ticket's id, or a changed MAC: refused
    assert tokens.verify(address, "mallory@evil.test") is None
    local, domain = address.split("@")
    _, rest = local.split("+", 1)
    _, rh, mac = rest.split(".")
    assert tokens.verify(f"reply+{second}.{rh}.{mac}@{domain}", "alice@acme.test") is None
    forged_mac = ("a" if mac[0] != "a" else "b") + mac[1:]
    assert tokens.verify(f"reply+{first}.{rh}.{forged_mac}@{domain}", "alice@acme.test") is None
    assert tokens.verify(address.replace("@parley.test", "@evil.test"), "alice@acme.test") is None


def test_support_alerts_go_to_assignee_else_team_else_support_address(api, make_user, desk, stream):
    from chalicelib import clock
    from chalicelib.data.teams import TeamModel, create_team

    # Unassigned, no team address, no support address: nobody is mailed but Alice's receipt
    first = desk.open_ticket(subject="One")
    stream.pump()
    assert [m["to"] for m in raw_mails()] == ["alice@acme.test"]
    # The team has an address: it gets the alert
    create_team(TeamModel(team_id="support", name="Support", email="team@parley.test",
                          created_at=clock.now()))
    desk.open_ticket(subject="Two")
    stream.pump()
    [alert] = mails_to("team@parley.test")
    assert alert["subject"] == "[#1002] Two"
    assert "Alice Martin wrote a new message" in alert["text"]
    assert "/console/tickets/" in alert["text"]
    # Once assigned, the assignee gets it
    desk.answer(first)
    desk.reply(first)
    stream.pump()
    assert [m["subject"] for m in mails_to("sam@parley.test")] == ["[#1001] One"]


def test_acknowledgement_can_be_switched_off(api, make_user, desk, stream):
    _portal_settings(api, make_user, acknowledge_customer_messages=False)
    desk.open_ticket()
    stream.pump()
    assert mails_to("alice@acme.test") == []


def test_configured_cc_and_bcc_ride_along_without_a_bcc_header(api, make_user, desk, stream):
    _portal_settings(api, make_user, customer_alert_recipients={
        "cc": ["archive@acme.test"], "bcc": ["audit@acme.test"],
    })
    ticket_id = desk.open_ticket()
    stream.read()
    desk.answer(ticket_id)
    stream.pump()
    [mail] = raw_mails()
    assert mail["headers"]["cc"] == "archive@acme.test"
    assert "bcc" not in mail["header_names"] and "audit@acme.test" not in mail["raw"]
    assert "audit@acme.test" in mail["envelope"]
    # The reply token is the requester's, not the copies'
    assert tokens.verify(mail["headers"]["reply-to"], "alice@acme.test") == ticket_id


def test_ses_throttling_is_retried_then_left_for_redelivery(monkeypatch, desk, stream):
    from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

    from chalicelib.adapters import ses
    from chalicelib.data import outbox as outbox_store
    from chalicelib.services import mailer

    ticket_id = desk.open_ticket()
    stream.read()
    desk.answer(ticket_id)
    records = stream.read()
    real_send = ses.send_raw
    calls = {"n": 0}
    sleeps: list[float] = []
    monkeypatch.setattr(mailer, "_sleep", sleeps.append)

    def throttled(*args, **kwargs):
        calls["n"] += 1
        raise ses.Throttled("slow down")

    # When SES throttles every attempt (the batch holds just this record: the whole batch
    # failed, so the invocation fails and Lambda delivers it again)
    monkeypatch.setattr(ses, "send_raw", throttled)
    assert len(records) == 1
    with pytest.raises(BatchProcessingError):
        stream.deliver(records)
    # Then it was tried with growing pauses: each attempt's pause is its doubled backoff with
    # jitter (half to one and a half of it), so consecutive pauses may overlap but not bounds
    assert calls["n"] == mailer.SEND_ATTEMPTS
    assert len(sleeps) == mailer.SEND_ATTEMPTS - 1
    for attempt, pause in enumerate(sleeps):
        base = mailer.BACKOFF_SECONDS * 2**attempt
        assert 0.5 * base <= pause <= 1.5 * base, (attempt, pause)
    [delivery] = [d for d in outbox_store.OutboxModel.scan() if d.template == "secure_notification"]
    assert delivery.status == outbox_store.FAILED
    # When SES recovers and the record comes again: sent once
    monkeypatch.setattr(ses, "send_raw", real_send)
    assert stream.deliver(records) == {"batchItemFailures": []}
    assert stream.deliver(records) == {"batchItemFailures": []}
    assert len([m for m in mails_to("alice@acme.test")
                if "You have a new message" in m["text"]]) == 1


def _acknowledged(address: str) -> list[str]:
    return [m["subject"] for m in mails_to(address) if "received your message" in m["text"]]


def test_mail_from_an_unproven_sender_gets_no_acknowledgement(api, make_user, desk, stream):
    from tests.functional.inbound_support import deliver, delivery, make_mail

    _portal_settings(api, make_user, support_address="helpdesk@acme.test")
    # Given a mail from Alice's address that SES could not prove (SPF and DKIM failed, no
    # DMARC record), and one it could
    held = deliver(make_mail(subject="Urgent transfer", body="Pay this invoice"),
                   verdicts={"spf": "FAIL", "dkim": "FAIL", "dmarc": "GRAY"})
    deliver(make_mail(subject="Printer again", body="It smokes again"))
    # When the stream hands on the messages they made
    assert stream.pump() == {"batchItemFailures": []}
    # Then only the proven mail is acknowledged and alerted: a forged From gets nothing back
    # from us, and the unproven one waits for staff instead of becoming Alice's ticket
    assert _acknowledged("alice@acme.test") == ["[#1001] Printer again"]
    assert len(mails_to("helpdesk@acme.test")) == 1
    assert (delivery(held)["status"], delivery(held)["outcome"]) == (
        "quarantined", "unverified_sender")


def test_a_ticket_hidden_from_customers_sends_them_no_mail(api, make_user, desk, stream):
    from tests.functional.inbound_support import deliver, make_mail

    # Given the portal hides mail tickets from customers
    _portal_settings(api, make_user, support_address="helpdesk@acme.test",
                     hidden_channels=["email"])
    # When Alice writes by mail, and an agent answers
    deliver(make_mail(subject="By mail", body="Hello"))
    assert stream.pump() == {"batchItemFailures": []}
    from chalicelib.data.tickets import find_by_number

    ticket = find_by_number(1001)
    assert ticket is not None and ticket.channel == "email"
    desk.answer(ticket.ticket_id, "Answered", action="send")
    assert stream.pump() == {"batchItemFailures": []}
    # Then she gets neither an acknowledgement nor a secure notification of a ticket the
    # portal would not show her, while support is alerted as ever
    assert mails_to("alice@acme.test") == []
    assert len(mails_to("helpdesk@acme.test")) == 1

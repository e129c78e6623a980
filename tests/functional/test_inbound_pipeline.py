"""Inbound mail end to end: SES's notification through SNS → SQS to the handler, once per
delivery, crash-safe, never silent."""

from __future__ import annotations

import json

import pytest

from parley_dev.local.pump import FakeContext
from tests.functional.inbound_support import (
    deliver,
    delivery,
    drain,
    load_event,
    make_mail,
    outgoing_count,
    sqs_record,
    thread,
    tickets_of,
)
from tests.functional.notification_support import handler

pytestmark = pytest.mark.functional

QUOTED = (
    "Still smoking, and now it beeps.\n\n"
    "On Tue, 17 Nov 2026 at 10:00, Sam Agent <support@parley.test> wrote:\n"
    "> Unplug it.\n> Then wait.\n"
)


def _put_raw(key: str, raw: bytes) -> None:
    from chalicelib.adapters.inbound_mail import put_raw
    from chalicelib.config import get_settings

    put_raw(get_settings().inbound_bucket, key, raw)


def test_the_recorded_ses_notification_in_its_sns_envelope_opens_a_ticket(office):
    # Given the raw mail where SES's S3 action stored it
    event = load_event("ses_received.json")
    ses = json.loads(event["Message"])
    _put_raw(ses["receipt"]["action"]["objectKey"], make_mail(body=QUOTED, subject="Beeping"))
    # When the queue hands the SNS envelope to the handler
    answer = handler("inbound_mail")({"Records": [sqs_record(json.dumps(event))]}, FakeContext())
    # Then a ticket, with the reply text stored and the full text kept for agents
    assert answer == {"batchItemFailures": []}
    log = delivery(ses["mail"]["messageId"])
    assert (log["status"], log["outcome"]) == ("done", "ticket")
    [message] = thread(log["ticket_id"])
    assert message["body"] == "Still smoking, and now it beeps."
    assert message["channel"] == "email" and message["author_id"] == office.alice["id"]
    assert "> Unplug it." in message["details"]["full_text"]
    assert message["details"]["raw"].endswith(ses["receipt"]["action"]["objectKey"])


def test_a_raw_delivery_body_is_read_too_and_the_raw_message_is_kept(office):
    from chalicelib.adapters.inbound_mail import read_raw
    from chalicelib.config import get_settings
    from parley_dev.local.inbound import receipt_notification

    raw = make_mail(subject="Raw delivery")
    _put_raw("raw/abc", raw)
    body = json.dumps(receipt_notification(raw, delivery_id="abc", bucket=get_settings()
                                           .inbound_bucket, object_key="raw/abc"))
    handler("inbound_mail")({"Records": [sqs_record(body)]}, FakeContext())
    assert delivery("abc")["outcome"] == "ticket"
    assert read_raw(get_settings().inbound_bucket, "raw/abc") == raw


def test_a_message_delivered_three_times_creates_one_ticket_and_one_message(office):
    # Given one mail, When SQS hands it over three times in a row (and SNS publishes it again)
    delivery_id = deliver(make_mail(subject="Once only"), repeat=3)
    deliver(make_mail(subject="Once only"), delivery_id=delivery_id, repeat=2)
    # Then one ticket with one message
    mine = [t for t in tickets_of(office.alice["id"]) if t.subject == "Once only"]
    assert len(mine) == 1
    assert len(thread(mine[0].ticket_id)) == 1
    assert delivery(delivery_id)["attempts"] == 1


def test_a_ticket_opened_by_mail_is_named_by_its_subject_not_its_greeting(office):
    # Given a mail that opens with a greeting, and one with no subject at all
    deliver(make_mail(subject="Écran  noir au démarrage",
                      body="Hi support,\n\nSince Monday my screen stays black."))
    deliver(make_mail(subject="", body="Hello, the scanner jams on every page."))
    # Then the console's title of the first is its subject, and the second is named by its
    # first words, as a portal ticket is
    titles = {t.subject: t.title for t in tickets_of(office.alice["id"])}
    assert titles["Écran noir au démarrage"] == "Écran noir au démarrage"
    assert titles["(no subject)"] == "Hello, the scanner jams on every page."


def test_a_reply_delivered_three_times_is_one_message(office):
    raw = make_mail(to=office.reply_address(), subject="Re: Printer", body="Thanks")
    deliver(raw, repeat=3)
    assert [m["body"] for m in thread(office.ticket_id)].count("Thanks") == 1


def test_an_attempt_that_died_half_way_is_taken_over_after_its_lease_without_duplicates(
    office, fake_clock, monkeypatch
):
    from chalicelib.data import inbound as store
    from chalicelib.services.inbound import deliveries

    # Given an attempt that wrote the reply and then died before recording its outcome
    real_settle = store.settle
    monkeypatch.setattr(store, "settle", lambda *a, **k: (_ for _ in ()).throw(SystemExit))
    raw = make_mail(to=office.reply_address(), subject="Re: Printer", body="Crash-proof")
    from parley_dev.local.inbound import receive_mail

    delivery_id = receive_mail(raw)
    with pytest.raises(SystemExit):
        drain()
    monkeypatch.setattr(store, "settle", real_settle)
    assert store.get_delivery(delivery_id).status == "processing"
    # When the queue delivers it again while the lease holds: it waits (reported as failed)
    from parley_dev.local.inbound import receive_mail as publish_again

    publish_again(raw, delivery_id=delivery_id)
    answers = drain()
    assert answers[-1]["batchItemFailures"], "a live lease sends the message back to the queue"
    # And after the lease: the next attempt finishes the job without writing it twice
    fake_clock.advance(deliveries.LEASE_SECONDS + 1)
    assert drain()[-1] == {"batchItemFailures": []}
    assert [m["body"] for m in thread(office.ticket_id)].count("Crash-proof") == 1
    log = delivery(delivery_id)
    assert (log["status"], log["outcome"], log["attempts"]) == ("done", "reply", 2)


def test_an_unexpected_error_is_retried_then_quarantined_for_an_admin(office, monkeypatch):
    from chalicelib.services.inbound import deliveries, people

    def broken(*args, **kwargs):
        raise RuntimeError("database on fire")

    original = people.ticket_mail.open_email_ticket
    monkeypatch.setattr(people.ticket_mail, "open_email_ticket", broken)
    from parley_dev.local.inbound import receive_mail

    delivery_id = receive_mail(make_mail(subject="Unlucky"))
    for attempt in range(1, deliveries.MAX_ATTEMPTS):
        assert drain()[-1]["batchItemFailures"], attempt  # back to the queue, retried
        assert delivery(delivery_id)["status"] == "failed"
    assert drain()[-1] == {"batchItemFailures": []}
    log = delivery(delivery_id)
    assert (log["status"], log["outcome"]) == ("quarantined", "error")
    assert "database on fire" in log["reason"]
    # When the admin retries once the cause is gone, Then it becomes the ticket it should be
    monkeypatch.setattr(people.ticket_mail, "open_email_ticket", original)
    status, retried, _ = office.api.call("POST", f"/api/admin/inbound/{delivery_id}/retry",
                                         token=office.tokens["agent"])
    assert status == 200 and retried["outcome"] == "ticket"


def test_an_unreadable_notification_is_quarantined_not_lost(office):
    answer = handler("inbound_mail")({"Records": [sqs_record("{not json")]}, FakeContext())
    assert answer == {"batchItemFailures": []}
    status, listed, _ = office.api.call("GET", "/api/admin/inbound?status=quarantined",
                                        token=office.tokens["agent"])
    assert status == 200
    assert [i["outcome"] for i in listed["items"]] == ["unreadable"]


def test_a_missing_raw_message_is_quarantined_and_runs_again_once_it_is_there(office):
    from chalicelib.adapters.inbound_mail import publish
    from chalicelib.config import get_settings
    from parley_dev.local.inbound import receipt_notification

    raw = make_mail(subject="Late object")
    publish(get_settings().inbound_topic, receipt_notification(
        raw, delivery_id="late1", bucket=get_settings().inbound_bucket, object_key="raw/late1"))
    drain()
    assert delivery("late1")["outcome"] == "raw_missing"
    _put_raw("raw/late1", raw)
    status, retried, _ = office.api.call("POST", "/api/admin/inbound/late1/retry",
                                         token=office.tokens["agent"])
    assert (status, retried["status"], retried["outcome"]) == (200, "done", "ticket")


def test_quarantine_list_pages_with_a_cursor(office):
    for n in range(3):
        deliver(make_mail(subject=f"Spam {n}", sender="x@spam.test"), verdicts={"spam": "FAIL"})
    status, first, _ = office.api.call("GET", "/api/admin/inbound?status=quarantined&limit=2",
                                       token=office.tokens["agent"])
    assert status == 200 and len(first["items"]) == 2 and first["next_cursor"]
    _, rest, _ = office.api.call(
        "GET", f"/api/admin/inbound?status=quarantined&limit=2&cursor={first['next_cursor']}",
        token=office.tokens["agent"])
    assert len(rest["items"]) == 1
    assert {i["subject"] for i in first["items"] + rest["items"]} == {"Spam 0", "Spam 1", "Spam 2"}


# ---------------------------------------------------------------------------------------------
# Replies, reopening, blocked tickets


def test_a_reply_by_email_reopens_a_resolved_ticket_like_a_portal_reply(office):
    # Given Alice's ticket answered and resolved by the agent
    office.console("/messages", "POST", {"action": "send", "body": "Unplug it."})
    assert office.ticket().status == "resolved"
    # When she answers the notification by mail
    deliver(make_mail(to=office.reply_address(), subject="Re: Printer", body=QUOTED))
    # Then her reply (without the quoted history) is on the ticket, which is open again
    last = thread(office.ticket_id)[-1]
    assert (last["kind"], last["visibility"], last["body"]) == (
        "customer_message", "public", "Still smoking, and now it beeps.")
    assert office.ticket().status == "open"


def test_a_reply_after_the_reopen_window_opens_a_new_ticket_that_follows_the_old(
    office, fake_clock
):
    office.console("/messages", "POST", {"action": "send", "body": "Unplug it."})
    fake_clock.advance(31 * 86400)
    delivery_id = deliver(make_mail(to=office.reply_address(), subject="Re: Printer",
                                    body="Again"))
    log = delivery(delivery_id)
    assert log["outcome"] == "ticket" and log["ticket_id"] != office.ticket_id
    assert thread(log["ticket_id"])[0]["details"]["follows_ticket"] == office.number
    assert office.ticket().status == "resolved"


def test_mail_on_a_blocked_ticket_is_an_internal_event_and_one_polite_answer_a_day(office):
    from tests.functional.notification_support import mails_to

    office.console("/block", "POST", {"reason": "Abusive language"})
    # When Alice writes twice by mail the same day
    for body in ("Let me in", "Let me in!!"):
        deliver(make_mail(to=office.reply_address(), subject="Re: Printer", body=body))
    # Then both are kept for the team as internal events, nothing public
    events = [m for m in thread(office.ticket_id) if m["details"].get("event") ==
              "mail_while_blocked"]
    assert [e["visibility"] for e in events] == ["internal", "internal"]
    assert all(m["body"] != "Let me in" for m in thread(office.ticket_id)
               if m["visibility"] == "public")
    # And she got one polite answer, not two
    answers = [m for m in mails_to("alice@acme.test") if "has been closed by our team" in m["text"]]
    assert len(answers) == 1 and f"#{office.number}" in answers[0]["subject"]
    assert answers[0]["headers"]["auto-submitted"] == "auto-generated"


# ---------------------------------------------------------------------------------------------
# Unknown senders


def _set(**settings):
    from chalicelib.data import settings as store
    from chalicelib.services.settings import forget_cached_settings

    item = store.get_settings_item()
    store.save_settings_item(item, {**item.data, **settings}, 0)
    forget_cached_settings()


def test_an_unknown_sender_gets_an_unverified_account_an_invitation_and_a_ticket(office):
    from chalicelib.data.users import find_user_by_email
    from tests.functional.notification_support import mails_to

    delivery_id = deliver(make_mail(sender="Dana New <dana@newco.test>", subject="Hello"))
    dana = find_user_by_email("dana@newco.test")
    assert dana is not None and (dana.status, dana.role, dana.name) == (
        "unverified", "customer", "Dana New")
    assert dana.org_id and dana.org_id != office.alice["org_id"]  # an organization of her own
    assert delivery(delivery_id)["outcome"] == "ticket"
    [invite] = mails_to("dana@newco.test")
    assert "/reset-password?token=" in invite["text"]
    # A second mail from her: same account, no second invitation
    deliver(make_mail(sender="dana@newco.test", subject="Hello again"))
    assert len(mails_to("dana@newco.test")) == 1
    assert len(tickets_of(dana.user_id)) == 2


def test_an_unknown_sender_joins_the_configured_organization(office):
    from chalicelib.data.users import find_user_by_email

    _set(inbound_default_org=office.carol["org_id"])
    deliver(make_mail(sender="erin@globex.test", subject="Hi"))
    assert find_user_by_email("erin@globex.test").org_id == office.carol["org_id"]


def test_reject_mode_answers_an_unknown_sender_once_a_day(office):
    from tests.functional.notification_support import mails_to

    _set(inbound_unknown_sender="reject")
    ids = [deliver(make_mail(sender="zed@else.test", subject=f"Try {n}")) for n in range(3)]
    assert {delivery(i)["status"] for i in ids} == {"rejected"}
    assert len(mails_to("zed@else.test")) == 1
    # Not to an unproven sender (backscatter to a forged address)
    deliver(make_mail(sender="yan@else.test"), verdicts={"spf": "FAIL", "dkim": "FAIL",
                                                         "dmarc": "GRAY"})
    assert mails_to("yan@else.test") == []


def test_drop_mode_drops_unknown_senders_in_the_log_without_mail(office):
    _set(inbound_unknown_sender="drop")
    before = outgoing_count()
    delivery_id = deliver(make_mail(sender="zed@else.test"))
    assert (delivery(delivery_id)["status"], delivery(delivery_id)["outcome"]) == (
        "dropped", "unknown_sender")
    assert outgoing_count() == before

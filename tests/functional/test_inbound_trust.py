"""Where strangers write to us: a retry resumes with the first attempt's decisions, an unproven
sender never becomes (or speaks for) a customer, our own addresses are nobody's customer, and a
reply from outside a ticket waits for staff. Each case goes through the pipeline Lambda runs:
raw mail in the bucket, SES's notification through SNS → SQS, the queue handler."""

from __future__ import annotations

from typing import Any

import pytest

from tests.functional.inbound_support import (
    Office,
    deliver,
    delivery,
    drain,
    make_mail,
    outgoing_count,
    thread,
    throttle_attachments_event_once,
    tickets_of,
)
from tests.functional.notification_support import Stream

pytestmark = pytest.mark.functional

UNPROVEN = {"spf": "FAIL", "dkim": "FAIL", "dmarc": "GRAY"}
ALERTS = "alerts@ops.acme-support.test"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _files(office: Office, who: str) -> list[dict[str, Any]]:
    side = "portal" if who == "alice" else "console"
    status, body, _ = office.api.call(
        "GET", f"/api/{side}/tickets/{office.ticket_id}/attachments", token=office.tokens[who])
    assert status == 200, body
    return list(body["items"])


def _create_policy(value: str = "create") -> None:
    from chalicelib.data import settings as settings_store
    from chalicelib.services.settings import forget_cached_settings

    item = settings_store.get_settings_item()
    settings_store.save_settings_item(item, {**item.data, "inbound_unknown_sender": value}, 0)
    forget_cached_settings()


def _team_alerts_to(address: str) -> None:
    from chalicelib import clock
    from chalicelib.data import teams

    if teams.get_team("support") is None:
        teams.create_team(teams.TeamModel(team_id="support", name="Support", email=address,
                                          created_at=clock.now()))
    else:
        teams.update_team("support", name="Support", email=address)


# ---------------------------------------------------------------------------------------------
# 1. A retry resumes with the decisions of the first attempt


def test_a_retried_staff_mail_keeps_its_file_internal_and_stores_it_once(office, monkeypatch):
    from parley_dev.local.inbound import receive_mail

    # Given an agent mailing the ticket's reply address with a file
    raw = make_mail(sender="sam@parley.test", to=office.reply_address("sam@parley.test"),
                    subject="Re: Printer", body="Internal: the quote we got.",
                    attachments=[("quote.pdf", "application/pdf", PDF)])
    # And a later step of that delivery failing once (DynamoDB throttled the files' event)
    failures = throttle_attachments_event_once(monkeypatch)
    delivery_id = receive_mail(raw)
    first = drain()
    assert first[-1]["batchItemFailures"] and failures  # the queue will deliver it again

    # When the queue redelivers it
    assert drain() == [{"batchItemFailures": []}]

    # Then it ended as the internal note it was the first time, its file internal and stored once
    log = delivery(delivery_id)
    assert (log["status"], log["outcome"], log["attempts"]) == ("done", "note", 2)
    notes = [m for m in thread(office.ticket_id) if m["body"] == "Internal: the quote we got."]
    assert [(m["kind"], m["visibility"]) for m in notes] == [("internal_note", "internal")]
    staff_files = _files(office, "agent")
    assert [(f["filename"], f["visibility"]) for f in staff_files] == [("quote.pdf", "internal")]
    # And Alice sees no file at all
    assert _files(office, "alice") == []


def test_a_mail_with_more_files_than_one_item_can_name_completes_with_a_bounded_event(office):
    # Given a mail carrying hundreds of files with long Japanese names (three bytes a
    # character: their names and refusals alone are more than DynamoDB's 400 KB item)
    names = [f"{n:04d}-" + "署名済み納品書のスキャン" * 12 + ".txt" for n in range(600)]
    raw = make_mail(subject="All the scans",
                    attachments=[(name, "text/plain", b"x\n") for name in names])
    from chalicelib.mail.parse import parse_mail

    files = len(parse_mail(raw).attachments)
    assert files > 400
    # When it is delivered
    log = delivery(deliver(raw))
    # Then the delivery completes: a ticket with the files one mail may bring, and an event
    # that names some and counts the rest
    assert (log["status"], log["outcome"]) == ("done", "ticket")
    event = next(m for m in thread(log["ticket_id"])
                 if m["details"].get("event") == "mail_attachments")
    assert event["details"]["stored_count"] == 50
    assert event["details"]["dropped_count"] == files - 50
    assert len(event["details"]["dropped"]) <= 30
    assert f"{files - 80} more files not stored" in event["body"]


# ---------------------------------------------------------------------------------------------
# 2. An unproven sender never becomes a customer; our own addresses are nobody's customer


def test_a_forged_mail_from_the_team_alert_address_creates_no_account_and_staff_stay_internal(
    office,
):
    from chalicelib.data.users import find_user_by_email

    _create_policy("create")
    _team_alerts_to(ALERTS)
    # Given a mail claiming the team's alert address, SPF and DKIM failing, DMARC not passing
    forged = make_mail(sender=ALERTS, subject="Hello", body="Sign me up.")
    log = delivery(deliver(forged, verdicts=UNPROVEN))
    # Then no customer account is made for it
    assert find_user_by_email(ALERTS) is None
    assert (log["status"], log["outcome"]) == ("dropped", "reserved_sender")
    # When the team then answers an alert about Alice's ticket from that mailbox
    reply = make_mail(sender=ALERTS, to=office.reply_address(ALERTS), subject="Re: alert",
                      body="Escalated to level 2, we will call her.")
    log = delivery(deliver(reply))
    # Then it is for the team only: nothing published on Alice's thread
    assert (log["outcome"], log["ticket_id"]) == ("event", office.ticket_id)
    public = [m["body"] for m in thread(office.ticket_id) if m["visibility"] == "public"]
    assert public == ["It smokes."]


def test_a_customer_account_that_exists_for_a_reserved_address_never_speaks_for_it(
    office, make_user,
):
    # Given a customer account made, before this rule, for the team's alert address
    _team_alerts_to(ALERTS)
    make_user("customer", org_id=office.alice["org_id"], email=ALERTS)
    # When the team's mailbox answers an alert
    reply = make_mail(sender=ALERTS, to=office.reply_address(ALERTS), subject="Re: alert",
                      body="Staff-only escalation details.")
    log = delivery(deliver(reply))
    # Then it is not that "customer's" public message
    assert log["outcome"] == "event"
    shown = [m for m in thread(office.ticket_id) if "escalation" in m["body"]]
    assert [m["visibility"] for m in shown] == ["internal"]


@pytest.mark.parametrize("address", ["sales@parley.test", "billing@parley.test"])
def test_no_account_for_an_address_at_the_portals_own_mail_domain(office, address):
    from chalicelib.data.users import find_user_by_email

    _create_policy("create")
    log = delivery(deliver(make_mail(sender=address, subject="Invoice", body="Pay now.")))
    assert log["status"] in ("dropped", "done") and log["outcome"] in ("reserved_sender", "loop")
    assert find_user_by_email(address) is None


def test_an_unknown_sender_proven_only_for_another_domain_gets_no_account(office):
    from chalicelib.data.users import find_user_by_email

    _create_policy("create")
    before = outgoing_count()
    # SPF and DKIM pass, but for the mailing list's domain, not the From domain; no DMARC
    raw = make_mail(sender="ceo@bigcorp.test", subject="Wire the money")
    log = delivery(deliver(raw, verdicts={"dmarc": "GRAY"}, envelope_sender="x@lists.test",
                           dkim_domain="lists.test"))
    assert (log["status"], log["outcome"]) == ("quarantined", "unverified_sender")
    assert find_user_by_email("ceo@bigcorp.test") is None
    assert outgoing_count() == before  # no invitation to an address nobody proved


# ---------------------------------------------------------------------------------------------
# 3. Mail in a real customer's name, unproven, is not shown to her as hers


def test_unproven_mail_in_alices_name_is_held_not_shown_to_her_and_alerts_nobody(office):
    stream = Stream()
    stream.pump()
    before = outgoing_count()
    # Given a mail "from Alice" that SES could not prove
    raw = make_mail(subject="Change of bank details",
                    body="Please pay our invoices to our new IBAN DE89 3704 0044 0532 0130 00.")
    delivery_id = deliver(raw, verdicts=UNPROVEN)
    # Then it is held for staff, with the reason
    log = delivery(delivery_id)
    assert (log["status"], log["outcome"], log["releasable"]) == (
        "quarantined", "unverified_sender", True)
    # And Alice's portal shows nothing she did not write; nobody is alerted
    status, listed, _ = office.api.call("GET", "/api/portal/tickets",
                                        token=office.tokens["alice"])
    assert status == 200
    assert [t["subject"] for t in listed["items"]] == ["Printer"]
    assert stream.pump() == {"batchItemFailures": []}
    assert outgoing_count() == before

    # When an agent reads it and vouches for it
    status, released, _ = office.api.call("POST", f"/api/admin/inbound/{delivery_id}/release",
                                          token=office.tokens["agent"])
    assert status == 200, released
    # Then it becomes Alice's ticket, and the console still says SES did not prove it
    assert (released["status"], released["outcome"]) == ("done", "ticket")
    first = thread(released["ticket_id"])[0]
    assert first["details"]["sender_verified_by_ses"] is False
    assert first["details"]["vouched_by_staff"] is True


def test_a_reply_token_still_proves_alice_when_ses_cannot(office):
    raw = make_mail(to=office.reply_address(), subject="Re: Printer", body="Via a relay.")
    log = delivery(deliver(raw, verdicts=UNPROVEN))
    assert (log["outcome"], log["ticket_id"]) == ("reply", office.ticket_id)


# ---------------------------------------------------------------------------------------------
# 6. A reply from someone outside the ticket waits for staff


def test_a_copied_persons_reply_creates_nothing_and_waits_for_staff(office):
    from chalicelib.data.users import find_user_by_email

    _create_policy("create")
    before = outgoing_count()
    # Given the account manager Alice copied on a notification, replying to all
    raw = make_mail(sender="am@partner.test", to=office.reply_address(),
                    subject=f"Re: [#{office.number}] Printer",
                    body="Adding our reseller view: the toner is a fake.",
                    headers={"In-Reply-To": office.sent_message_id()})
    delivery_id = deliver(raw)
    # Then no account, no ticket, no invitation: held, saying which ticket it answers
    log = delivery(delivery_id)
    assert (log["status"], log["outcome"]) == ("quarantined", "not_participant")
    assert (log["answers_ticket_id"], log["answers_ticket_number"]) == (
        office.ticket_id, office.number)
    assert find_user_by_email("am@partner.test") is None
    assert outgoing_count() == before
    # When staff release it without saying where, they are asked
    status, refused, _ = office.api.call("POST", f"/api/admin/inbound/{delivery_id}/release",
                                         token=office.tokens["agent"])
    assert (status, refused["error"]["code"]) == (400, "release_into_required")
    # When they add it to the ticket it answers
    status, released, _ = office.api.call("POST", f"/api/admin/inbound/{delivery_id}/release",
                                          {"into": "ticket"}, token=office.tokens["agent"])
    assert status == 200, released
    # Then the team sees it on Alice's ticket; Alice does not; still no account
    assert (released["status"], released["outcome"], released["ticket_id"]) == (
        "done", "event", office.ticket_id)
    added = [m for m in thread(office.ticket_id) if "reseller" in m["body"]]
    assert [m["visibility"] for m in added] == ["internal"]
    assert find_user_by_email("am@partner.test") is None


def test_a_copied_persons_reply_released_as_new_becomes_their_own_ticket(office):
    from chalicelib.data.users import find_user_by_email

    _create_policy("create")
    raw = make_mail(sender="am@partner.test", subject="Re: Printer", body="A question of mine.",
                    headers={"References": office.sent_message_id()})
    delivery_id = deliver(raw)
    assert delivery(delivery_id)["outcome"] == "not_participant"
    status, released, _ = office.api.call("POST", f"/api/admin/inbound/{delivery_id}/release",
                                          {"into": "new"}, token=office.tokens["agent"])
    assert status == 200, released
    assert released["outcome"] == "ticket" and released["ticket_id"] != office.ticket_id
    account = find_user_by_email("am@partner.test")
    assert account is not None
    assert [t.ticket_id for t in tickets_of(account.user_id)] == [released["ticket_id"]]
    assert [m["body"] for m in thread(office.ticket_id)] == ["It smokes."]


def test_a_mail_customer_gets_an_organization_even_when_one_bears_their_address(
    office, make_org,
):
    from chalicelib.data.orgs import get_org
    from chalicelib.data.users import find_user_by_email

    # Given an organization an admin happened to name after an address (names are unique)
    make_org("pat@example.test")
    _create_policy("create")
    # When that address writes in for the first time
    log = delivery(deliver(make_mail(sender="pat@example.test", subject="Hello")))
    # Then it becomes their ticket, in an organization of their own
    assert (log["status"], log["outcome"]) == ("done", "ticket")
    pat = find_user_by_email("pat@example.test")
    assert pat is not None and get_org(pat.org_id).name.startswith("pat@example.test (")

"""SES's five verdicts, each with its four statuses: what becomes of the mail (the table in
chalicelib/services/inbound/rules.py), and staff releasing what a verdict held back."""

from __future__ import annotations

import pytest

from tests.functional.inbound_support import (
    deliver,
    delivery,
    make_mail,
    outgoing_count,
    thread,
)

pytestmark = pytest.mark.functional

TEXT = ("notes.txt", "text/plain", b"plain text notes\n")

# (verdict, status) -> (delivery status, outcome). Attachments withheld where marked.
CELLS = {
    ("virus", "PASS"): ("done", "ticket"),
    ("virus", "FAIL"): ("quarantined", "virus"),
    ("virus", "GRAY"): ("done", "ticket"),  # attachments withheld
    ("virus", "PROCESSING_FAILED"): ("quarantined", "virus_unscanned"),
    ("spam", "PASS"): ("done", "ticket"),
    ("spam", "FAIL"): ("quarantined", "spam"),
    ("spam", "GRAY"): ("done", "ticket"),
    ("spam", "PROCESSING_FAILED"): ("done", "ticket"),
    ("dmarc", "PASS"): ("done", "ticket"),
    # no policy given (none), but the sender is not proven: Alice's name is not believed
    ("dmarc", "FAIL"): ("quarantined", "unverified_sender"),
    ("dmarc", "GRAY"): ("done", "ticket"),
    ("dmarc", "PROCESSING_FAILED"): ("done", "ticket"),
    **{(v, s): ("done", "ticket") for v in ("spf", "dkim")
       for s in ("PASS", "FAIL", "GRAY", "PROCESSING_FAILED")},
}


def _attachment_event(ticket_id: str) -> dict:
    return next(m for m in thread(ticket_id) if m["details"].get("event") == "mail_attachments")


@pytest.mark.parametrize(("verdict", "status"), sorted(CELLS), ids=lambda v: str(v))
def test_each_verdict_cell(office, verdict, status):
    # Given a mail from Alice with a file, When SES gave this verdict
    before = outgoing_count()
    delivery_id = deliver(make_mail(subject=f"{verdict} {status}", attachments=[TEXT]),
                          verdicts={verdict: status})
    # Then it ends as the table says
    log = delivery(delivery_id)
    assert (log["status"], log["outcome"]) == CELLS[(verdict, status)]
    if log["status"] == "quarantined":
        assert log["ticket_id"] is None and log["releasable"]
        assert outgoing_count() == before  # nothing is said to anyone about held mail
    elif (verdict, status) == ("virus", "GRAY"):
        event = _attachment_event(log["ticket_id"])
        assert event["visibility"] == "internal" and "withheld" in event["body"]
        assert event["details"]["stored"] == []


@pytest.mark.parametrize(("policy", "expected"), [
    ("REJECT", ("rejected", "dmarc_reject")),
    ("QUARANTINE", ("quarantined", "dmarc")),
    ("NONE", ("quarantined", "unverified_sender")),  # kept, but no account for a forgery
])
def test_dmarc_failure_follows_the_domains_policy(office, policy, expected):
    before = outgoing_count()
    delivery_id = deliver(make_mail(sender="ceo@spoofed.test", subject="Wire money"),
                          verdicts={"dmarc": "FAIL"}, dmarc_policy=policy)
    log = delivery(delivery_id)
    assert (log["status"], log["outcome"]) == expected
    from chalicelib.data.users import find_user_by_email

    # Whatever the policy: recorded, no ticket, no account for an address nobody proved
    assert log["ticket_id"] is None
    assert find_user_by_email("ceo@spoofed.test") is None
    # An unproven sender is never mailed (no invitation either)
    assert outgoing_count() == before


def test_a_rejection_is_recorded_in_the_log(office):
    deliver(make_mail(subject="Rejected"), verdicts={"dmarc": "FAIL"}, dmarc_policy="REJECT")
    status, listed, _ = office.api.call("GET", "/api/admin/inbound?status=rejected",
                                        token=office.tokens["agent"])
    assert status == 200 and [i["subject"] for i in listed["items"]] == ["Rejected"]


def test_an_agent_releases_spam_once_and_it_becomes_the_ticket_it_would_have_been(office):
    delivery_id = deliver(make_mail(subject="Not spam at all"), verdicts={"spam": "FAIL"})
    # Retrying does not release: the verdict still holds it
    _, retried, _ = office.api.call("POST", f"/api/admin/inbound/{delivery_id}/retry",
                                    token=office.tokens["agent"])
    assert (retried["status"], retried["outcome"]) == ("quarantined", "spam")
    status, released, _ = office.api.call("POST", f"/api/admin/inbound/{delivery_id}/release",
                                          token=office.tokens["agent"])
    assert status == 200
    assert (released["status"], released["outcome"]) == ("done", "ticket")
    assert released["released_by"] == office.agent["id"]
    # Releasing again changes nothing
    _, again, _ = office.api.call("POST", f"/api/admin/inbound/{delivery_id}/release",
                                  token=office.tokens["agent"])
    assert again == released
    assert len(thread(released["ticket_id"])) >= 1


def test_a_released_virus_quarantine_never_stores_its_attachments(office):
    delivery_id = deliver(make_mail(subject="Invoice", attachments=[TEXT]),
                          verdicts={"virus": "FAIL"})
    _, released, _ = office.api.call("POST", f"/api/admin/inbound/{delivery_id}/release",
                                     token=office.tokens["agent"])
    assert released["outcome"] == "ticket"
    event = _attachment_event(released["ticket_id"])
    assert event["details"]["stored"] == [] and "withheld" in event["body"]
    status, docs, _ = office.api.call(
        "GET", f"/api/console/tickets/{released['ticket_id']}/attachments",
        token=office.tokens["agent"])
    assert status in (200, 404) and not (docs or {}).get("items")


def test_mail_that_was_not_held_by_a_verdict_is_retried_not_released(office):
    from chalicelib.adapters.inbound_mail import publish
    from chalicelib.config import get_settings
    from parley_dev.local.inbound import receipt_notification
    from tests.functional.inbound_support import drain

    publish(get_settings().inbound_topic, receipt_notification(
        make_mail(), delivery_id="gone1", bucket=get_settings().inbound_bucket,
        object_key="raw/gone1"))
    drain()
    status, refused, _ = office.api.call("POST", "/api/admin/inbound/gone1/release",
                                         token=office.tokens["agent"])
    assert (status, refused["error"]["code"]) == (409, "not_releasable")
    status, _, _ = office.api.call("POST", "/api/admin/inbound/nope/release",
                                   token=office.tokens["agent"])
    assert status == 404


def test_a_clean_attachment_is_stored_with_the_ticket(office):
    delivery_id = deliver(make_mail(subject="With notes", attachments=[TEXT]))
    event = _attachment_event(delivery(delivery_id)["ticket_id"])
    assert event["details"]["stored"] == ["notes.txt"], event

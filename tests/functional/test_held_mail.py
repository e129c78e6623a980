"""Staff decide on held mail with the message in front of them: they read it safely (sender,
verdicts, the plain text, the attachments' names; never its HTML), discard it (audited, once),
or force a dropped message a person did write through. Customers reach none of it."""

from __future__ import annotations

import json
from email.message import EmailMessage
from typing import Any

import pytest

from tests.functional.inbound_support import (
    Office,
    deliver,
    delivery,
    drain,
    make_mail,
    tickets_of,
)
from tests.functional.notification_support import session_token

pytestmark = pytest.mark.functional

HOSTILE_HTML = ('<p>Pay <b>now</b></p><img src="x" onerror="alert(document.cookie)">'
                '<script>steal()</script>')


@pytest.fixture
def admin_token(make_user) -> str:
    return session_token(make_user("admin"))


def _hostile_mail(subject: str = "Your invoice") -> bytes:
    """A plain and an HTML rendition of one body, and an attachment."""
    message = EmailMessage()
    message["From"] = "Alice Martin <alice@acme.test>"
    message["To"] = "support@parley.test"
    message["Cc"] = "bob@acme.test"
    message["Subject"] = subject
    message["Message-ID"] = "<hostile-1@mail.acme.test>"
    message.set_content("The plain words of the invoice mail.\n")
    message.add_alternative(HOSTILE_HTML, subtype="html")
    message.add_attachment(b"%PDF-1.4 invoice bytes", maintype="application", subtype="pdf",
                           filename="invoice.pdf")
    return message.as_bytes()


def _call(office: Office, method: str, path: str, token: str | None = None,
          body: Any = None) -> tuple[int, Any]:
    status, payload, _ = office.api.call(method, path, body,
                                         token=token or office.tokens["agent"])
    return status, payload


def _listed(office: Office, status: str) -> dict[str, dict[str, Any]]:
    code, page = _call(office, "GET", f"/api/admin/inbound?status={status}")
    assert code == 200, page
    return {item["id"]: item for item in page["items"]}


def _audit(office: Office, admin_token: str, action: str) -> list[dict[str, Any]]:
    code, page = _call(office, "GET", "/api/admin/audit", token=admin_token)
    assert code == 200, page
    return [entry for entry in page["items"] if entry["action"] == action]


# ---------------------------------------------------------------------------------------------
# Reading


def test_staff_read_a_held_message_as_plain_text_with_its_verdicts_and_attachment_names(office):
    # Given a mail held as spam, with an HTML rendition full of markup and an attachment
    delivery_id = deliver(_hostile_mail(), verdicts={"spam": "FAIL", "spf": "FAIL"})

    # When an agent reads it
    status, held = _call(office, "GET", f"/api/admin/inbound/{delivery_id}")

    # Then they see who it claims to be from, to whom, and what SES's checks said
    assert status == 200, held
    assert held["from"] == {"address": "alice@acme.test", "name": "Alice Martin"}
    assert held["to"] == ["support@parley.test"] and held["cc"] == ["bob@acme.test"]
    assert held["subject"] == "Your invoice"
    assert held["verdicts"]["spam"] == "FAIL" and held["verdicts"]["spf"] == "FAIL"
    assert held["delivery"]["id"] == delivery_id
    assert held["delivery"]["status"] == "quarantined"
    # And the plain text, with the attachment named but not carried
    assert held["text"].strip() == "The plain words of the invoice mail."
    assert held["text_truncated"] is False
    assert held["attachments"] == [{"filename": "invoice.pdf", "content_type": "application/pdf",
                                    "size": len(b"%PDF-1.4 invoice bytes"), "inline": False}]
    # And the HTML rendition exists but none of it is in the answer
    assert held["has_html"] is True
    answer = json.dumps(held)
    for markup in ("<b>", "onerror", "<script", "steal()", "invoice bytes"):
        assert markup not in answer, markup


def test_an_html_only_message_is_read_as_its_text_without_markup(office):
    # Given a held message that has nothing but HTML
    message = EmailMessage()
    message["From"] = "alice@acme.test"
    message["To"] = "support@parley.test"
    message["Subject"] = "Only HTML"
    message.set_content(HOSTILE_HTML, subtype="html")
    delivery_id = deliver(message.as_bytes(), verdicts={"spam": "FAIL"})

    # When an agent reads it, Then the words are there as text, the markup is not
    status, held = _call(office, "GET", f"/api/admin/inbound/{delivery_id}")
    assert status == 200, held
    assert "now" in held["text"] and held["has_html"] is True
    answer = json.dumps(held)
    for markup in ("<b>", "<p>", "onerror", "<img", "<script"):
        assert markup not in answer, markup


def test_a_very_long_message_is_cut_and_says_so(office):
    delivery_id = deliver(make_mail(subject="Long", body="word " * 30_000),
                          verdicts={"spam": "FAIL"})
    status, held = _call(office, "GET", f"/api/admin/inbound/{delivery_id}")
    assert status == 200, held
    assert len(held["text"]) == 100_000 and held["text_truncated"] is True


def test_a_message_no_longer_stored_and_a_delivery_that_never_was_are_404s(office):
    from chalicelib.adapters.aws import client
    from chalicelib.config import get_settings

    # Given held mail whose raw message and kept copy are both gone
    delivery_id = deliver(make_mail(subject="Gone"), verdicts={"spam": "FAIL"})
    bucket = get_settings().inbound_bucket
    for key in (f"raw/{delivery_id}", f"quarantine/{delivery_id}"):
        client("s3").delete_object(Bucket=bucket, Key=key)

    # Then reading it says so plainly
    status, answer = _call(office, "GET", f"/api/admin/inbound/{delivery_id}")
    assert (status, answer["error"]["code"]) == (404, "raw_missing")
    # And a delivery that never was is the same 404 as any missing delivery
    status, answer = _call(office, "GET", "/api/admin/inbound/0123456789abcdef0123456789abcdef")
    assert (status, answer["error"]["code"]) == (404, "delivery_not_found")


def test_a_message_whose_raw_mail_expired_is_read_from_the_kept_copy(office):
    from chalicelib.adapters.aws import client
    from chalicelib.config import get_settings

    delivery_id = deliver(make_mail(subject="Kept", body="Still here."), verdicts={"spam": "FAIL"})
    client("s3").delete_object(Bucket=get_settings().inbound_bucket, Key=f"raw/{delivery_id}")
    status, held = _call(office, "GET", f"/api/admin/inbound/{delivery_id}")
    assert status == 200, held
    assert held["text"].strip() == "Still here."


def test_customers_and_strangers_reach_no_held_mail(office):
    # Given held mail from Alice
    delivery_id = deliver(make_mail(subject="Mine?"), verdicts={"spam": "FAIL"})
    base = f"/api/admin/inbound/{delivery_id}"

    # When Alice herself tries to read, discard or force it, Then she is refused
    for method, path in (("GET", base), ("POST", f"{base}/discard"), ("POST", f"{base}/force"),
                         ("POST", f"{base}/release"), ("POST", f"{base}/retry")):
        status, answer = _call(office, method, path, token=office.tokens["alice"])
        assert status == 403, (method, path, answer)
        assert "Alice" not in json.dumps(answer) and "Mine?" not in json.dumps(answer)
        status, _ = _call(office, method, path, token="no-such-session")
        assert status == 401, (method, path)
    # And the message is still held, untouched
    assert delivery(delivery_id)["status"] == "quarantined"


# ---------------------------------------------------------------------------------------------
# Discarding


def test_discarded_mail_is_dropped_for_good_audited_once_and_a_second_discard_changes_nothing(
    office, admin_token, fake_clock
):
    # Given spam held in quarantine
    delivery_id = deliver(make_mail(subject="Cheap pills"), verdicts={"spam": "FAIL"})

    # When an agent discards it
    status, discarded = _call(office, "POST", f"/api/admin/inbound/{delivery_id}/discard")

    # Then it is dropped as discarded, saying by whom, and has left the quarantine
    assert status == 200, discarded
    assert (discarded["status"], discarded["outcome"]) == ("dropped", "discarded")
    assert discarded["reason"] == "discarded by Sam Agent"
    assert discarded["releasable"] is False
    assert delivery_id not in _listed(office, "quarantined")
    assert _listed(office, "dropped")[delivery_id]["outcome"] == "discarded"
    # And the audit log says who discarded what
    [entry] = _audit(office, admin_token, "inbound.discard")
    assert entry["target"] == f"inbound:{delivery_id}"
    assert entry["actor_id"] == office.agent["id"]
    assert entry["details"]["outcome"] == "spam"

    # When it is discarded again, released or retried
    fake_clock.advance(60)
    for action in ("discard", "release", "retry"):
        status, again = _call(office, "POST", f"/api/admin/inbound/{delivery_id}/{action}")
        # Then nothing changes, and nothing more is audited
        assert status == 200, (action, again)
        assert again == discarded, action
    assert len(_audit(office, admin_token, "inbound.discard")) == 1
    assert not [t for t in tickets_of(office.alice["id"]) if t.subject == "Cheap pills"]


def test_a_failed_delivery_discarded_stays_dropped_when_the_queue_brings_it_back(
    office, monkeypatch
):
    from chalicelib.services.inbound import people
    from parley_dev.local.inbound import receive_mail

    # Given a mail whose first attempt failed, waiting for the queue's retry
    original = people.ticket_mail.open_email_ticket

    def broken(**kwargs: Any) -> Any:
        raise RuntimeError("throttled")

    monkeypatch.setattr(people.ticket_mail, "open_email_ticket", broken)
    delivery_id = receive_mail(make_mail(subject="Do not want"))
    assert drain()[-1]["batchItemFailures"]
    assert delivery(delivery_id)["status"] == "failed"

    # When staff discard it, and the queue then brings the message back
    status, discarded = _call(office, "POST", f"/api/admin/inbound/{delivery_id}/discard")
    assert (status, discarded["outcome"]) == (200, "discarded"), discarded
    monkeypatch.setattr(people.ticket_mail, "open_email_ticket", original)
    drain()

    # Then it stays discarded: no conversation was made of it
    assert (delivery(delivery_id)["status"], delivery(delivery_id)["outcome"]) == (
        "dropped", "discarded")
    assert not [t for t in tickets_of(office.alice["id"]) if t.subject == "Do not want"]


def test_a_delivery_being_handled_cannot_be_discarded(office):
    from chalicelib import clock
    from chalicelib.data import inbound as store
    from chalicelib.services.inbound import deliveries
    from parley_dev.local.inbound import receive_mail

    # Given a delivery an attempt is handling right now
    delivery_id = receive_mail(make_mail(subject="In flight"))
    store.claim_delivery(delivery_id, fields={"bucket": "b", "object_key": "raw/x"},
                         now=clock.now(), lease_seconds=deliveries.LEASE_SECONDS)

    # When staff try to discard it, Then they are told it is busy, and it is left alone
    status, answer = _call(office, "POST", f"/api/admin/inbound/{delivery_id}/discard")
    assert (status, answer["error"]["code"]) == (409, "delivery_busy")
    assert delivery(delivery_id)["status"] == "processing"


# ---------------------------------------------------------------------------------------------
# Releasing with a choice, forcing through


def test_a_release_choice_that_is_not_one_is_refused(office):
    delivery_id = deliver(make_mail(subject="Choice"), verdicts={"spam": "FAIL"})
    status, answer = _call(office, "POST", f"/api/admin/inbound/{delivery_id}/release",
                           body={"into": "somewhere"})
    assert (status, answer["error"]["code"]) == (400, "invalid_input")
    assert delivery(delivery_id)["status"] == "quarantined"


def test_a_strangers_reply_is_released_into_the_ticket_it_answers_once_staff_say_where(office):
    from tests.functional.inbound_support import thread

    # Given a reply to the ticket's mail from someone who is not part of the ticket: held
    delivery_id = deliver(make_mail(sender="colleague@elsewhere.test", subject="Re: Printer",
                                    body="Alice is away; it smokes here too.",
                                    headers={"In-Reply-To": office.sent_message_id()}))
    held = _listed(office, "quarantined")[delivery_id]
    assert (held["outcome"], held["answers_ticket_number"]) == ("not_participant", office.number)

    # When an agent releases it without saying where, Then they are asked to
    status, answer = _call(office, "POST", f"/api/admin/inbound/{delivery_id}/release")
    assert (status, answer["error"]["code"]) == (400, "release_into_required")

    # When they release it into the ticket
    status, released = _call(office, "POST", f"/api/admin/inbound/{delivery_id}/release",
                             body={"into": "ticket"})

    # Then the ticket holds it for staff only
    assert status == 200, released
    assert (released["status"], released["ticket_id"]) == ("done", office.ticket_id)
    [event] = [m for m in thread(office.ticket_id) if "it smokes here too" in m["body"]]
    assert event["visibility"] == "internal"


def test_staff_force_a_dropped_automatic_reply_through_as_the_customers_message(
    office, admin_token
):
    # Given a mail from Alice marked as an automatic reply, that threads to no ticket: dropped
    delivery_id = deliver(make_mail(subject="Not really automatic",
                                    body="I wrote this myself, please read it.",
                                    headers={"Auto-Submitted": "auto-replied"}))
    dropped = _listed(office, "dropped")[delivery_id]
    assert (dropped["outcome"], dropped["forcible"]) == ("auto_reply", True)

    # When an agent forces it through
    status, forced = _call(office, "POST", f"/api/admin/inbound/{delivery_id}/force")

    # Then it is Alice's message: a conversation of hers holds it
    assert status == 200, forced
    assert (forced["status"], forced["outcome"]) == ("done", "ticket")
    [ticket] = [t for t in tickets_of(office.alice["id"]) if t.subject == "Not really automatic"]
    assert ticket.ticket_id == forced["ticket_id"]
    # And the audit log says who forced it
    [entry] = _audit(office, admin_token, "inbound.force")
    assert entry["target"] == f"inbound:{delivery_id}"

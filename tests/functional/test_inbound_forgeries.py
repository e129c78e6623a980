"""Forgeries a security review built against the inbound pipeline, each through the pipeline
Lambda runs: an address that reads one way to SES and another to us, words of the sender's
inside SES's own header, the support mailbox as a customer, a folded address landing on
another account, a retry after a release, a delivery report about someone else's mail, and a
stranger answering a token issued to someone other than the requester."""

from __future__ import annotations

from typing import Any

import pytest

from tests.functional.inbound_support import (
    deliver,
    delivery,
    drain,
    make_mail,
    thread,
    throttle_attachments_event_once,
    tickets_of,
)

pytestmark = pytest.mark.functional


def _settings(**values: Any) -> None:
    from chalicelib.data import settings as settings_store
    from chalicelib.services.settings import forget_cached_settings

    item = settings_store.get_settings_item()
    settings_store.save_settings_item(item, {**item.data, **values}, 0)
    forget_cached_settings()


def _raw(from_value: str, subject: str, body: str, to: str = "support@parley.test",
         extra: str = "") -> bytes:
    return (
        f"From: {from_value}\r\nTo: {to}\r\nSubject: {subject}\r\n"
        "Date: Mon, 07 Dec 2026 09:00:00 +0000\r\nMessage-ID: <probe-1@evil.test>\r\n"
        f"{extra}MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    ).encode()


# 1. A quoted local part: SES (and every RFC reader) sees the From domain evil.test, where the
#    attacker's DMARC passes; a careless normaliser reads alice@acme.test.
def test_a_quoted_local_part_does_not_post_as_alice(office):
    raw = _raw('"alice@acme.test"@evil.test', f"Re: [#{office.number}] Printer",
               "New bank details: IBAN XX00 EVIL")
    # SPF (envelope at evil.test), DKIM (d=evil.test) and so DMARC (for evil.test) all pass
    log = delivery(deliver(raw, envelope_sender="bounce@evil.test", dkim_domain="evil.test"))
    mine = [m for m in thread(office.ticket_id) if "IBAN" in m["body"]]
    # A safe pipeline would not post this as Alice's public message
    assert not any(m["visibility"] == "public" and m["author_id"] == office.alice["id"]
                   for m in mine), "forged mail shown in Alice's portal as hers"
    assert (log["status"], log["outcome"]) == ("quarantined", "unverified_sender")


# 2. Text inside SES's own Authentication-Results header that the sender controls (the SMTP
#    envelope sender, echoed as envelope-from=) is read as a DKIM signer.
def test_the_senders_words_inside_ses_header_are_no_dkim_signer(office):
    raw = _raw("alice@acme.test", f"Re: [#{office.number}] Printer", "Pay to IBAN XX00 EVIL")
    log = delivery(deliver(
        raw, verdicts={"dmarc": "GRAY"},  # acme.test publishes no DMARC record
        envelope_sender='"x dkim=pass header.i=@acme.test"@evil.test', dkim_domain="evil.test",
    ))
    assert log["outcome"] == "unverified_sender", log


# 3. The portal's support_address receives support alerts (with a token signed for it) but is
#    not reserved: a fresh proven mail from it creates a customer account, and from then on
#    the team's answers to alerts become public customer tickets.
def test_no_account_for_the_portals_support_address(office, make_org):
    from chalicelib.data.users import find_user_by_email

    shared = make_org("Everyone")
    _settings(support_address="helpdesk@acme-support.test", inbound_unknown_sender="create",
              inbound_default_org=shared["id"])
    first = delivery(deliver(make_mail(sender="helpdesk@acme-support.test", subject="FYI",
                                       body="Forwarding the on-call rota.")))
    account = find_user_by_email("helpdesk@acme-support.test")
    assert account is None, ("customer account created for the alert address", first)
    assert (first["status"], first["outcome"]) == ("dropped", "reserved_sender")


def test_the_support_mailboxs_answer_to_an_alert_stays_internal(office, make_user):
    # Given a customer account that exists for the support address (made before the rule)
    _settings(support_address="helpdesk@acme-support.test", inbound_unknown_sender="create")
    make_user("customer", org_id=office.alice["org_id"], email="helpdesk@acme-support.test")
    # When the team's mailbox answers a support alert about Alice's ticket (token signed for it)
    reply = make_mail(sender="helpdesk@acme-support.test",
                      to=office.reply_address("helpdesk@acme-support.test"),
                      subject=f"Re: [#{office.number}] New message",
                      body="STAFF ONLY: Alice's account is flagged for fraud, do not refund.")
    log = delivery(deliver(reply))
    # Then it is an internal event on her ticket, nobody's public message
    assert (log["outcome"], log["ticket_id"]) == ("event", office.ticket_id)
    where = [m["visibility"] for m in thread(office.ticket_id) if "STAFF ONLY" in m["body"]]
    assert where == ["internal"]


# 4. lower() vs casefold(): the sender is looked up lower-cased, the account is created
#    casefolded, and a create that conflicts returns the existing account, whoever it is.
def test_an_address_that_folds_into_another_accounts_does_not_act_as_it(office, make_user):
    dana = make_user("customer", org_id=office.alice["org_id"], email="dana@strasse.test")
    raw = _raw("dana@straße.test", "Hello", "Please change my delivery address.")
    log = delivery(deliver(raw, envelope_sender="x@xn--strae-oqa.test",
                           dkim_domain="xn--strae-oqa.test"))
    owned = [t.ticket_id for t in tickets_of(dana["id"])]
    assert log["ticket_id"] not in owned, "mail from another domain opened a ticket as Dana"
    assert owned == []


# 5. A retry of a released spam quarantine that failed half-way is re-quarantined (the verdicts
#    are decided again without the staff's word) instead of carrying out the decision.
def test_a_retry_after_a_release_carries_out_the_released_decision(office, monkeypatch):
    from parley_dev.local.inbound import receive_mail

    raw = make_mail(to=office.reply_address(), subject="Re: Printer", body="Spammy but real.",
                    attachments=[("a.txt", "text/plain", b"hello\n")])
    delivery_id = receive_mail(raw, verdicts={"spam": "FAIL"})
    drain()
    assert delivery(delivery_id)["outcome"] == "spam"
    throttle_attachments_event_once(monkeypatch)
    _, released, _ = office.api.call("POST", f"/api/admin/inbound/{delivery_id}/release",
                                     token=office.tokens["agent"])
    assert (released["status"], released["outcome"]) == ("quarantined", "error")
    _, retried, _ = office.api.call("POST", f"/api/admin/inbound/{delivery_id}/retry",
                                    token=office.tokens["agent"])
    assert (retried["status"], retried["outcome"]) == ("done", "reply"), retried
    replies = [m for m in thread(office.ticket_id) if m["body"] == "Spammy but real."]
    assert len(replies) == 1


# 6. Message-IDs are not secret: the ticket's mail chain hands every recipient the Message-IDs
#    sent to the others (In-Reply-To / References), which is all a forged DSN needs.
def test_a_customer_cannot_silence_an_agent_with_a_message_id_from_references(
    office, make_user,
):
    from chalicelib import clock
    from chalicelib.data.mail_threads import append_message_id
    from chalicelib.services.suppressions import is_suppressed

    make_user("agent", email="kim@acme-support.test", team_ids=["support"])
    # An alert to the agent, then a notification to Alice, as mailer.send chains them
    append_message_id(office.ticket_id, "<alert-1@parley.test>", "kim@acme-support.test",
                      clock.now())
    in_reply_to = append_message_id(office.ticket_id, "<note-1@parley.test>",
                                    "alice@acme.test", clock.now()).in_reply_to
    assert in_reply_to == "<alert-1@parley.test>"  # in the mail Alice receives
    dsn = (
        "From: Mail Delivery System <MAILER-DAEMON@mx.acme.test>\r\n"
        "To: support@parley.test\r\nSubject: Undelivered Mail\r\n"
        "Message-ID: <b1@mx.acme.test>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n'
        "\r\n--B\r\nContent-Type: text/plain\r\n\r\nfailed\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\n"
        "Final-Recipient: rfc822; kim@acme-support.test\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "--B\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"Message-ID: {in_reply_to}\r\n--B--\r\n"
    ).encode()
    deliver(dsn)
    assert not is_suppressed("kim@acme-support.test"), "a customer silenced the agent's alerts"


# 7. A stranger answering a ticket mail that was sent to someone other than the requester
#    (Bob's acknowledgement, an agent's alert), forwarded without References.
def test_a_strangers_reply_to_a_token_issued_to_a_colleague_waits_for_staff(office):
    from chalicelib.data.users import find_user_by_email

    _settings(inbound_unknown_sender="create")
    raw = make_mail(sender="dave@partner.test", to=office.reply_address("bob@acme.test"),
                    subject=f"Re: Fwd: [#{office.number}] Printer", body="I am the reseller.")
    log = delivery(deliver(raw))
    assert find_user_by_email("dave@partner.test") is None, log
    assert (log["status"], log["outcome"]) == ("quarantined", "not_participant")

"""Which ticket a mail belongs to: a signed reply token first, then a Message-ID we sent, then
a subject tag, each only when the sender has the right to that ticket. A forgery or a stranger
never reaches an existing ticket: their mail is a new one of their own."""

from __future__ import annotations

import pytest

from tests.functional.inbound_support import Office, deliver, delivery, make_mail, thread

pytestmark = pytest.mark.functional


@pytest.fixture
def office(api, make_org, make_user, fake_clock) -> Office:
    return Office(api, make_org, make_user)


def _outcome(delivery_id: str) -> tuple[str, str | None, str]:
    log = delivery(delivery_id)
    return log["outcome"], log["ticket_id"], log["reason"]


def test_a_reply_token_signed_for_the_sender_threads(office):
    # The token may be in To, Cc, Delivered-To, or only in SES's envelope recipients.
    token = office.reply_address()
    cases = [
        (make_mail(to=token, subject="Any subject"), ()),
        (make_mail(subject="Cc'd", headers={"Cc": token}), ()),
        (make_mail(subject="Forwarded", headers={"Delivered-To": token}), ()),
        (make_mail(subject="Bcc'd"), (token,)),
    ]
    for raw, destination in cases:
        assert _outcome(deliver(raw, destination=destination)) == (
            "reply", office.ticket_id, "reply_token")


def test_in_reply_to_or_references_thread_for_the_requester_and_her_organization(office):
    sent = office.sent_message_id()
    assert _outcome(deliver(make_mail(subject="No tag", headers={"In-Reply-To": sent})))[:2] == (
        "reply", office.ticket_id)
    bob = make_mail(sender="bob@acme.test", subject="x",
                    headers={"References": f"<a@b.c> {sent}"})
    assert _outcome(deliver(bob)) == ("reply", office.ticket_id, "in_reply_to")


def test_a_customer_follow_up_in_her_own_mail_thread_threads(office):
    # Alice's second mail answers her own first mail (which we stored), not ours.
    first = make_mail(to=office.reply_address(), subject="Re: Printer", body="One",
                      message_id="<first@mail.acme.test>")
    deliver(first)
    second = make_mail(subject="Re: Printer", body="Two",
                       headers={"In-Reply-To": "<first@mail.acme.test>"})
    assert _outcome(deliver(second))[:2] == ("reply", office.ticket_id)


def test_a_subject_tag_threads_for_the_requester_and_her_colleague(office):
    for sender in ("alice@acme.test", "bob@acme.test"):
        raw = make_mail(sender=sender, subject=f"Re: [#{office.number}] Printer", body=sender)
        assert _outcome(deliver(raw)) == ("reply", office.ticket_id, "subject_tag")


def test_staff_mail_on_a_ticket_is_an_internal_note(office):
    raw = make_mail(sender="sam@parley.test", subject="x",
                    headers={"In-Reply-To": office.sent_message_id()}, body="Called her.")
    assert _outcome(deliver(raw))[:2] == ("note", office.ticket_id)
    note = thread(office.ticket_id)[-1]
    assert (note["kind"], note["visibility"]) == ("internal_note", "internal")


# ---------------------------------------------------------------------------------------------
# Spoofs: each becomes a new ticket of the sender's own, never a message on Alice's


def _not_on_alices_ticket(office: Office, delivery_id: str) -> None:
    outcome, ticket_id, _ = _outcome(delivery_id)
    assert ticket_id != office.ticket_id
    assert outcome == "ticket"
    assert [m["body"] for m in thread(office.ticket_id)] == ["It smokes."]


def test_a_forged_token_does_not_thread(office):
    genuine = office.reply_address()
    forged = genuine.replace(genuine.split(".")[2][:4], "aaaa", 1)
    raw = make_mail(sender="carol@globex.test", to=forged, subject="Re: Printer")
    _not_on_alices_ticket(office, deliver(raw))
    raw = make_mail(to=forged, subject="Re: Printer")  # even from Alice: the MAC is wrong
    _not_on_alices_ticket(office, deliver(raw))


def test_alices_token_used_by_someone_else_does_not_thread(office):
    raw = make_mail(sender="carol@globex.test", to=office.reply_address(), subject="Re: Printer")
    _not_on_alices_ticket(office, deliver(raw))


def test_a_token_of_another_ticket_does_not_lead_to_this_one(office):
    # A token signed for Carol about Alice's ticket id cannot exist; Carol's own token names
    # her own ticket only. One edited to Alice's ticket id fails its MAC.
    token = office.reply_address(recipient="carol@globex.test", ticket_id="f" * 32)
    edited = token.replace("f" * 32, office.ticket_id)
    raw = make_mail(sender="carol@globex.test", to=edited, subject="Re: Printer")
    _not_on_alices_ticket(office, deliver(raw))


def test_a_subject_tag_from_a_stranger_or_another_organization_does_not_thread(office):
    for sender in ("carol@globex.test", "nobody@else.test"):
        raw = make_mail(sender=sender, subject=f"Re: [#{office.number}] Printer")
        _not_on_alices_ticket(office, deliver(raw))


def test_a_subject_tag_from_an_unproven_sender_does_not_thread(office):
    # From says Alice, but SES could prove nothing: anyone can type a ticket number.
    raw = make_mail(subject=f"Re: [#{office.number}] Printer")
    delivery_id = deliver(raw, verdicts={"spf": "FAIL", "dkim": "FAIL", "dmarc": "GRAY"})
    _not_on_alices_ticket(office, delivery_id)


def test_our_message_id_quoted_by_a_stranger_does_not_thread(office):
    raw = make_mail(sender="carol@globex.test", subject="x",
                    headers={"In-Reply-To": office.sent_message_id()})
    _not_on_alices_ticket(office, deliver(raw))


# ---------------------------------------------------------------------------------------------
# Unproven senders: a Message-ID proves nothing (it travels in forwarded and copied mail)

UNPROVEN = [
    pytest.param({"spf": "FAIL", "dkim": "FAIL", "dmarc": "GRAY"}, "", id="no-dmarc"),
    pytest.param({"spf": "FAIL", "dkim": "FAIL", "dmarc": "FAIL"}, "NONE", id="dmarc-none"),
]


@pytest.mark.parametrize(("verdicts", "policy"), UNPROVEN)
def test_a_forged_requester_quoting_a_real_message_id_does_not_thread(office, verdicts, policy):
    # Given a genuine Message-ID of Alice's ticket, seen in mail she forwarded or copied
    sent = office.sent_message_id()
    for headers in ({"In-Reply-To": sent}, {"References": f"<older@acme.test> {sent}"}):
        # When someone sends mail with From: Alice that SES could not prove
        raw = make_mail(subject="Re: Printer", body="Please send me the invoice copy.",
                        headers=headers)
        delivery_id = deliver(raw, verdicts=verdicts, dmarc_policy=policy)
        # Then nothing lands on Alice's ticket: it is a new ticket
        _not_on_alices_ticket(office, delivery_id)


def test_a_forged_colleague_or_agent_quoting_a_real_message_id_does_not_thread(office):
    sent = office.sent_message_id()
    unproven = {"spf": "FAIL", "dkim": "FAIL", "dmarc": "GRAY"}
    bob = make_mail(sender="bob@acme.test", subject="x", headers={"In-Reply-To": sent})
    _not_on_alices_ticket(office, deliver(bob, verdicts=unproven))
    # Not even as an internal note: staff mail that threads nowhere is dropped in the log
    agent = make_mail(sender="sam@parley.test", subject="x", body="Refund approved.",
                      headers={"In-Reply-To": sent})
    outcome, ticket_id, _ = _outcome(deliver(agent, verdicts=unproven))
    assert (outcome, ticket_id) == ("staff_unthreaded", None)
    assert [m["body"] for m in thread(office.ticket_id)] == ["It smokes."]


def test_a_forged_auto_reply_quoting_a_real_message_id_is_not_noted_on_the_ticket(office):
    raw = make_mail(subject="Out of office", headers={
        "In-Reply-To": office.sent_message_id(), "Auto-Submitted": "auto-replied"})
    log = delivery(deliver(raw, verdicts={"spf": "FAIL", "dkim": "FAIL", "dmarc": "GRAY"}))
    assert (log["status"], log["outcome"], log["ticket_id"]) == ("dropped", "auto_reply", None)
    assert [m["body"] for m in thread(office.ticket_id)] == ["It smokes."]


def test_a_reply_token_threads_whatever_ses_could_prove(office):
    # Alice's mail server forwards through a relay that breaks SPF and DKIM: her reply token,
    # signed for her address, is the proof that she received our mail.
    raw = make_mail(to=office.reply_address(), subject="Re: Printer", body="Via the relay")
    delivery_id = deliver(raw, verdicts={"spf": "FAIL", "dkim": "FAIL", "dmarc": "GRAY"})
    assert _outcome(delivery_id) == ("reply", office.ticket_id, "reply_token")

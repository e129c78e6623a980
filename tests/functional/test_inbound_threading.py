"""Which ticket a mail belongs to: a signed reply token first, then a Message-ID we sent, then
a subject tag, each only when the sender has the right to that ticket. A forgery or a stranger
never reaches an existing ticket: their mail is a new one of their own."""

from __future__ import annotations

import pytest

from tests.functional.auth_support import environment
from tests.functional.inbound_support import (
    Office,
    deliver,
    delivery,
    make_mail,
    outgoing_count,
    thread,
)

pytestmark = pytest.mark.functional


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


def test_a_reply_token_from_before_a_key_rotation_threads_until_the_previous_key_is_cleared(
    office,
):
    # Given a mail to Alice sent before the signing key was rotated, its Reply-To signed with
    # the old key
    with environment(PARLEY_SIGNING_KEY="the-old-signing-key"):
        token = office.reply_address()

    # When Alice answers it after the rotation, the old key kept as the previous key
    with environment(PARLEY_SIGNING_KEY="the-new-signing-key",
                     PARLEY_SIGNING_KEY_PREVIOUS="the-old-signing-key"):
        answered = deliver(make_mail(to=token, subject="A subject of her own"))
    # Then her answer lands on her ticket by its token
    assert _outcome(answered) == ("reply", office.ticket_id, "reply_token")

    # When she answers the same mail again once the previous key is cleared
    with environment(PARLEY_SIGNING_KEY="the-new-signing-key"):
        late = deliver(make_mail(to=token, subject="Another subject of her own"))
    # Then the token proves nothing any more: without another thread to follow (no tag, no
    # In-Reply-To), the mail opens a new ticket of hers
    outcome, ticket_id, _ = _outcome(late)
    assert outcome == "ticket" and ticket_id != office.ticket_id


def _give_bob_the_organization_view(office: Office) -> None:
    from chalicelib.data.users import get_user, save_user

    bob = get_user(office.bob["id"])
    bob.org_view = True
    save_user(bob)


def test_in_reply_to_or_references_thread_for_the_requester_and_her_organization(office):
    sent = office.sent_message_id()
    assert _outcome(deliver(make_mail(subject="No tag", headers={"In-Reply-To": sent})))[:2] == (
        "reply", office.ticket_id)
    _give_bob_the_organization_view(office)
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


def test_a_subject_tag_threads_for_the_requester_and_her_colleague_with_the_org_view(office):
    _give_bob_the_organization_view(office)
    for sender in ("alice@acme.test", "bob@acme.test"):
        raw = make_mail(sender=sender, subject=f"Re: [#{office.number}] Printer", body=sender)
        assert _outcome(deliver(raw)) == ("reply", office.ticket_id, "subject_tag")


def test_a_colleague_without_the_org_view_cannot_mail_his_way_into_a_ticket(office, api):
    # Given Bob, of Alice's organization, to whom the portal does not show her ticket
    status, _, _ = api.call("GET", f"/api/portal/tickets/{office.ticket_id}",
                            token=_token(office.bob))
    assert status == 404
    before = outgoing_count()
    status_before = office.ticket().status
    # When he mails a reply naming her ticket, by its tag or by a Message-ID of its mail
    for headers in ({}, {"In-Reply-To": office.sent_message_id()}):
        raw = make_mail(sender="bob@acme.test", subject=f"Re: [#{office.number}] Printer",
                        body="Add me to this please.", headers=headers)
        delivery_id = deliver(raw)
        # Then it is a new ticket of his own; Alice's thread and status are untouched
        _not_on_alices_ticket(office, delivery_id)
    assert office.ticket().status == status_before
    # And nothing mailed to Bob names Alice's subject or carries a token for her ticket
    for mail in _mail_to("bob@acme.test", since=before):
        assert "Printer" not in mail["subject"] or f"#{office.number}" not in mail["subject"]
        assert office.ticket_id not in mail["raw"]


def _token(user: dict) -> str:
    from tests.functional.notification_support import session_token

    return session_token(user)


def _mail_to(address: str, *, since: int) -> list[dict]:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    sent = getattr(ses_backends[DEFAULT_ACCOUNT_ID]["eu-west-1"], "sent_messages", [])[since:]
    found = []
    for message in sent:
        raw = getattr(message, "raw_data", "") or ""
        if address in str(getattr(message, "destinations", "")) or f"To: {address}" in raw:
            subject = next((line[9:] for line in raw.splitlines()
                            if line.startswith("Subject: ")), "")
            found.append({"subject": subject, "raw": raw})
    return found


def test_staff_mail_on_a_ticket_is_an_internal_note(office):
    raw = make_mail(sender="sam@parley.test", subject="x",
                    headers={"In-Reply-To": office.sent_message_id()}, body="Called her.")
    assert _outcome(deliver(raw))[:2] == ("note", office.ticket_id)
    note = thread(office.ticket_id)[-1]
    assert (note["kind"], note["visibility"]) == ("internal_note", "internal")


# ---------------------------------------------------------------------------------------------
# Spoofs: each becomes a new ticket of the sender's own, never a message on Alice's


def _not_on_alices_ticket(office: Office, delivery_id: str, *, held: bool = False) -> None:
    """A new ticket of the sender's own, or (`held`: SES could not prove the sender) held
    for staff as unverified; either way nothing reached Alice's ticket."""
    outcome, ticket_id, _ = _outcome(delivery_id)
    assert ticket_id != office.ticket_id
    if held:
        log = delivery(delivery_id)
        assert (log["status"], outcome, ticket_id) == ("quarantined", "unverified_sender", None)
    else:
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
    _not_on_alices_ticket(office, delivery_id, held=True)


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
        # Then nothing lands on Alice's ticket: it is held for staff
        _not_on_alices_ticket(office, delivery_id, held=True)


def test_a_forged_colleague_or_agent_quoting_a_real_message_id_does_not_thread(office):
    sent = office.sent_message_id()
    unproven = {"spf": "FAIL", "dkim": "FAIL", "dmarc": "GRAY"}
    bob = make_mail(sender="bob@acme.test", subject="x", headers={"In-Reply-To": sent})
    _not_on_alices_ticket(office, deliver(bob, verdicts=unproven), held=True)
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

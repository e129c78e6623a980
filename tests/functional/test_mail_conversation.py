"""One ticket, one mail conversation: every mail about a ticket carries the ticket's own subject,
Outlook's Thread-Topic and a Thread-Index that starts the same, so Gmail, Outlook and Apple Mail
each keep them together; and a subject with accents or of any length reads back exactly as
written, whatever decoder the reader's mail program uses."""

from __future__ import annotations

import base64
import email
import email.policy
import re
from email.header import decode_header, make_header

import pytest

from tests.functional.notification_support import mails_to, raw_mails, session_token

pytestmark = pytest.mark.functional


def _index(mail: dict) -> bytes:
    return base64.b64decode(mail["headers"]["thread-index"])


def test_every_mail_of_a_ticket_is_one_conversation_in_every_mail_program(
    desk, stream, fake_clock
):
    # Given Alice's ticket: her acknowledgement, the team's alert, then two answers an hour apart
    ticket_id = desk.open_ticket(subject="Écran noir au démarrage")
    stream.pump()
    desk.answer(ticket_id, "Try a hard reset.")
    stream.pump()
    fake_clock.advance(3600)
    desk.answer(ticket_id, "Any better?")
    stream.pump()
    mails = mails_to("alice@acme.test")
    assert [("received your message" in m["text"], "You have a new message" in m["text"])
            for m in mails] == [(True, False), (False, True), (False, True)]

    # Then each has the ticket's subject, and Outlook's topic, exactly
    for mail in mails:
        assert mail["subject"] == "[#1001] Écran noir au démarrage"
        assert mail["headers"]["thread-topic"] == "[#1001] Écran noir au démarrage"
    # And the same 22-byte Thread-Index header (0x01, the start time, the ticket's GUID); each
    # later mail adds one response level whose time is later than the one before
    first, *later = [_index(m) for m in mails]
    assert len(first) == 22 and first[0] == 1
    assert first[6:] == bytes.fromhex(ticket_id)
    levels = []
    for index in later:
        assert len(index) == 27 and index[:22] == first
        levels.append(int.from_bytes(index[22:26], "big"))
    assert levels[0] < levels[1] and not levels[1] >> 31  # under 1.7 years: the fine unit
    # An hour is 36e9 FILETIME ticks, in units of 2**18 ticks
    assert abs((levels[1] - levels[0]) - 36_000_000_000 / 2**18) < 2
    # And each answers the one before (References), as before
    assert mails[2]["headers"]["in-reply-to"] == mails[1]["headers"]["message-id"]


@pytest.mark.parametrize("subject", [
    "Écran noir au démarrage",
    "x" * 29 + " Écran noir au démarrage du poste de travail",  # folds right at a space
    "Żółw nie działa — drukarka na drugim piętrze znowu nie drukuje dokumentów PDF",
    "A plain subject that is long enough to be folded over more than one line of the header",
    "See https://example.test/a/very/long/path/without/any/space/to/fold/at?and=a&query=1",
])
def test_a_subject_reads_back_exactly_as_written(desk, stream, subject):
    desk.open_ticket(subject=subject)
    stream.pump()
    [mail] = mails_to("alice@acme.test")
    expected = f"[#1001] {subject}"
    head = mail["raw"].split("\n\n", 1)[0]
    folded = re.search(r"^Subject:(.*(?:\n[ \t].*)*)", head, re.M).group(1)
    # Lines a mail server accepts, each continuation starting with one space only
    for line in ("Subject:" + folded).split("\n"):
        assert len(line) <= 78, line
    assert all(line.startswith(" ") and not line.startswith("  ")
               for line in folded.split("\n")[1:]), folded
    # Read back by the modern parser, and by the plain RFC 2047 rules (unfold, then decode:
    # whitespace between two encoded words is dropped), it is the same subject, every space kept
    assert mail["subject"] == expected
    unfolded = re.sub(r"\n(?=[ \t])", "", folded).strip()
    assert str(make_header(decode_header(unfolded))) == expected
    reparsed = email.message_from_string(mail["raw"], policy=email.policy.SMTPUTF8)
    assert str(reparsed["Subject"]) == expected


def test_a_subject_that_looks_like_an_encoded_word_stays_text_and_injects_nothing(desk, stream):
    # Given a customer's subject written to smuggle a line break in as an RFC 2047 encoded word
    subject = ("Hi =?UTF-8?Q?=0AContent-Type:_text/plain=0A=0APhish?= "
               "=?UTF-8?Q?=0AReply-To:_attacker@evil.test?=")
    desk.open_ticket(subject=subject)
    stream.pump()
    [mail] = mails_to("alice@acme.test")
    # Then the subject reads back as the literal text typed, and no header was added
    assert mail["subject"] == f"[#1001] {subject}"
    head = mail["raw"].split("\n\n", 1)[0]
    assert "attacker@evil.test" not in mail["headers"].get("reply-to", "")
    assert not re.search(r"^(Reply-To: .*evil|Content-Type: text/plain$)", head, re.M), head
    # And the body is the mail's own, which quotes the subject as text
    assert mail["text"].startswith("Hello Alice") and subject in mail["text"]


def test_the_subject_of_a_ticket_mail_is_not_reworded(api, make_user, desk, stream):
    admin = session_token(make_user("admin"))
    # When an admin tries to reword a notification's subject, it is refused with the reason
    status, body, _ = api.call("PATCH", "/api/admin/settings", {"notification_templates": {
        "secure_notification": {"en": {"subject": "A reply is waiting"}}}}, token=admin)
    assert status == 400
    assert body["error"]["details"][0]["code"] == "subject_fixed"
    # And the editor shows which mails keep the ticket's subject
    status, listed, _ = api.call("GET", "/api/admin/settings/mail-templates", token=admin)
    assert status == 200
    fixed = {entry["name"] for entry in listed["templates"] if entry["subject_fixed"]}
    assert fixed == {"secure_notification", "acknowledgement", "support_alert", "digest",
                     "inbound_blocked"}
    # While an account mail's subject is still the admin's to word
    status, _, _ = api.call("PATCH", "/api/admin/settings", {"notification_templates": {
        "invite": {"en": {"subject": "Welcome to Acme's help desk"}}}}, token=admin)
    assert status == 200


def test_a_subject_saved_before_the_rule_is_not_used(desk, stream):
    from chalicelib.data import settings as settings_store
    from chalicelib.services.settings import forget_cached_settings

    # Given a reworded notification subject stored before ticket mails kept the ticket's subject
    item = settings_store.get_settings_item()
    settings_store.save_settings_item(item, {**item.data, "notification_templates": {
        "secure_notification": {"en": {"subject": "A reply is waiting",
                                       "body": "Read the answer: {{ link }}"}}}}, 0)
    forget_cached_settings()
    # When the team answers
    ticket_id = desk.open_ticket()
    desk.answer(ticket_id)
    stream.pump()
    # Then the notice keeps the admin's body under the ticket's subject
    [notice] = [m for m in raw_mails() if "Read the answer" in m["text"]]
    assert notice["subject"] == "[#1001] Printer on fire"

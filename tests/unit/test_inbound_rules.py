"""The verdict table, cell by cell, and reading SES's notification in either envelope."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chalicelib.services.inbound.rules import (
    STATUSES,
    VERDICT_NAMES,
    UnreadableNotification,
    decide,
    read_receipt,
    unwrap,
)

pytestmark = pytest.mark.unit

PASS = dict.fromkeys(VERDICT_NAMES, "PASS")
BOTH = frozenset({"spf", "dkim", "dmarc"})
EVENT = Path(__file__).resolve().parents[1] / "events" / "ses_received.json"


@pytest.mark.parametrize("verdict", VERDICT_NAMES)
@pytest.mark.parametrize("status", STATUSES)
def test_every_cell_decides(verdict, status):
    decision = decide({**PASS, verdict: status}, "", aligned=BOTH)
    expected_action = {
        ("virus", "FAIL"): "quarantine", ("virus", "PROCESSING_FAILED"): "quarantine",
        ("spam", "FAIL"): "quarantine",
    }.get((verdict, status), "accept")
    assert decision.action == expected_action
    assert decision.withhold_attachments == (verdict == "virus" and status != "PASS")
    # One failing SPF or DKIM leaves the other to prove the sender; a DMARC that did not run
    # leaves them to it; only a DMARC failure outweighs them.
    proven = not (verdict == "dmarc" and status == "FAIL")
    assert decision.proven_sender == proven


def test_spf_and_dkim_both_failing_leave_the_sender_unproven_without_refusing():
    decision = decide({**PASS, "spf": "FAIL", "dkim": "GRAY", "dmarc": "GRAY"}, "")
    assert (decision.action, decision.proven_sender) == ("accept", False)


@pytest.mark.parametrize(("policy", "action", "reason"), [
    ("REJECT", "reject", "dmarc_reject"), ("QUARANTINE", "quarantine", "dmarc"),
    ("NONE", "accept", ""), ("", "accept", ""),
])
def test_dmarc_failure_goes_by_policy(policy, action, reason):
    decision = decide({**PASS, "dmarc": "FAIL"}, policy)
    assert (decision.action, decision.reason, decision.proven_sender) == (action, reason, False)


def test_reject_wins_over_quarantine_and_release():
    verdicts = {**PASS, "dmarc": "FAIL", "spam": "FAIL", "virus": "FAIL"}
    assert decide(verdicts, "REJECT").action == "reject"
    assert decide(verdicts, "REJECT", released=True).action == "reject"
    assert decide(verdicts, "QUARANTINE").reason == "virus"


def test_release_lets_held_mail_through_but_never_a_virus_attachment():
    released = decide({**PASS, "virus": "FAIL", "spam": "FAIL"}, "", released=True)
    assert (released.action, released.withhold_attachments) == ("accept", True)


def test_missing_verdicts_count_as_not_computed():
    ses = json.loads(json.loads(EVENT.read_text())["Message"])
    del ses["receipt"]["virusVerdict"]
    assert read_receipt(ses).verdicts["virus"] == "PROCESSING_FAILED"
    assert decide(read_receipt(ses).verdicts, "").reason == "virus_unscanned"


def test_both_envelopes_are_read():
    envelope = EVENT.read_text()
    raw = json.loads(envelope)["Message"]
    assert read_receipt(unwrap(envelope)) == read_receipt(unwrap(raw))
    receipt = read_receipt(unwrap(raw))
    assert receipt.object_key.startswith("raw/") and receipt.bucket == "parley-test-inbound"
    assert receipt.destination == ["support@parley.test"]


@pytest.mark.parametrize("body", ["", "nope", "[]", '{"Type": "Notification", "Message": "x"}'])
def test_garbage_is_unreadable(body):
    with pytest.raises(UnreadableNotification):
        read_receipt(unwrap(body))


def test_spf_or_dkim_passing_for_another_domain_proves_nothing_about_from():
    # DMARC did not run (GRAY): SPF passed for the envelope's domain and DKIM for the
    # signer's, neither of them the From domain
    verdicts = {**PASS, "dmarc": "GRAY"}
    assert decide(verdicts, "", aligned=frozenset()).proven_sender is False
    assert decide(verdicts, "", aligned=frozenset({"dkim"})).proven_sender is True
    assert decide({**verdicts, "dkim": "FAIL"}, "", aligned=frozenset({"dkim"})).proven_sender \
        is False
    # DMARC passing counts for the domain SES checked it for, which must be From's
    assert decide(PASS, "", aligned=frozenset({"dmarc"})).proven_sender is True
    assert decide(PASS, "", aligned=frozenset()).proven_sender is False


def _receipt(source: str, auth_results: list[str]) -> object:
    notification = json.loads(json.loads(EVENT.read_text())["Message"])
    notification["mail"]["source"] = source
    notification["mail"]["headers"] = [
        {"name": "Authentication-Results", "value": v} for v in auth_results
    ] + [{"name": "From", "value": "Alice <alice@acme.test>"}]
    return read_receipt(notification)


def test_alignment_reads_the_envelope_and_ses_own_authentication_results():
    ses = "amazonses.com; spf=pass envelope-from={}; dkim=pass header.i=@{}; dmarc=none"
    aligned = _receipt("bounce@mail.acme.test", [ses.format("x", "acme.test")])
    assert aligned.aligned("alice@acme.test") == {"spf", "dkim"}  # dmarc=none names no domain
    other = _receipt("list@lists.example", [ses.format("x", "lists.example")])
    assert other.aligned("alice@acme.test") == frozenset()
    # A header the sender wrote below SES's own is ignored, and one not by SES is not read
    forged = _receipt("x@evil.test", [ses.format("x", "evil.test"), ses.format("x", "acme.test")])
    assert forged.aligned("alice@acme.test") == frozenset()
    theirs = _receipt("x@evil.test", ["mx.evil.test; dkim=pass header.d=acme.test"])
    assert theirs.aligned("alice@acme.test") == frozenset()
    # acme.test does not align with notacme.test
    assert _receipt("a@notacme.test", []).aligned("alice@acme.test") == frozenset()


def test_the_recorded_notification_is_aligned():
    ses = read_receipt(json.loads(json.loads(EVENT.read_text())["Message"]))
    assert ses.aligned("alice@acme.test") == {"spf", "dkim", "dmarc"}
    assert ses.summary()["dkim_domains"] == ["acme.test"]


def test_words_the_sender_wrote_inside_ses_header_are_not_read_as_clauses():
    # The envelope sender, echoed by SES, carries a fake clause in its quoted local part
    ses = ('amazonses.com; spf=pass envelope-from="x dkim=pass header.i=@acme.test"@evil.test; '
           "dkim=pass header.i=@evil.test; dmarc=none header.from=acme.test")
    receipt = _receipt("x@evil.test", [ses])
    assert receipt.dkim_domains == ("evil.test",)
    assert receipt.aligned("alice@acme.test") == {"dmarc"}  # the domain SES checked, no pass
    # header.d= is read whole
    assert _receipt("a@b.test", ["amazonses.com; dkim=pass header.d=acme.test"]).dkim_domains \
        == ("acme.test",)

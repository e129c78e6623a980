"""Every real-world message of the corpora goes through the whole pipeline (SES notification,
queue, handler, parse, decide, write) and ends somewhere on record: a ticket, a reply, an
event, a quarantine entry, a rejection or a drop. Never an error, never silence."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.functional.inbound_support import Office, deliver, delivery

pytestmark = pytest.mark.functional

CORPORA = Path(__file__).resolve().parents[1] / "corpora"
FILES = sorted(
    p for p in CORPORA.rglob("*")
    if p.is_file() and p.suffix != ".md" and not p.name.startswith(("LICENSE", "."))
)
OUTCOMES = {"ticket", "reply", "note", "event", "blocked", "auto_reply", "bounce", "loop",
            "unknown_sender", "sender_disabled", "staff_unthreaded", "no_sender", "unhandled",
            "not_participant", "unverified_sender", "reserved_sender"}


def test_the_corpora_are_there():
    assert len(FILES) >= 100


def test_every_corpus_message_ends_on_record(api, make_org, make_user, fake_clock):
    Office(api, make_org, make_user)
    ends: dict[str, list[str]] = {}
    for path in FILES:
        delivery_id = deliver(path.read_bytes())  # asserts no batch item failed
        log = delivery(delivery_id)
        name = str(path.relative_to(CORPORA))
        assert log["status"] in {"done", "quarantined", "rejected", "dropped"}, (name, log)
        assert log["outcome"] in OUTCOMES, (name, log)
        ends.setdefault(log["outcome"], []).append(name)
    # Most of them are people writing in; the machines among them were recognised.
    assert len(ends["ticket"]) > len(FILES) / 2, ends.keys()
    assert ends.get("bounce") and ends.get("auto_reply"), sorted(ends)

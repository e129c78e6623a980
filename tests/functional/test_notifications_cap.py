"""The per-recipient rate cap: ten mails per ticket per ten minutes, then one digest."""

from __future__ import annotations

import pytest

from chalicelib.services import outbox
from parley_dev.local.pump import FakeContext, _schedule_event
from tests.functional.notification_support import Stream, handler, mails_to

pytestmark = pytest.mark.functional


def _flush() -> dict:
    return handler("flush_mail_digests")(_schedule_event(), FakeContext())


def _secure(address: str) -> list[dict]:
    return [m for m in mails_to(address) if "You have a new message" in m["text"]]


def _capped(address: str) -> list[dict]:
    """Every mail but the digests: the acknowledgement of her question counts too."""
    return [m for m in mails_to(address) if "more update" not in m["text"]]


def _digests(address: str) -> list[dict]:
    return [m for m in mails_to(address) if "more update" in m["text"]]


def test_beyond_ten_mails_the_rest_wait_for_one_digest(fake_clock, desk, aws):
    stream = Stream()
    ticket_id = desk.open_ticket()
    # Given the agent answers thirteen times within a few minutes
    for n in range(13):
        desk.answer(ticket_id, f"Step {n}")
        fake_clock.advance(10)
    assert stream.pump() == {"batchItemFailures": []}
    # Then Alice got ten mails (the acknowledgement of her question and nine secure
    # notifications), and four answers are held
    assert len(_capped("alice@acme.test")) == outbox.WINDOW_LIMIT
    assert len(_secure("alice@acme.test")) == outbox.WINDOW_LIMIT - 1
    assert _digests("alice@acme.test") == []
    # And nothing is flushed while the window is open
    assert _flush() == {"digests": 0}
    # When the window closes, one digest tells of the four others
    fake_clock.advance(outbox.WINDOW_SECONDS)
    assert _flush() == {"digests": 1}
    [digest] = _digests("alice@acme.test")
    assert digest["subject"] == "[#1001] Printer on fire"
    assert "had 4 more updates" in digest["text"]
    assert f"/tickets/{ticket_id}" in digest["text"]
    # It joined the ticket's thread like the others
    previous = _secure("alice@acme.test")[-1]["headers"]["message-id"]
    assert previous in digest["headers"]["references"].split()
    # And a second flush sends nothing more
    assert _flush() == {"digests": 0}
    assert len(_digests("alice@acme.test")) == 1
    # The next answer opens a new window: sent at once
    desk.answer(ticket_id, "All done")
    stream.pump()
    assert len(_secure("alice@acme.test")) == outbox.WINDOW_LIMIT


def test_the_cap_is_per_ticket(fake_clock, desk, aws):
    stream = Stream()
    busy, quiet = desk.open_ticket(subject="Busy"), desk.open_ticket(subject="Quiet")
    for n in range(outbox.WINDOW_LIMIT):
        desk.answer(busy, f"Step {n}")
    desk.answer(quiet, "Hello")
    stream.pump()
    subjects = [m["subject"] for m in _secure("alice@acme.test")]
    # Busy: her acknowledgement and nine answers reached the cap; Quiet has its own window
    assert len(subjects) == outbox.WINDOW_LIMIT - 1 + 1
    assert sum("Quiet" in s for s in subjects) == 1


def test_mail_held_while_a_digest_is_due_goes_into_that_digest(fake_clock, desk, aws):
    stream = Stream()
    ticket_id = desk.open_ticket()
    for n in range(outbox.WINDOW_LIMIT + 1):
        desk.answer(ticket_id, f"Step {n}")
    stream.pump()
    # The window has closed but the flush has not run yet when another answer comes
    fake_clock.advance(outbox.WINDOW_SECONDS + 1)
    desk.answer(ticket_id, "One more")
    stream.pump()
    assert len(_capped("alice@acme.test")) == outbox.WINDOW_LIMIT
    assert _flush() == {"digests": 1}
    [digest] = _digests("alice@acme.test")
    assert "had 3 more updates" in digest["text"]


def test_a_crash_after_the_digest_went_out_does_not_send_it_twice(monkeypatch, fake_clock, desk,
                                                                   aws):
    from chalicelib.data import mail_windows

    stream = Stream()
    ticket_id = desk.open_ticket()
    for n in range(outbox.WINDOW_LIMIT + 2):
        desk.answer(ticket_id, f"Step {n}")
    stream.pump()
    fake_clock.advance(outbox.WINDOW_SECONDS + 1)
    real_settle = mail_windows.settle_digest

    def crash(*args, **kwargs):
        raise RuntimeError("the function timed out")

    # When the flush dies between sending the digest and recording it
    monkeypatch.setattr(mail_windows, "settle_digest", crash)
    assert _flush() == {"digests": 0}
    assert len(_digests("alice@acme.test")) == 1
    # Then the next run finds the digest sent and only records it
    monkeypatch.setattr(mail_windows, "settle_digest", real_settle)
    assert _flush() == {"digests": 0}
    assert _flush() == {"digests": 0}
    assert len(_digests("alice@acme.test")) == 1


def test_a_customer_who_chose_a_daily_digest_gets_one_mail_a_day_per_ticket(
        fake_clock, desk, api, aws):
    stream = Stream()
    # Given Alice chose a daily digest on her profile page
    status, _, _ = api.call("PATCH", "/api/me", {"notifications": "digest"},
                            token=desk.customer_token())
    assert status == 200
    ticket_id = desk.open_ticket()
    # When the agent answers three times over half an hour
    for n in range(3):
        desk.answer(ticket_id, f"Step {n}")
        fake_clock.advance(600)
    assert stream.pump() == {"batchItemFailures": []}
    # Then nothing reached her at once, not even the acknowledgement of her question
    assert mails_to("alice@acme.test") == []
    assert _flush() == {"digests": 0}
    # A day after the first of them, one digest tells of all four
    fake_clock.advance(outbox.DAY_SECONDS)
    assert _flush() == {"digests": 1}
    [digest] = _digests("alice@acme.test")
    assert "had 4 more updates" in digest["text"]
    assert f"/tickets/{ticket_id}" in digest["text"]
    assert "Step 0" not in digest["text"]  # like every notice, it never carries a message
    # And a second flush sends nothing more
    assert _flush() == {"digests": 0}
    assert len(mails_to("alice@acme.test")) == 1

"""The inbound queue hands Lambda up to ten notifications at once (infra/: ReportBatchItemFailures
on the event source): one that fails comes back alone, the others are not received twice."""

from __future__ import annotations

import pytest

from tests.functional.inbound_support import delivery, drain, make_mail, queued

pytestmark = pytest.mark.functional


def test_one_failing_mail_in_a_batch_is_reported_alone(office, monkeypatch):
    from chalicelib.services.inbound import people
    from parley_dev.local.inbound import receive_mail

    # Given three mails waiting in the queue, the second of which cannot be handled yet
    original = people.ticket_mail.open_email_ticket

    def fails_for_one(**kwargs):
        if kwargs["subject"] == "Unlucky":
            raise RuntimeError("database on fire")
        return original(**kwargs)

    monkeypatch.setattr(people.ticket_mail, "open_email_ticket", fails_for_one)
    ids = [receive_mail(make_mail(subject=subject, body=f"About {subject}."))
           for subject in ("First", "Unlucky", "Third")]
    assert len(queued()) == 3

    # When the queue hands them to the handler as one batch
    answers = drain()

    # Then only the failing one is reported, and only it is back in the queue
    assert len(answers) == 1
    assert len(answers[0]["batchItemFailures"]) == 1
    (waiting,) = queued()
    assert ids[1] in waiting["Body"]
    # And the two others became tickets once
    assert [delivery(i)["status"] for i in ids] == ["done", "failed", "done"]
    # And once the cause is gone, the retry handles the one that failed
    monkeypatch.setattr(people.ticket_mail, "open_email_ticket", original)
    assert drain()[-1] == {"batchItemFailures": []}
    assert delivery(ids[1])["status"] == "done"

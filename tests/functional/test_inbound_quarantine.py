"""Mail that cannot be handled ends in the quarantine list, never in silence: an attempt that
dies on every receive, a receive that is the last one, a delivery the queue gave up on (the
sweep); and a quarantined message can be re-run whatever its age, because its raw mail is kept
where the bucket's retention does not reach."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from parley_dev.local.pump import FakeContext
from tests.functional.conversation_support import run_job
from tests.functional.inbound_support import (
    Office,
    deliver,
    delivery,
    drain,
    forget_queued,
    make_mail,
    sqs_record,
    tickets_of,
)
from tests.functional.notification_support import handler

pytestmark = pytest.mark.functional


def _listed(office: Office, status: str) -> dict[str, dict]:
    code, page, _ = office.api.call("GET", f"/api/admin/inbound?status={status}",
                                    token=office.tokens["agent"])
    assert code == 200, page
    return {item["id"]: item for item in page["items"]}


def _retry(office: Office, delivery_id: str) -> dict:
    code, answer, _ = office.api.call("POST", f"/api/admin/inbound/{delivery_id}/retry",
                                      token=office.tokens["agent"])
    assert code == 200, answer
    return answer


def _dies(monkeypatch: pytest.MonkeyPatch) -> Callable[[], None]:
    """Every attempt is killed before it can record anything (a timeout, out of memory);
    returns what lifts the cause."""
    from chalicelib.services.inbound import pipeline

    def killed(*args, **kwargs):
        raise SystemExit("Task timed out after 60.00 seconds")

    original = pipeline._handle
    monkeypatch.setattr(pipeline, "_handle", killed)
    return lambda: monkeypatch.setattr(pipeline, "_handle", original)


def _raw_objects(prefix: str) -> list[str]:
    from chalicelib.adapters.aws import client
    from chalicelib.config import get_settings

    listed = client("s3").list_objects_v2(Bucket=get_settings().inbound_bucket, Prefix=prefix)
    return [o["Key"] for o in listed.get("Contents", [])]


def _expire_raw(delivery_id: str) -> None:
    """What the bucket's retention does to raw/ after its days."""
    from chalicelib.adapters.aws import client
    from chalicelib.config import get_settings

    client("s3").delete_object(Bucket=get_settings().inbound_bucket, Key=f"raw/{delivery_id}")


# ---------------------------------------------------------------------------------------------
# Attempts that die, receives that run out


def test_a_crash_on_every_attempt_ends_listed_in_quarantine_with_the_reason(
    office, fake_clock, monkeypatch
):
    from chalicelib.services.inbound import deliveries
    from parley_dev.local.inbound import receive_mail

    # Given a mail whose every attempt is killed half-way
    cured = _dies(monkeypatch)
    delivery_id = receive_mail(make_mail(subject="Poison"))
    # When the queue brings it back after each death (every receive a real attempt: the lease
    # has run out by the time the message is visible again)
    for attempt in range(1, deliveries.MAX_ATTEMPTS + 1):
        with pytest.raises(SystemExit):
            drain()
        assert delivery(delivery_id)["attempts"] == attempt
        fake_clock.advance(deliveries.QUEUE_VISIBILITY_SECONDS)
    # Then the next receive does not run it again but quarantines it, and the queue lets go
    assert drain()[-1] == {"batchItemFailures": []}
    item = _listed(office, "quarantined")[delivery_id]
    assert (item["status"], item["outcome"]) == ("quarantined", "unfinished")
    assert "did not finish" in item["reason"] and item["raw_kept"]
    # And once the cause is gone, the admin's retry makes it the ticket it should have been
    cured()
    retried = _retry(office, delivery_id)
    assert (retried["status"], retried["outcome"]) == ("done", "ticket")
    assert [t.subject for t in tickets_of(office.alice["id"])].count("Poison") == 1


def test_an_error_on_the_last_receive_is_quarantined_rather_than_left_to_the_queue(
    office, monkeypatch
):
    from chalicelib.adapters.inbound_mail import put_raw
    from chalicelib.config import get_settings
    from chalicelib.services.inbound import deliveries, people
    from parley_dev.local.inbound import receipt_notification

    # Given a notification the queue has already handed over as often as the budget allows
    # (earlier receives found another attempt busy with it), and a store that fails
    def broken(**kwargs):
        raise RuntimeError("throttled")

    monkeypatch.setattr(people.ticket_mail, "open_email_ticket", broken)
    raw = make_mail(subject="Last chance")
    bucket = get_settings().inbound_bucket
    put_raw(bucket, "raw/last1", raw)
    body = json.dumps(receipt_notification(raw, delivery_id="last1", bucket=bucket,
                                           object_key="raw/last1"))
    # When its first real attempt fails on that last receive
    answer = handler("inbound_mail")(
        {"Records": [sqs_record(body, receive_count=deliveries.MAX_ATTEMPTS)]}, FakeContext())
    # Then it is quarantined with the error, not handed back to go silent in the dead letters
    assert answer == {"batchItemFailures": []}
    log = delivery("last1")
    assert (log["status"], log["outcome"], log["attempts"]) == ("quarantined", "error", 1)
    assert "throttled" in log["reason"]


def test_the_sweep_quarantines_a_delivery_left_processing_that_nothing_will_bring_back(
    office, app_client, fake_clock, monkeypatch
):
    from chalicelib.services.inbound import deliveries
    from parley_dev.local.inbound import receive_mail

    # Given an attempt that died, and a queue that will not deliver the message again
    cured = _dies(monkeypatch)
    delivery_id = receive_mail(make_mail(subject="Stranded"))
    with pytest.raises(SystemExit):
        drain()
    forget_queued()
    cured()
    # Then staff see it in flight, and stuck once its lease has run out
    assert _listed(office, "processing")[delivery_id]["stuck"] is False
    fake_clock.advance(deliveries.LEASE_SECONDS + 1)
    assert _listed(office, "processing")[delivery_id]["stuck"] is True
    # When the sweep runs while the queue could still bring it back: nothing yet
    assert run_job(app_client, "sweep_inbound") == {"quarantined": 0}
    # And once it is clear that nothing will: quarantined with the reason, raw mail kept
    fake_clock.advance(deliveries.ABANDONED_AFTER_SECONDS)
    assert run_job(app_client, "sweep_inbound") == {"quarantined": 1}
    assert delivery_id not in _listed(office, "processing")
    item = _listed(office, "quarantined")[delivery_id]
    assert item["outcome"] == "unfinished" and "did not finish" in item["reason"]
    assert item["raw_kept"]
    assert run_job(app_client, "sweep_inbound") == {"quarantined": 0}
    # And a retry from the quarantine makes it a ticket
    assert _retry(office, delivery_id)["outcome"] == "ticket"


def test_the_sweep_leaves_a_live_attempt_alone_and_staff_may_retry_a_stuck_one_at_once(
    office, app_client, fake_clock, monkeypatch
):
    from chalicelib.data import inbound as store
    from chalicelib.services.inbound import deliveries
    from parley_dev.local.inbound import receive_mail

    # Given one delivery being handled right now
    live = receive_mail(make_mail(subject="In flight"))
    forget_queued()
    from chalicelib import clock

    store.claim_delivery(live, fields={"bucket": "b", "object_key": "raw/x"}, now=clock.now(),
                         lease_seconds=deliveries.LEASE_SECONDS)
    # Then neither the sweep nor a retry takes it over
    assert run_job(app_client, "sweep_inbound") == {"quarantined": 0}
    code, answer, _ = office.api.call("POST", f"/api/admin/inbound/{live}/retry",
                                      token=office.tokens["agent"])
    assert (code, answer["status"]) == (200, "processing")

    # Given another whose attempt died a moment ago
    cured = _dies(monkeypatch)
    stuck = receive_mail(make_mail(subject="Died"))
    with pytest.raises(SystemExit):
        drain()
    forget_queued()
    cured()
    fake_clock.advance(deliveries.LEASE_SECONDS + 1)
    # When staff retry it without waiting for the sweep, Then it is handled
    assert _retry(office, stuck)["outcome"] == "ticket"


# ---------------------------------------------------------------------------------------------
# The raw message of a quarantined mail outlives the bucket's retention


def test_released_spam_whose_raw_message_expired_still_becomes_a_ticket(office):
    # Given spam held in quarantine, its raw mail copied where retention does not reach
    delivery_id = deliver(make_mail(subject="Not spam after all"), verdicts={"spam": "FAIL"})
    assert _listed(office, "quarantined")[delivery_id]["raw_kept"]
    assert _raw_objects("quarantine/") == [f"quarantine/{delivery_id}"]
    # When raw/ has expired (90 days later) and an agent releases it
    _expire_raw(delivery_id)
    code, released, _ = office.api.call("POST", f"/api/admin/inbound/{delivery_id}/release",
                                        token=office.tokens["agent"])
    # Then it becomes the ticket it would have been, read from the kept copy
    assert code == 200 and (released["status"], released["outcome"]) == ("done", "ticket")
    [ticket] = [t for t in tickets_of(office.alice["id"]) if t.subject == "Not spam after all"]
    assert ticket.ticket_id == released["ticket_id"]


def test_a_retry_after_the_raw_message_expired_reads_the_kept_copy(office, monkeypatch):
    from chalicelib.services.inbound import deliveries, people

    # Given mail quarantined after its errors
    original = people.ticket_mail.open_email_ticket

    def broken(**kwargs):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(people.ticket_mail, "open_email_ticket", broken)
    from parley_dev.local.inbound import receive_mail

    delivery_id = receive_mail(make_mail(subject="Old and unlucky"))
    for _ in range(deliveries.MAX_ATTEMPTS):
        drain()
    assert delivery(delivery_id)["status"] == "quarantined"
    monkeypatch.setattr(people.ticket_mail, "open_email_ticket", original)
    # When its raw/ object has expired and the admin retries
    _expire_raw(delivery_id)
    retried = _retry(office, delivery_id)
    # Then it is handled from the copy: no raw_missing
    assert (retried["status"], retried["outcome"]) == ("done", "ticket")


def test_only_quarantined_mail_keeps_a_copy_of_its_raw_message(office):
    done = deliver(make_mail(subject="Fine"))
    rejected = deliver(make_mail(subject="Spoofed"), verdicts={"dmarc": "FAIL"},
                       dmarc_policy="REJECT")
    # Processed mail's raw message follows the retention; a rejection cannot be re-run.
    assert not delivery(done)["raw_kept"] and not delivery(rejected)["raw_kept"]
    assert _raw_objects("quarantine/") == []

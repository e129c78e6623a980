"""Bounces and complaints from SES (through SNS) suppress an address: no more mail of any kind,
and agents see why the customer is not answering."""

from __future__ import annotations

import json

import pytest

from parley_dev.local.pump import FakeContext
from tests.functional.notification_support import (
    Stream,
    handler,
    mails_to,
    raw_mails,
    send_queued_account_mail,
)

pytestmark = pytest.mark.functional


def _sns(notification: dict) -> dict:
    """An SES notification as SNS hands it to Lambda."""
    return {"Records": [{
        "EventSource": "aws:sns", "EventVersion": "1.0",
        "EventSubscriptionArn": "arn:aws:sns:eu-west-1:123456789012:parley-test-mail-feedback:1",
        "Sns": {
            "Type": "Notification", "MessageId": "m-1",
            "TopicArn": "arn:aws:sns:eu-west-1:123456789012:parley-test-mail-feedback",
            "Subject": None, "Message": json.dumps(notification),
            "Timestamp": "2026-11-17T00:00:00Z",
            "MessageAttributes": {},
        },
    }]}


def _bounce(address: str, bounce_type: str = "Permanent") -> dict:
    return {
        "notificationType": "Bounce",
        "bounce": {"bounceType": bounce_type, "bounceSubType": "General", "feedbackId": "fb-1",
                   "bouncedRecipients": [{"emailAddress": address, "status": "5.1.1"}]},
        "mail": {"messageId": "ses-1", "destination": [address]},
    }


def _complaint(address: str) -> dict:
    # A configuration set's event destination says eventType, not notificationType.
    return {
        "eventType": "Complaint",
        "complaint": {"complaintFeedbackType": "abuse", "feedbackId": "fb-2",
                      "complainedRecipients": [{"emailAddress": address}]},
        "mail": {"messageId": "ses-2"},
    }


def _feedback(notification: dict) -> dict:
    return handler("mail_feedback")(_sns(notification), FakeContext())


def test_a_bounced_customer_gets_no_more_mail_and_agents_see_it(api, desk, aws):
    stream = Stream()
    ticket_id = desk.open_ticket()
    stream.pump()
    assert len(mails_to("alice@acme.test")) == 1  # her acknowledgement
    # When her mailbox bounces the mail for good
    assert _feedback(_bounce("Alice@Acme.test")) == {"suppressed": 1}
    desk.answer(ticket_id, "Unplug it.")
    desk.reply(ticket_id, "Done")
    assert stream.pump() == {"batchItemFailures": []}
    # Then neither the secure notification nor the acknowledgement went to her
    assert len(mails_to("alice@acme.test")) == 1
    # Though she still finds the reply in the portal's feed
    status, feed, _ = api.call("GET", "/api/notifications", token=desk.tokens["customer"])
    assert [i["kind"] for i in feed["items"]] == ["reply"]
    # And the console flags her address
    status, view, _ = api.call("GET", f"/api/console/tickets/{ticket_id}",
                               token=desk.tokens["agent"])
    assert status == 200 and view["ticket"]["requester"]["email_suppressed"] is True
    from chalicelib.data.outbox import OutboxModel

    statuses = {d.template: d.status for d in OutboxModel.scan()
                if d.recipient == "alice@acme.test" and d.template != "acknowledgement"}
    assert statuses == {"secure_notification": "suppressed"}


def test_a_complaint_suppresses_every_kind_of_mail(api, desk, make_user, aws):
    bob = make_user("customer", org_id=desk.org["id"], email="bob@acme.test")
    assert _feedback(_complaint("alice@acme.test")) == {"suppressed": 1}
    # Even a password reset: the one sending path refuses her address, not Bob's
    for address in ("alice@acme.test", bob["email"]):
        status, _, _ = api.call("POST", "/api/auth/password-reset", {"email": address})
        send_queued_account_mail()  # the API only queued the mail
        assert status < 300
    assert [m["to"] for m in raw_mails()] == ["bob@acme.test"]


def test_transient_bounces_and_other_events_suppress_nothing(api, desk, aws):
    assert _feedback(_bounce("alice@acme.test", "Transient")) == {"suppressed": 0}
    assert _feedback({"notificationType": "Delivery", "mail": {}}) == {"suppressed": 0}
    assert handler("mail_feedback")(
        {"Records": [{"Sns": {"Message": "not json", "Subject": None, "MessageAttributes": {}}}]},
        FakeContext(),
    ) == {"suppressed": 0}
    stream = Stream()
    ticket_id = desk.open_ticket()
    desk.answer(ticket_id)
    stream.pump()
    assert len(mails_to("alice@acme.test")) == 2
    status, view, _ = api.call("GET", f"/api/console/tickets/{ticket_id}",
                               token=desk.tokens["agent"])
    assert status == 200 and view["ticket"]["requester"]["email_suppressed"] is False


def test_a_suppressed_copy_recipient_is_dropped_but_the_mail_goes(api, make_user, desk, aws):
    from tests.functional.notification_support import session_token

    admin = make_user("admin")
    status, _, _ = api.call("PATCH", "/api/admin/settings", {
        "customer_alert_recipients": {"cc": ["archive@acme.test"]}}, token=session_token(admin))
    assert status == 200
    _feedback(_bounce("archive@acme.test"))
    stream = Stream()
    ticket_id = desk.open_ticket()
    stream.read()
    desk.answer(ticket_id)
    stream.pump()
    [mail] = raw_mails()
    assert mail["to"] == "alice@acme.test" and "cc" not in mail["header_names"]
    assert "archive@acme.test" not in mail["envelope"]

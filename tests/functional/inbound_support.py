"""Helpers of the inbound mail tests: raw mail built from a few fields, delivered as SES would
(raw message in the bucket, receipt notification through SNS → SQS), and the queue drained
into the very handler Lambda runs."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

from chalicelib import clock
from parley_dev.local.pump import FakeContext
from tests.functional.notification_support import handler

SUPPORT = "support@parley.test"


def make_mail(
    *,
    sender: str = "alice@acme.test",
    to: str = SUPPORT,
    subject: str = "Printer on fire",
    body: str = "My printer is on fire.",
    headers: Mapping[str, str] | None = None,
    message_id: str | None = None,
    attachments: Sequence[tuple[str, str, bytes]] = (),
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(clock.utcnow())
    message["Message-ID"] = message_id or f"<{abs(hash((sender, subject, body)))}@mail.example>"
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    for filename, content_type, data in attachments:
        maintype, subtype = content_type.split("/", 1)
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return message.as_bytes()


def _queue() -> tuple[Any, str]:
    from chalicelib.adapters.aws import client
    from chalicelib.config import get_settings

    sqs = client("sqs")
    return sqs, sqs.get_queue_url(QueueName=get_settings().inbound_queue)["QueueUrl"]


def queued() -> list[dict[str, Any]]:
    """Every message waiting in the inbound queue (read, then made visible again)."""
    sqs, url = _queue()
    found = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    for m in found:
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"],
                                      VisibilityTimeout=0)
    return found


def drain(*, repeat: int = 1) -> list[dict[str, Any]]:
    """Hand what is queued to the handler, `repeat` times each (SQS's at-least-once), as
    Lambda would; returns the handler's answers."""
    sqs, url = _queue()
    answers = []
    while True:
        messages = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["ApproximateReceiveCount"]
        ).get("Messages", [])
        if not messages:
            return answers
        event = {"Records": [
            sqs_record(m["Body"], m["MessageId"],
                       receive_count=int(m.get("Attributes", {}).get("ApproximateReceiveCount", 1)))
            for m in messages
        ]}
        try:
            for _ in range(repeat):
                answers.append(_invoke(event))
        except SystemExit:
            # The function died (a timeout, out of memory): the batch comes back to the queue
            # (at once here: the test decides when the retry comes, by moving the clock).
            for m in messages:
                sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"],
                                              VisibilityTimeout=0)
            raise
        failed = {f["itemIdentifier"] for f in answers[-1].get("batchItemFailures", [])}
        for m in messages:
            if m["MessageId"] not in failed:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
            else:  # back in the queue at once: the test decides when the retry comes
                sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"],
                                              VisibilityTimeout=0)
        if failed:
            return answers


def _invoke(event: dict[str, Any]) -> dict[str, Any]:
    from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

    try:
        return dict(handler("inbound_mail")(event, FakeContext()) or {})
    except BatchProcessingError:
        # Every record failed: Lambda returns the whole batch to the queue.
        return {"batchItemFailures": [{"itemIdentifier": r["messageId"]}
                                      for r in event["Records"]]}


def sqs_record(body: str, message_id: str = "m-1", *, receive_count: int = 1) -> dict[str, Any]:
    return {
        "messageId": message_id,
        "receiptHandle": "rh-" + message_id,
        "body": body,
        "attributes": {"ApproximateReceiveCount": str(receive_count)},
        "messageAttributes": {},
        "md5OfBody": "",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:eu-west-1:123456789012:parley-test-inbound-mail",
        "awsRegion": "eu-west-1",
    }


def deliver(
    raw: bytes,
    *,
    verdicts: Mapping[str, str] | None = None,
    dmarc_policy: str = "",
    destination: Sequence[str] = (),
    delivery_id: str | None = None,
    repeat: int = 1,
    envelope_sender: str | None = None,
    dkim_domain: str | None = None,
) -> str:
    """Receive one mail the way SES would and run the handler on it; returns the SES id."""
    from parley_dev.local.inbound import receive_mail

    delivery_id = receive_mail(raw, verdicts=verdicts, dmarc_policy=dmarc_policy,
                               destination=destination, delivery_id=delivery_id,
                               envelope_sender=envelope_sender, dkim_domain=dkim_domain)
    answers = drain(repeat=repeat)
    assert all(not a.get("batchItemFailures") for a in answers), answers
    return delivery_id


def forget_queued() -> None:
    """What the queue still holds is gone, as when its receives are spent (to the DLQ)."""
    sqs, url = _queue()
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
        for m in messages:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])


def delivery(delivery_id: str) -> dict[str, Any]:
    from chalicelib.data.inbound import get_delivery
    from chalicelib.services.inbound.deliveries import shape_delivery

    record = get_delivery(delivery_id)
    assert record is not None, f"no delivery record for {delivery_id}"
    return shape_delivery(record)


def outgoing_count() -> int:
    """Mail SES accepted from us (moto's backend), every kind."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    return len(getattr(ses_backends[DEFAULT_ACCOUNT_ID]["eu-west-1"], "sent_messages", []))


def thread(ticket_id: str) -> list[dict[str, Any]]:
    """Every message of a ticket, internal ones too, oldest first (numbered as the console
    numbers them)."""
    from chalicelib.data.messages import INTERNAL, PUBLIC, list_thread, position_of

    items = []
    for visibility in (PUBLIC, INTERNAL):
        items += list_thread(ticket_id, visibility, after_seq=0, limit=500, cursor=None).items
    return [
        {"seq": position_of(m), "kind": m.kind, "visibility": m.visibility, "body": m.body,
         "author_id": m.author_id, "channel": m.channel,
         "details": m.details if isinstance(m.details, dict) else {}}
        for m in sorted(items, key=position_of)
    ]


def tickets_of(user_id: str) -> list[Any]:
    from chalicelib.data.tickets import query_tickets

    return query_tickets("requester", user_id, "created", limit=100, cursor=None).items


def load_event(name: str) -> dict[str, Any]:
    from pathlib import Path

    return dict(json.loads((Path(__file__).parents[1] / "events" / name).read_text()))


class Office:
    """Acme's requester (Alice), her colleague (Bob), a customer of another organization
    (Carol), an agent, and Alice's ticket."""

    def __init__(self, api: Any, make_org: Any, make_user: Any) -> None:
        from tests.functional.notification_support import session_token

        self.api = api
        acme, globex = make_org("Acme"), make_org("Globex")
        self.alice = make_user("customer", org_id=acme["id"], email="alice@acme.test",
                               name="Alice Martin")
        self.bob = make_user("customer", org_id=acme["id"], email="bob@acme.test")
        self.carol = make_user("customer", org_id=globex["id"], email="carol@globex.test")
        self.agent = make_user("agent", email="sam@parley.test", name="Sam Agent",
                               team_ids=["support"])
        self.tokens = {"alice": session_token(self.alice), "agent": session_token(self.agent)}
        status, created, _ = api.call(
            "POST", "/api/portal/tickets",
            {"topic": "technical", "subject": "Printer", "body": "It smokes."},
            token=self.tokens["alice"],
        )
        assert status == 201, created
        self.ticket_id = str(created["ticket"]["id"])
        self.number = int(created["ticket"]["number"])

    def reply_address(self, recipient: str = "alice@acme.test", ticket_id: str = "") -> str:
        from chalicelib.mail.tokens import reply_address

        return reply_address(ticket_id or self.ticket_id, recipient)

    def sent_message_id(self, recipient: str = "alice@acme.test") -> str:
        """A Message-ID of a mail we sent about the ticket (its thread's record)."""
        import uuid

        from chalicelib.data.mail_threads import append_message_id

        message_id = f"<{uuid.uuid4().hex}@parley.test>"
        append_message_id(self.ticket_id, message_id, recipient, clock.now())
        return message_id

    def ticket(self) -> Any:
        from chalicelib.data.tickets import get_ticket

        return get_ticket(self.ticket_id)

    def console(self, path: str = "", method: str = "GET", body: Any = None) -> Any:
        status, payload, _ = self.api.call(method, f"/api/console/tickets/{self.ticket_id}{path}",
                                           body, token=self.tokens["agent"])
        assert status < 300, payload
        return payload


def throttle_attachments_event_once(monkeypatch: Any) -> list[str]:
    """The next delivery's attachments event fails once, as a DynamoDB throttle would, after
    the message before it was written; returns the list the failure is noted in."""
    from chalicelib.services.tickets import email as ticket_mail

    real = ticket_mail.record_email_event
    failures: list[str] = []

    def throttled_once(ticket_id: str, text: str, details: dict[str, Any], *,
                       resume: bool) -> Any:
        if details.get("event") == "mail_attachments" and not failures:
            failures.append(ticket_id)
            raise RuntimeError("ProvisionedThroughputExceededException: rate exceeded")
        return real(ticket_id, text, details, resume=resume)

    monkeypatch.setattr(ticket_mail, "record_email_event", throttled_once)
    return failures

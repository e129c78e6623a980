"""Helpers of the notification tests: the messages table's stream read as Lambda would read it
and handed to the handler, sessions made directly, raw mail as SES accepted it, and what the
WebSocket API was asked to push."""

from __future__ import annotations

import email
import email.policy
import json
import secrets
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from chalicelib import clock
from parley_dev.local.pump import FakeContext, _json_safe
from tests.conftest import Api

WS_ENDPOINT = "https://live123.execute-api.eu-west-1.amazonaws.com/api"


def handler(name: str) -> Callable[[dict[str, Any], Any], Any]:
    import app as app_module

    return app_module.app.handler_map[name]


class Stream:
    """The messages table's stream, read from the shard's start on first use."""

    def __init__(self) -> None:
        from chalicelib.adapters.aws import client
        from chalicelib.data.messages import MessageModel

        self._streams = client("dynamodbstreams")
        arn = client("dynamodb").describe_table(TableName=MessageModel.Meta.table_name)["Table"][
            "LatestStreamArn"
        ]
        self._iterators = {
            shard["ShardId"]: self._streams.get_shard_iterator(
                StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
            )["ShardIterator"]
            for shard in self._streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
        }

    def read(self) -> list[dict[str, Any]]:
        """Records written since the last read, shaped as Lambda's event has them."""
        records: list[dict[str, Any]] = []
        for shard_id, iterator in list(self._iterators.items()):
            response = self._streams.get_records(ShardIterator=iterator, Limit=1000)
            records.extend(response.get("Records", []))
            self._iterators[shard_id] = response.get("NextShardIterator", iterator)
        return _json_safe(records)

    def deliver(self, records: list[dict[str, Any]]) -> dict[str, Any]:
        return handler("notify_messages")({"Records": records}, FakeContext()) or {}

    def pump(self) -> dict[str, Any]:
        """Deliver whatever is new, as one batch (nothing new: nothing to do)."""
        records = self.read()
        return self.deliver(records) if records else {"batchItemFailures": []}


def record_of(image: dict[str, Any], sequence_number: int) -> dict[str, Any]:
    """A stream record built from an item (what Lambda would get for its insertion)."""
    return {
        "eventID": uuid.uuid4().hex,
        "eventName": "INSERT",
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "eu-west-1",
        "dynamodb": {
            "Keys": {k: image[k] for k in ("thread", "seq") if k in image},
            "NewImage": image,
            "SequenceNumber": str(sequence_number),
            "SizeBytes": 256,
            "StreamViewType": "NEW_IMAGE",
        },
        "eventSourceARN":
            "arn:aws:dynamodb:eu-west-1:123456789012:table/parley-test-messages/stream/x",
    }


def session_token(user: dict[str, Any]) -> str:
    """A signed-in session without the cost of argon2 (sign-in has its own tests)."""
    from chalicelib.data import sessions as session_store
    from chalicelib.data.base import expiry
    from chalicelib.services.sessions import hash_token

    token = secrets.token_urlsafe(32)
    session_store.put_session(session_store.SessionModel(
        session_hash=hash_token(token), user_id=user["id"], role=user["role"],
        org_id=user["org_id"], org_view=user["org_view"], csrf_token="x",
        created_at=clock.now(), last_seen_at=clock.now(), expires_at=expiry(clock.now() + 86400),
    ))
    return token


def set_user(user_id: str, **fields: Any) -> None:
    from chalicelib.data import users as user_store

    user = user_store.get_user(user_id)
    assert user is not None
    for name, value in fields.items():
        setattr(user, name, value)
    user_store.save_user(user)


def raw_mails() -> list[dict[str, Any]]:
    """Every mail SES accepted, oldest first: parsed headers, parts and the envelope."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    backend = ses_backends[DEFAULT_ACCOUNT_ID]["eu-west-1"]
    mails = []
    for sent in getattr(backend, "sent_messages", []):
        if getattr(sent, "raw_data", None) is None:
            continue
        parsed = email.message_from_string(sent.raw_data, policy=email.policy.default)
        text = parsed.get_body(preferencelist=("plain",))
        html = parsed.get_body(preferencelist=("html",))
        mails.append({
            "raw": sent.raw_data,
            "message": parsed,
            "headers": {k.lower(): str(v) for k, v in parsed.items()},
            "header_names": [k.lower() for k in parsed],
            "subject": str(parsed.get("Subject", "")),
            "to": str(parsed.get("To", "")),
            "text": text.get_content() if text else "",
            "html": html.get_content() if html else "",
            "envelope": list(sent.destinations),
        })
    return mails


def mails_to(address: str) -> list[dict[str, Any]]:
    return [m for m in raw_mails() if address.lower() in m["to"].lower()]


def pushes(connection_id: str) -> list[dict[str, Any]]:
    """Frames posted to one WebSocket connection, in order (moto concatenates them)."""
    from moto.apigatewaymanagementapi.models import apigatewaymanagementapi_backends
    from moto.core import DEFAULT_ACCOUNT_ID

    backend = apigatewaymanagementapi_backends[DEFAULT_ACCOUNT_ID]["eu-west-1"]
    if connection_id not in backend.connections:
        return []
    data = backend.connections[connection_id].data.decode()
    decoder, frames, position = json.JSONDecoder(), [], 0
    while position < len(data):
        frame, position = decoder.raw_decode(data, position)
        frames.append(frame)
    return frames


def ws_event(route_key: str, connection_id: str, *, body: Any = None,
             query: dict[str, str] | None = None) -> dict[str, Any]:
    event_type = {"$connect": "CONNECT", "$disconnect": "DISCONNECT"}.get(route_key, "MESSAGE")
    return {
        "requestContext": {
            "routeKey": route_key, "eventType": event_type, "connectionId": connection_id,
            "domainName": "live123.execute-api.eu-west-1.amazonaws.com", "stage": "api",
            "apiId": "live123",
        },
        "queryStringParameters": query,
        "body": json.dumps(body) if body is not None and not isinstance(body, str) else body,
        "isBase64Encoded": False,
    }


def ws_call(route_key: str, connection_id: str, **kw: Any) -> dict[str, Any]:
    name = {"$connect": "live_connect", "$disconnect": "live_disconnect"}.get(
        route_key, "live_message"
    )
    return handler(name)(ws_event(route_key, connection_id, **kw), FakeContext())


@pytest.fixture
def live_endpoint(monkeypatch: pytest.MonkeyPatch) -> str:
    """A deployed WebSocket API, as far as the app can tell. The other settings are read on each
    call, as the app reads them, so a test may change them (a key rotation) on the way."""
    import dataclasses

    from chalicelib import config
    from chalicelib.services import live

    monkeypatch.setattr(
        live, "get_settings",
        lambda: dataclasses.replace(config.get_settings(), websocket_endpoint=WS_ENDPOINT),
    )
    return WS_ENDPOINT


class Desk:
    """A customer, an agent and the calls a notification scenario makes."""

    def __init__(
        self, api: Api, make_org: Callable[..., Any], make_user: Callable[..., Any]
    ) -> None:
        self.api = api
        self.org = make_org("Acme")
        self.make_user = make_user
        self.customer = make_user("customer", org_id=self.org["id"], name="Alice Martin",
                                  email="alice@acme.test")
        self.agent = make_user("agent", name="Sam Agent", email="sam@parley.test",
                               team_ids=["support"])
        self.tokens = {
            "customer": session_token(self.customer), "agent": session_token(self.agent),
        }

    def customer_token(self) -> str:
        return self.tokens["customer"]

    def open_ticket(self, body: str = "My printer is on fire", subject: str = "Printer on fire",
                    token: str | None = None) -> str:
        status, created, _ = self.api.call(
            "POST", "/api/portal/tickets",
            {"topic": "technical", "subject": subject, "body": body},
            token=token or self.tokens["customer"],
        )
        assert status == 201, created
        return str(created["ticket"]["id"])

    def answer(self, ticket_id: str, body: str = "Unplug it.", action: str = "send_leave_open",
               token: str | None = None) -> dict[str, Any]:
        status, answered, _ = self.api.call(
            "POST", f"/api/console/tickets/{ticket_id}/messages",
            {"action": action, "body": body}, token=token or self.tokens["agent"],
        )
        assert status == 201, answered
        return dict(answered)

    def reply(self, ticket_id: str, body: str = "Still smoking.", token: str | None = None) -> None:
        status, replied, _ = self.api.call(
            "POST", f"/api/portal/tickets/{ticket_id}/messages", {"body": body},
            token=token or self.tokens["customer"],
        )
        assert status == 201, replied


def send_queued_account_mail() -> dict[str, Any]:
    """Hand what the account-mail queue holds (reset links, registrations) to the handler
    Lambda runs, as SQS would; returns the handler's answer. The API only queues that mail."""
    from chalicelib.adapters.aws import client
    from chalicelib.config import get_settings

    sqs = client("sqs")
    url = sqs.get_queue_url(QueueName=get_settings().account_mail_queue)["QueueUrl"]
    failures: list[Any] = []
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
        event = {"Records": [{
            "messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
            "attributes": {"ApproximateReceiveCount": "1"}, "messageAttributes": {},
            "md5OfBody": m["MD5OfBody"], "eventSource": "aws:sqs",
            "eventSourceARN": f"arn:aws:sqs:eu-west-1:123456789012:{url.rsplit('/', 1)[-1]}",
            "awsRegion": "eu-west-1",
        } for m in messages]}
        answer = handler("account_mail")(event, FakeContext()) or {}
        failed = {f["itemIdentifier"] for f in answer.get("batchItemFailures", [])}
        failures += sorted(failed)
        for m in messages:
            if m["MessageId"] not in failed:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        if failed:
            break
    return {"batchItemFailures": [{"itemIdentifier": f} for f in failures]}

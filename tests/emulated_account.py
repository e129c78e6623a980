"""One emulated AWS account for the whole test session: its tables, buckets, queues and topics
are created once, from the app's own definitions, and emptied after each test.

Creating every table for every test cost about 0.2 s a test (600 tests: two minutes). Emptying
costs a few milliseconds: moto keeps each table's items, each bucket's objects, each queue's
messages and each sent mail in plain containers, which are cleared here. A test that creates or
deletes a resource (a table, a bucket, a queue, a topic or a subscription) changes the account's
shape; the next test then gets a freshly built account, so no test sees another's leftovers.

The patching is switched on only while a test that asks for it runs: between tests boto3 talks to
real endpoints again (the browser tier's stacks run moto's server in their own processes)."""

from __future__ import annotations

from typing import Any

from moto import mock_aws
from moto.apigatewaymanagementapi.models import apigatewaymanagementapi_backends
from moto.core import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import dynamodb_backends
from moto.s3.models import s3_backends
from moto.ses.models import ses_backends
from moto.sns.models import sns_backends
from moto.sqs.models import sqs_backends

from parley_dev.local.moto_atomic import items_replaced

REGION = "eu-west-1"


def _shape() -> dict[str, Any]:
    """What the account holds, by name: a change to any of these means a rebuild."""
    sns = sns_backends[DEFAULT_ACCOUNT_ID][REGION]
    return {
        "tables": sorted(dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION].tables),
        "buckets": sorted(s3_backends[DEFAULT_ACCOUNT_ID]["global"].buckets),
        "queues": sorted(sqs_backends[DEFAULT_ACCOUNT_ID][REGION].queues),
        "topics": sorted(sns.topics),
        "subscriptions": sorted(sns.subscriptions),
    }


def _empty() -> None:
    for table in dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION].tables.values():
        table.items.clear()
        if table.stream_shard is not None:
            table.stream_shard.items = []
    items_replaced()
    for bucket in s3_backends[DEFAULT_ACCOUNT_ID]["global"].buckets.values():
        for _, versions in bucket.keys._iterlists():
            for key in versions:
                key.dispose()
        bucket.keys.clear()
        bucket.multiparts.clear()
    for queue in sqs_backends[DEFAULT_ACCOUNT_ID][REGION].queues.values():
        with queue._messages_lock:
            queue._messages = []
            queue._pending_messages = set()
            queue.deleted_messages = set()
    for topic in sns_backends[DEFAULT_ACCOUNT_ID][REGION].topics.values():
        topic.sent_notifications = []
    for gateway in apigatewaymanagementapi_backends[DEFAULT_ACCOUNT_ID].values():
        gateway.connections.clear()  # what was pushed to each WebSocket connection
    for ses in ses_backends[DEFAULT_ACCOUNT_ID].values():
        ses.sent_messages = []
        ses.sent_message_count = 0


class EmulatedAccount:
    def __init__(self) -> None:
        self._mock = mock_aws()
        self._built: dict[str, Any] | None = None

    def enter(self) -> None:
        """Switch the emulator on for one test, building the account the first time and after
        a test changed its shape."""
        from parley_dev.local.resources import create_resources

        self._mock.start(reset=self._built is None)
        if self._built is None:
            create_resources()
            self._built = _shape()

    def leave(self) -> None:
        """Empty what the test wrote and switch the emulator off, keeping the resources."""
        if _shape() == self._built:
            _empty()
            self._mock.stop(remove_data=False)
        else:
            self._built = None
            self._mock.stop(remove_data=True)

"""The local event pump: what AWS does between our functions, done by hand.

Nothing in the emulator triggers a handler, so this thread reads the same sources Lambda would
(DynamoDB stream records, SQS messages, SNS notifications, schedules) and calls the very
handlers registered on the Chalice app, with events shaped as Lambda shapes them. It discovers
them from `app.event_sources`: a handler added by a later change is pumped without touching
this file.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from chalice.app import (
    Chalice,
    DynamoDBEventConfig,
    Rate,
    ScheduledEventConfig,
    SNSEventConfig,
    SQSEventConfig,
)

from chalicelib.adapters.aws import client
from chalicelib.observability import get_logger
from parley_dev.local import emulator_events as events

_UNIT_SECONDS = {Rate.MINUTES: 60, Rate.HOURS: 3600, Rate.DAYS: 86400}
# Lambda retries a failed asynchronous (SNS) invocation twice, then gives up on the event.
SNS_ATTEMPTS = 3
# With the emulator's writes watched (emulator_events.py), a reader waits for a write to what it
# reads, and looks without one only this often: for a message whose visibility timeout ran out.
IDLE_SECONDS = 5.0


class FakeContext:
    """Enough of LambdaContext for Powertools and our handlers."""

    function_name = "parley-local"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:parley-local"

    def __init__(self) -> None:
        self.aws_request_id = uuid.uuid4().hex

    def get_remaining_time_in_millis(self) -> int:
        return 300_000


@dataclass
class _Topic:
    name: str  # the handler's
    topic: str
    queue: str = ""  # the topic's mirror queue (parley_dev/local/resources.py), once made
    subscription_arn: str = ""


@dataclass
class _Stream:
    name: str
    table: str
    iterators: dict[str, str] = field(default_factory=dict)
    reads: int = 0  # reads begun by its reader thread
    empty_read: int = 0  # the number of the last one that found nothing new


class EventPump(threading.Thread):
    def __init__(self, app: Chalice, interval: float = 0.5) -> None:
        super().__init__(name="event-pump", daemon=True)
        self.app = app
        self.interval = interval  # between two looks at an idle source, writes not watched
        self._stop_event = threading.Event()
        self._schedules: list[tuple[str, float]] = []
        self._next_run: dict[str, float] = {}
        self._streams: list[_Stream] = []
        self._queues: list[tuple[str, str]] = []
        self._topics: list[_Topic] = []
        self._queue_urls: dict[str, str] = {}
        # Noted by drained(): every reader looks again at once, write or not.
        self._look_again = ("pump", f"look-again-{id(self)}")
        self.delivered = 0
        self._counting = threading.Lock()
        self._progress = threading.Condition()
        for source in app.event_sources:
            if isinstance(source, ScheduledEventConfig):
                self._schedules.append((source.name, _period(source.schedule_expression)))
            elif isinstance(source, DynamoDBEventConfig):
                self._streams.append(_Stream(source.name, _table_from_arn(source.stream_arn)))
            elif isinstance(source, SQSEventConfig) and source.queue:
                self._queues.append((source.name, source.queue))
            elif isinstance(source, SNSEventConfig):
                self._topics.append(_Topic(source.name, source.topic.rsplit(":", 1)[-1]))

    def stop(self) -> None:
        self._stop_event.set()
        events.wake_all()

    def _idle(self, keys: list[tuple[str, str]], seen: int, most: float | None = None) -> None:
        """After a look that found nothing: until a write to what `keys` name (the emulator's
        writes watched), else for the polling interval; at most `most` seconds."""
        if events.watching():
            wait = IDLE_SECONDS if most is None else min(IDLE_SECONDS, most)
            events.wait_for_change(keys, seen, max(wait, 0.0), self._stop_event)
        else:
            wait = self.interval if most is None else min(self.interval, most)
            self._stop_event.wait(max(wait, 0.0))

    def run(self) -> None:
        now = time.monotonic()
        for name, period in self._schedules:
            self._next_run[name] = now + period
        # Each stream reader polls on its own, as each of Lambda's event source mappings does:
        # a slow reader (the search indexer on a long thread) never holds up the notifications.
        for stream in self._streams:
            threading.Thread(target=self._follow, args=(stream,), daemon=True,
                             name=f"event-pump-{stream.name}").start()
        from parley_dev.local.resources import mirror_queue_name

        keys = [events.queue_key(queue) for _, queue in self._queues] + [
            events.queue_key(mirror_queue_name(topic.topic)) for topic in self._topics]
        while not self._stop_event.is_set():
            seen = events.changes(keys)
            handled = 0
            try:
                handled = self.pump_once(streams=False)
            except Exception:
                get_logger().exception("event pump cycle failed; retrying")
                self._stop_event.wait(self.interval)
                continue
            if not handled:  # caught up: wait for more, or for the next schedule
                due = min(self._next_run.values(), default=time.monotonic() + IDLE_SECONDS)
                self._idle(keys, seen, most=due - time.monotonic())

    def _follow(self, stream: _Stream) -> None:
        keys = [events.table_key(stream.table), self._look_again]
        while not self._stop_event.is_set():
            seen = events.changes(keys)
            with self._progress:
                stream.reads += 1
                number = stream.reads
            handled, failed = 0, False
            try:
                handled = self._pump_stream(stream)
            except Exception:
                failed = True
                get_logger().exception("stream reader failed; retrying", extra={
                    "handler": stream.name})
            if not handled and not failed:
                with self._progress:
                    stream.empty_read = number
                    self._progress.notify_all()
            self._count(handled)
            if failed:
                self._stop_event.wait(self.interval)
            elif not handled:  # caught up: wait for more; behind: read on at once
                self._idle(keys, seen)

    def drained(self, timeout: float) -> bool:
        """Whether every stream reader has handled all that was written before this call: each
        has since begun a read and found nothing new. Live pushes, notifications and the search
        index are written from the streams, so a test that wrote much at once (a seeded long
        thread) waits here rather than have later pushes queue behind it."""
        with self._progress:
            wanted = {stream.name: stream.reads + 1 for stream in self._streams}
            events.note(self._look_again)  # readers waiting for a write look again now
            return self._progress.wait_for(
                lambda: all(stream.empty_read >= wanted[stream.name]
                            for stream in self._streams), timeout)

    def _count(self, handled: int) -> None:
        with self._counting:
            self.delivered += handled

    def pump_once(self, *, run_schedules_now: bool = False, streams: bool = True) -> int:
        """One pass over every source (`streams=False`: all but the streams, which run() reads
        on their own threads); returns how many events were handed to handlers."""
        handled = 0
        for stream in self._streams if streams else ():
            handled += self._pump_stream(stream)
        for name, queue in self._queues:
            handled += self._pump_queue(name, queue)
        for topic in self._topics:
            handled += self._pump_topic(topic)
        now = time.monotonic()
        for name, period in self._schedules:
            if run_schedules_now or now >= self._next_run.get(name, 0):
                self._next_run[name] = now + period
                self._invoke(name, _schedule_event())
                handled += 1
        self._count(handled)
        return handled

    def _invoke(self, name: str, event: dict[str, Any]) -> Any:
        return self.app.handler_map[name](event, FakeContext())

    def _pump_stream(self, stream: _Stream) -> int:
        streams = client("dynamodbstreams")
        if not stream.iterators:
            arn = client("dynamodb").describe_table(TableName=stream.table)["Table"].get(
                "LatestStreamArn"
            )
            if not arn:
                return 0
            for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
                stream.iterators[shard["ShardId"]] = streams.get_shard_iterator(
                    StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
                )["ShardIterator"]
        handled = 0
        for shard_id, iterator in list(stream.iterators.items()):
            response = streams.get_records(ShardIterator=iterator, Limit=100)
            records = response.get("Records", [])
            if records:
                result = self._invoke(stream.name, {"Records": _json_safe(records)})
                failures = (result or {}).get("batchItemFailures", [])
                if failures:
                    # Like Lambda: retry from the first failed record on the next pass.
                    get_logger().warning(
                        "stream batch had failures", extra={"count": len(failures)}
                    )
                handled += len(records)
            stream.iterators[shard_id] = response.get("NextShardIterator", iterator)
        return handled

    def _queue_url(self, queue: str) -> str:
        if queue not in self._queue_urls:
            self._queue_urls[queue] = client("sqs").get_queue_url(QueueName=queue)["QueueUrl"]
        return self._queue_urls[queue]

    def _pump_queue(self, name: str, queue: str) -> int:
        sqs = client("sqs")
        url = self._queue_url(queue)
        messages = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"]
        ).get("Messages", [])
        if not messages:
            return 0
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        event = {
            "Records": [
                {
                    "messageId": m["MessageId"],
                    "receiptHandle": m["ReceiptHandle"],
                    "body": m["Body"],
                    "attributes": m.get("Attributes", {}),
                    "messageAttributes": {},
                    "eventSource": "aws:sqs",
                    "eventSourceARN": arn,
                    "awsRegion": arn.split(":")[3],
                }
                for m in messages
            ]
        }
        result = self._invoke(name, event) or {}
        failed = {f["itemIdentifier"] for f in result.get("batchItemFailures", [])}
        for m in messages:
            if m["MessageId"] not in failed:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        return len(messages)

    def _pump_topic(self, topic: _Topic) -> int:
        """Like Lambda's SNS trigger: one invocation per notification, with one record."""
        if not topic.queue:
            from parley_dev.local.resources import mirror_topic

            topic.queue, topic.subscription_arn = mirror_topic(topic.topic)
        sqs = client("sqs")
        url = self._queue_url(topic.queue)
        messages = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["ApproximateReceiveCount"]
        ).get("Messages", [])
        for m in messages:
            try:
                self._invoke(topic.name, sns_event(json.loads(m["Body"]), topic.subscription_arn))
            except Exception:
                attempts = int(m.get("Attributes", {}).get("ApproximateReceiveCount", "1"))
                get_logger().exception("SNS handler failed", extra={
                    "handler": topic.name, "attempt": attempts})
                if attempts < SNS_ATTEMPTS:
                    continue  # seen again once its visibility timeout passes
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        return len(messages)


def sns_event(envelope: dict[str, Any], subscription_arn: str) -> dict[str, Any]:
    """The event Lambda's SNS trigger hands a function, from the envelope SNS delivers to a
    queue (the same fields; Lambda spells two URL keys differently)."""
    return {
        "Records": [
            {
                "EventSource": "aws:sns",
                "EventVersion": "1.0",
                "EventSubscriptionArn": subscription_arn,
                "Sns": {
                    "Type": envelope.get("Type", "Notification"),
                    "MessageId": envelope.get("MessageId", ""),
                    "TopicArn": envelope.get("TopicArn", ""),
                    "Subject": envelope.get("Subject"),
                    "Message": envelope.get("Message", ""),
                    "Timestamp": envelope.get("Timestamp", ""),
                    "SignatureVersion": envelope.get("SignatureVersion", "1"),
                    "Signature": envelope.get("Signature", ""),
                    "SigningCertUrl": envelope.get("SigningCertURL", ""),
                    "UnsubscribeUrl": envelope.get("UnsubscribeURL", ""),
                    "MessageAttributes": envelope.get("MessageAttributes", {}),
                },
            }
        ]
    }


def _period(expression: Any) -> float:
    if isinstance(expression, Rate):
        return float(expression.value * _UNIT_SECONDS[expression.unit])
    match = re.match(r"rate\((\d+) (minute|hour|day)s?\)", str(expression))
    if match:
        unit = {"minute": 60, "hour": 3600, "day": 86400}[match.group(2)]
        return float(int(match.group(1)) * unit)
    return 300.0  # cron expressions: every five minutes is close enough locally


def _table_from_arn(arn: str) -> str:
    # arn:aws:dynamodb:<region>:<account>:table/<name>/stream/<label>
    return arn.split(":table/", 1)[1].split("/", 1)[0]


def _schedule_event() -> dict[str, Any]:
    return {
        "version": "0",
        "id": uuid.uuid4().hex,
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "region": "eu-west-1",
        "resources": [],
        "detail": {},
    }


def _json_safe(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """boto3 returns datetimes where Lambda's event has epoch numbers."""
    safe: list[dict[str, Any]] = json.loads(
        json.dumps(records, default=lambda v: v.timestamp() if hasattr(v, "timestamp") else str(v))
    )
    return safe

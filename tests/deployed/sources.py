"""The event sources of the emulated stack, in the shapes AWS sends to the functions.

Lambda's pollers read the DynamoDB stream and the SQS queues that the template's event source
mappings name and invoke the mapped function with a batch (partial batch responses honoured:
only the failed records come back); EventBridge invokes each scheduled function with a
"Scheduled Event"; SNS invokes a subscribed function with its notification; SES receiving
stores the raw mail where the receipt rule's S3 action says and notifies its topic (which the
stack's subscription hands to the inbound queue).
"""

from __future__ import annotations

import copy
import hashlib
import json
import time
import uuid
from pathlib import Path
from typing import Any

from tests.deployed.account import ACCOUNT, REGION, Account, Deployed, resolve_properties
from tests.deployed.runtime import Invocation, LambdaService

EVENTS = Path(__file__).resolve().parents[1] / "events"


def load_event(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / name).read_text())  # type: ignore[no-any-return]


class Sources:
    def __init__(self, account: Account, deployed: Deployed, functions: LambdaService) -> None:
        self.account = account
        self.deployed = deployed
        self.functions = functions
        self.mappings = [resolve_properties(account, deployed, resource)
                         for resource in deployed.resources(
                             "AWS::Lambda::EventSourceMapping").values()]
        self.streams = self.account.client("dynamodbstreams")
        # Each mapping reads the stream at its own pace, as each of Lambda's pollers does
        # (the messages stream has two: notifications and the search index).
        self._iterators: dict[str, str] = {}
        for mapping in self.mappings:
            source = mapping["EventSourceArn"]
            if ":dynamodb:" in source:
                self._iterators[self.function_name(mapping["FunctionName"])] = self._start(source)

    def function_name(self, reference: str) -> str:
        return reference.rsplit(":", 1)[-1] if reference.startswith("arn:") else reference

    def _start(self, stream_arn: str) -> str:
        # Records written from now on (the mapping's StartingPosition is LATEST).
        shard = self.streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"][0]
        return str(self.streams.get_shard_iterator(
            StreamArn=stream_arn, ShardId=shard["ShardId"], ShardIteratorType="LATEST",
        )["ShardIterator"])

    def mapping_for(self, function: str) -> dict[str, Any]:
        for mapping in self.mappings:
            if self.function_name(mapping["FunctionName"]) == function:
                return mapping
        raise KeyError(function)

    # --- DynamoDB stream -> function ---------------------------------------------------------

    def pump_stream(self, function: str) -> list[Invocation]:
        """Every record written since the last pump, in batches of the mapping's size."""
        mapping = self.mapping_for(function)
        source = mapping["EventSourceArn"]
        response = self.streams.get_records(ShardIterator=self._iterators[function])
        self._iterators[function] = response["NextShardIterator"]
        records = response["Records"]
        invocations = []
        size = int(mapping.get("BatchSize", 100))
        for start in range(0, len(records), size):
            batch = [_stream_record(record, source) for record in records[start:start + size]]
            invocation = self.functions.invoke(function, {"Records": batch})
            assert invocation.error is None, invocation.logs
            assert not invocation.result or not invocation.result.get("batchItemFailures"), \
                invocation.result
            invocations.append(invocation)
        return invocations

    # --- SQS -> function -----------------------------------------------------------------

    def pump_queue(self, function: str) -> list[Invocation]:
        mapping = self.mapping_for(function)
        source = mapping["EventSourceArn"]
        name = source.rsplit(":", 1)[-1]
        url = self.account.sqs.get_queue_url(QueueName=name)["QueueUrl"]
        invocations = []
        while True:
            messages = self.account.sqs.receive_message(
                QueueUrl=url, MaxNumberOfMessages=min(10, int(mapping.get("BatchSize", 10))),
                AttributeNames=["All"], MessageAttributeNames=["All"],
            ).get("Messages", [])
            if not messages:
                return invocations
            event = {"Records": [_sqs_record(m, source) for m in messages]}
            invocation = self.functions.invoke(function, event)
            assert invocation.error is None, "\n".join(invocation.logs)
            invocations.append(invocation)
            failed = {f["itemIdentifier"]
                      for f in (invocation.result or {}).get("batchItemFailures", [])}
            for message in messages:
                if message["MessageId"] not in failed:
                    self.account.sqs.delete_message(QueueUrl=url,
                                                    ReceiptHandle=message["ReceiptHandle"])
            assert not failed, invocation.result

    # --- EventBridge schedules ---------------------------------------------------------------

    def run_schedules(self) -> dict[str, Invocation]:
        ran = {}
        for lid, rule in self.deployed.resources("AWS::Events::Rule").items():
            properties = rule["Properties"]
            if "ScheduleExpression" not in properties:
                continue
            for target in properties["Targets"]:
                function = self.deployed.physical[target["Arn"]["Fn::GetAtt"][0]]
                event = copy.deepcopy(load_event("scheduled.json"))
                event.update({"id": str(uuid.uuid4()), "account": ACCOUNT, "region": REGION,
                              "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                              "resources": [f"arn:aws:events:{REGION}:{ACCOUNT}:rule/"
                                            f"{self.deployed.physical[lid]}"]})
                ran[function] = self.functions.invoke(function, event)
        return ran

    # --- SES receiving -----------------------------------------------------------------------

    def receive_mail(self, raw: bytes, recipients: list[str], *, sender: str) -> str:
        """SES receiving, by the receipt rule of the template: the raw mail to the rule's
        bucket and prefix, then the notification to its topic. Returns SES's message id."""
        rule_resource = next(iter(self.deployed.resources("AWS::SES::ReceiptRule").values()))
        rule = resolve_properties(self.account, self.deployed, rule_resource)["Rule"]
        action = rule["Actions"][0]["S3Action"]
        message_id = hashlib.sha1(raw).hexdigest()[:40]  # noqa: S324 - an id, not a check
        key = action["ObjectKeyPrefix"] + message_id
        self.account.s3.put_object(Bucket=action["BucketName"], Key=key, Body=raw)
        notification = json.loads(load_event("ses_received.json")["Message"])
        from email import message_from_bytes

        parsed = message_from_bytes(raw)
        headers = [{"name": k, "value": str(v)} for k, v in parsed.items()]
        now = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
        notification["mail"].update({
            "timestamp": now, "source": sender, "messageId": message_id,
            "destination": recipients, "headers": headers,
            "commonHeaders": {
                "returnPath": sender, "from": [str(parsed["From"])], "to": recipients,
                "date": str(parsed["Date"]), "messageId": str(parsed["Message-ID"]),
                "subject": str(parsed["Subject"]),
            },
        })
        notification["receipt"].update({
            "timestamp": now, "recipients": recipients,
            "action": {"type": "S3", "topicArn": action["TopicArn"],
                       "bucketName": action["BucketName"],
                       "objectKeyPrefix": action["ObjectKeyPrefix"], "objectKey": key},
        })
        self.account.sns.publish(TopicArn=action["TopicArn"],
                                 Subject="Amazon SES Email Receipt Notification",
                                 Message=json.dumps(notification))
        return message_id

    # --- SNS -> function ---------------------------------------------------------------------

    def publish_to_function(self, topic_arn: str, message: str, function: str) -> Invocation:
        """SNS delivering a notification to a subscribed function (the subscription must exist
        in the emulated SNS, as the template made it)."""
        subscriptions = self.account.sns.list_subscriptions_by_topic(
            TopicArn=topic_arn)["Subscriptions"]
        subscription = next(s for s in subscriptions if s["Protocol"] == "lambda"
                            and s["Endpoint"].endswith(":function:" + function))
        published = self.account.sns.publish(TopicArn=topic_arn, Message=message)
        event = copy.deepcopy(load_event("ses_bounce.json"))
        record = event["Records"][0]
        record["EventSubscriptionArn"] = subscription["SubscriptionArn"]
        record["Sns"].update({"MessageId": published["MessageId"], "TopicArn": topic_arn,
                              "Message": message,
                              "Timestamp": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())})
        event["Records"] = [record]
        return self.functions.invoke(function, event)


def _stream_record(record: dict[str, Any], source_arn: str) -> dict[str, Any]:
    """GetRecords' record as Lambda hands it on: the source ARN added, the creation time in
    epoch seconds (boto3 parsed it into a datetime)."""
    record = copy.deepcopy(record)
    created = record["dynamodb"].get("ApproximateCreationDateTime")
    if created is not None and not isinstance(created, (int, float)):
        record["dynamodb"]["ApproximateCreationDateTime"] = int(created.timestamp())
    record["eventSourceARN"] = source_arn
    return record


def _sqs_record(message: dict[str, Any], source_arn: str) -> dict[str, Any]:
    attributes = message.get("Attributes", {})
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": {
            "ApproximateReceiveCount": attributes.get("ApproximateReceiveCount", "1"),
            "SentTimestamp": attributes.get("SentTimestamp", str(int(time.time() * 1000))),
            "SenderId": attributes.get("SenderId", "AIDAIENQZJOLO23YVJ4VO"),
            "ApproximateFirstReceiveTimestamp": attributes.get(
                "ApproximateFirstReceiveTimestamp", str(int(time.time() * 1000))),
        },
        "messageAttributes": message.get("MessageAttributes", {}),
        "md5OfBody": message["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": source_arn,
        "awsRegion": REGION,
    }

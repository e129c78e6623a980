"""What an operator of a mail product is told (alarms, all to the alarm topic, and a synth
warning when nobody subscribes to it), that no inbound notification vanishes between SNS and SQS,
and the API function's narrower rights: the audit trail is append-only, the inbound bucket is
written under quarantine/ only."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.infra.conftest import STACK, Synthesis
from tests.infra.test_template import (
    PREFIX,
    _as_list,
    _functions,
    _profiles,
    _queue_logical_id,
    _statements,
)

pytestmark = pytest.mark.infra


def _alarms(synthesis: Synthesis) -> dict[str, dict[str, Any]]:
    return {
        alarm["Properties"]["AlarmName"]: alarm["Properties"]
        for alarm in synthesis.resources("AWS::CloudWatch::Alarm").values()
    }


def _alarm_topic(synthesis: Synthesis) -> str:
    (topic,) = [
        logical_id
        for logical_id, t in synthesis.resources("AWS::SNS::Topic").items()
        if t["Properties"].get("TopicName") == f"{PREFIX}alarms"
    ]
    return topic


def _one_metric(alarm: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    dimensions = {d["Name"]: d["Value"] for d in alarm.get("Dimensions", [])}
    return alarm["Namespace"], alarm["MetricName"], dimensions


def test_every_alarm_notifies_the_alarm_topic_when_it_fires_and_when_it_clears(
    synthesis: Synthesis,
) -> None:
    topic = {"Ref": _alarm_topic(synthesis)}
    alarms = _alarms(synthesis)
    assert len(alarms) > 20
    for name, alarm in alarms.items():
        assert alarm["AlarmActions"] == [topic], name
        assert alarm["OKActions"] == [topic], name
        assert alarm.get("TreatMissingData") == "notBreaching", name


def test_every_function_has_an_errors_and_a_throttles_alarm(synthesis: Synthesis) -> None:
    alarms = _alarms(synthesis)
    functions = _functions(synthesis)
    assert "api_handler" in functions and "inbound_mail" in functions
    for handler in functions:
        for metric_name in ("Errors", "Throttles"):
            alarm = alarms.get(f"{PREFIX}{handler}-{metric_name.lower()}")
            assert alarm is not None, f"{handler}: no {metric_name} alarm"
            assert _one_metric(alarm) == (
                "AWS/Lambda", metric_name, {"FunctionName": f"{PREFIX}{handler}"}
            )
            assert alarm["Statistic"] == "Sum" and alarm["Period"] == 300, handler
            assert alarm["Threshold"] == 1, handler
            assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold", handler


def test_the_stream_function_is_alarmed_when_it_falls_behind_its_stream(
    synthesis: Synthesis,
) -> None:
    alarms = _alarms(synthesis)
    stream_functions = [
        name
        for name, function in _functions(synthesis).items()
        if any(e["Type"] == "DynamoDB" for e in (function.get("Events") or {}).values())
    ]
    assert "notify_messages" in stream_functions
    for handler in stream_functions:
        alarm = alarms[f"{PREFIX}{handler}-iterator-age"]
        assert _one_metric(alarm) == (
            "AWS/Lambda", "IteratorAge", {"FunctionName": f"{PREFIX}{handler}"}
        )
        assert alarm["Statistic"] == "Maximum"
        assert alarm["Threshold"] == 5 * 60 * 1000  # milliseconds
        assert alarm["EvaluationPeriods"] * alarm["Period"] == 15 * 60
        assert alarm["ComparisonOperator"] == "GreaterThanThreshold"


def test_mail_waiting_in_the_inbound_queue_is_alarmed(synthesis: Synthesis) -> None:
    alarms = _alarms(synthesis)
    queues = synthesis.resources("AWS::SQS::Queue")
    (inbound,) = [
        k for k, q in queues.items() if q["Properties"]["QueueName"] == f"{PREFIX}inbound-mail"
    ]
    alarm = alarms[f"{PREFIX}inbound-mail-oldest-message"]
    assert _one_metric(alarm) == (
        "AWS/SQS",
        "ApproximateAgeOfOldestMessage",
        {"QueueName": {"Fn::GetAtt": [inbound, "QueueName"]}},
    )
    assert alarm["Statistic"] == "Maximum"
    assert alarm["Threshold"] == 15 * 60  # seconds
    assert alarm["ComparisonOperator"] == "GreaterThanThreshold"


@pytest.mark.parametrize(
    ("metric_name", "threshold", "review_at"),
    [("Reputation.BounceRate", 0.04, 0.05), ("Reputation.ComplaintRate", 0.0008, 0.001)],
)
def test_ses_reputation_is_alarmed_before_aws_reviews_the_account(
    synthesis: Synthesis, metric_name: str, threshold: float, review_at: float
) -> None:
    (alarm,) = [
        a for a in _alarms(synthesis).values() if a.get("MetricName") == metric_name
    ]
    assert alarm["Namespace"] == "AWS/SES"
    assert "Dimensions" not in alarm, "AWS reviews the account's rate, not a configuration set's"
    assert alarm["Threshold"] == threshold < review_at
    assert alarm["ComparisonOperator"] == "GreaterThanThreshold"


def test_a_notification_sns_cannot_deliver_to_the_inbound_queue_goes_to_an_alarmed_queue(
    synthesis: Synthesis,
) -> None:
    queues = synthesis.resources("AWS::SQS::Queue")
    (inbound,) = [
        k for k, q in queues.items() if q["Properties"]["QueueName"] == f"{PREFIX}inbound-mail"
    ]
    (subscription,) = [
        s["Properties"]
        for s in synthesis.resources("AWS::SNS::Subscription").values()
        if s["Properties"]["Protocol"] == "sqs"
        and s["Properties"]["Endpoint"] == {"Fn::GetAtt": [inbound, "Arn"]}
    ]
    redrive = subscription["RedrivePolicy"]
    dlq = _queue_logical_id(redrive["deadLetterTargetArn"])
    assert dlq in queues and dlq != inbound
    assert queues[dlq]["Properties"]["MessageRetentionPeriod"] == 14 * 24 * 3600
    # SNS may send to it (only for this topic)
    allowed = [
        statement
        for policy in synthesis.resources("AWS::SQS::QueuePolicy").values()
        if {"Ref": dlq} in policy["Properties"]["Queues"]
        for statement in _statements(policy["Properties"]["PolicyDocument"])
        if statement["Effect"] == "Allow"
    ]
    assert any(
        "sqs:SendMessage" in _as_list(s["Action"])
        and s["Principal"] == {"Service": "sns.amazonaws.com"}
        and {"Ref": subscription["TopicArn"]["Ref"]}
        == s["Condition"]["ArnEquals"]["aws:SourceArn"]
        for s in allowed
    ), allowed
    # And anything waiting there pages someone
    depth = [
        a
        for a in _alarms(synthesis).values()
        if a.get("MetricName") == "ApproximateNumberOfMessagesVisible"
        and {"Name": "QueueName", "Value": {"Fn::GetAtt": [dlq, "QueueName"]}}
        in a.get("Dimensions", [])
    ]
    assert len(depth) == 1 and depth[0]["Threshold"] == 1


def _api_statements(synthesis: Synthesis) -> list[dict[str, Any]]:
    role = _functions(synthesis)["api_handler"]["Role"]["Fn::GetAtt"][0]
    return [
        statement
        for policy in synthesis.resources("AWS::IAM::Policy").values()
        if policy["Properties"]["Roles"] == [{"Ref": role}]
        for statement in _statements(policy["Properties"]["PolicyDocument"])
        if statement["Effect"] == "Allow"
    ]


def _logical_id(synthesis: Synthesis, resource_type: str, **properties: str) -> str:
    (found,) = [
        logical_id
        for logical_id, r in synthesis.resources(resource_type).items()
        if all(r["Properties"].get(k) == v for k, v in properties.items())
    ]
    return found


def test_the_api_may_append_to_the_audit_trail_and_query_it_but_never_change_it(
    synthesis: Synthesis,
) -> None:
    audit = _logical_id(synthesis, "AWS::DynamoDB::Table", TableName=f"{PREFIX}audit")
    on_audit = [s for s in _api_statements(synthesis) if f'"{audit}"' in json.dumps(s["Resource"])]
    actions = {a for s in on_audit for a in _as_list(s["Action"])}
    assert {"dynamodb:PutItem", "dynamodb:Query"} <= actions
    assert not actions & {
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
        "dynamodb:BatchWriteItem",
        "dynamodb:PartiQLUpdate",
        "dynamodb:PartiQLDelete",
    }, actions
    assert not [a for a in actions if a.endswith("*")], actions
    # The admin's audit page pages the filters' indexes too
    assert any(
        "dynamodb:Query" in _as_list(s["Action"]) and "/index/*" in json.dumps(s["Resource"])
        for s in on_audit
    )
    # While every other table stays writable (the "*" entry still reaches them)
    messages = _logical_id(synthesis, "AWS::DynamoDB::Table", TableName=f"{PREFIX}messages")
    assert any(
        "dynamodb:UpdateItem" in _as_list(s["Action"])
        and f'"{messages}"' in json.dumps(s["Resource"])
        for s in _api_statements(synthesis)
    )


def test_the_functions_that_only_audit_append_to_the_trail(synthesis: Synthesis) -> None:
    for name, profile in _profiles().items():
        levels = profile.tables.get("audit")
        if levels is not None:
            assert "write" not in levels, f"{name}: the audit trail is append-only"


def test_the_mail_functions_write_the_inbound_bucket_only_under_quarantine(
    synthesis: Synthesis,
) -> None:
    (inbound,) = [k for k in synthesis.resources("AWS::S3::Bucket") if "InboundMail" in k]
    functions = _functions(synthesis)
    for name in ("api_handler", "inbound_mail", "sweep_inbound"):
        role = functions[name]["Role"]["Fn::GetAtt"][0]
        statements = [
            statement
            for policy in synthesis.resources("AWS::IAM::Policy").values()
            if policy["Properties"]["Roles"] == [{"Ref": role}]
            for statement in _statements(policy["Properties"]["PolicyDocument"])
            if statement["Effect"] == "Allow"
        ]
        writes = [
            resource
            for s in statements
            if {"s3:PutObject", "s3:DeleteObject"} & set(_as_list(s["Action"]))
            for resource in _as_list(s["Resource"])
            if f'"{inbound}"' in json.dumps(resource)
        ]
        assert writes == [
            {"Fn::Join": ["", [{"Fn::GetAtt": [inbound, "Arn"]}, "/quarantine/*"]]}
        ], (name, writes)
        reads = [
            s
            for s in statements
            if "s3:GetObject" in _as_list(s["Action"])
            and f'"{inbound}"' in json.dumps(s["Resource"])
        ]
        assert reads, f"{name} can no longer read the raw mail"


def test_synth_warns_when_no_one_receives_the_alarms(synthesis: Synthesis) -> None:
    # The test context sets no alarmEmail
    manifest = json.loads((synthesis.outdir / "manifest.json").read_text())
    artifact = manifest["artifacts"][STACK]
    metadata = dict(artifact.get("metadata", {}))
    if "additionalMetadataFile" in artifact:  # newer CDK writes it beside the manifest
        metadata.update(
            json.loads((synthesis.outdir / artifact["additionalMetadataFile"]).read_text())
        )
    entries = [
        entry
        for path_entries in metadata.values()
        for entry in path_entries
        if entry["type"] == "aws:cdk:warning"
    ]
    assert any("alarm topic has no subscriber" in str(e["data"]) for e in entries), entries
    assert not synthesis.resources("AWS::SNS::Subscription").get("AlarmsAlarmTopicSubscription")


@pytest.mark.parametrize("alarm_email", [None, "ops@mail.example.com"])
def test_the_warning_is_given_exactly_when_the_alarm_topic_has_no_subscriber(
    synthesis: Synthesis, alarm_email: str | None
) -> None:
    from aws_cdk import App, Stack
    from aws_cdk import aws_kms as kms
    from aws_cdk.assertions import Annotations, Match, Template

    _profiles()  # puts infra/ on the path
    from parley_infra.monitoring import Alarms
    from parley_infra.settings import StageSettings

    stack = Stack(App(), "AlarmsOnly")
    settings = StageSettings(
        stage="ci", mail_domain="mail.example.com", mail_from="help@mail.example.com",
        portal_domain=None, certificate_arn=None, alarm_email=alarm_email,
        inbound_retention_days=90, log_retention_days=90,
    )
    Alarms(stack, "Alarms", settings=settings, topic_key=kms.Key(stack, "Key"))
    warnings = Annotations.from_stack(stack).find_warning(
        "*", Match.string_like_regexp("alarm topic has no subscriber")
    )
    subscriptions = Template.from_stack(stack).find_resources("AWS::SNS::Subscription")
    assert bool(warnings) == (alarm_email is None)
    assert bool(subscriptions) == (alarm_email is not None)

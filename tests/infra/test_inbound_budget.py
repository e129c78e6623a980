"""The inbound queue and the app's delivery lease are one budget: the function cannot outlive the
lease, the lease runs out before the queue brings a failed message back (so every receive is a
real attempt), the queue allows more receives than the app's attempts (so the receive after a
final attempt that died still comes and quarantines it), and the bucket never expires the copy
of a quarantined message's raw mail."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.infra.conftest import STAGE, Synthesis

pytestmark = pytest.mark.infra

PREFIX = f"parley-{STAGE}-"


def _functions(synthesis: Synthesis) -> dict[str, dict[str, Any]]:
    return {
        resource["Properties"]["FunctionName"][len(PREFIX) :]: resource["Properties"]
        for resource in synthesis.resources("AWS::Serverless::Function").values()
    }


def _inbound_queue(synthesis: Synthesis) -> dict[str, Any]:
    (queue,) = [
        q["Properties"]
        for q in synthesis.resources("AWS::SQS::Queue").values()
        if q["Properties"].get("QueueName") == f"{PREFIX}inbound-mail"
    ]
    return queue


def _statements_of(synthesis: Synthesis, function: dict[str, Any]) -> list[dict[str, Any]]:
    role = function["Role"]["Fn::GetAtt"][0]
    found = []
    for policy in synthesis.resources("AWS::IAM::Policy").values():
        if policy["Properties"]["Roles"] == [{"Ref": role}]:
            statements = policy["Properties"]["PolicyDocument"]["Statement"]
            found += statements if isinstance(statements, list) else [statements]
    return found


def _inbound_bucket(synthesis: Synthesis) -> tuple[str, dict[str, Any]]:
    ((logical_id, bucket),) = [
        (k, b) for k, b in synthesis.resources("AWS::S3::Bucket").items() if "InboundMail" in k
    ]
    return logical_id, bucket["Properties"]


def test_every_receive_of_an_inbound_mail_is_a_real_attempt(synthesis: Synthesis) -> None:
    from chalicelib.services.inbound import deliveries

    functions = _functions(synthesis)
    queue = _inbound_queue(synthesis)
    # The lease is built on the function's timeout, a little over it
    assert functions["inbound_mail"]["Timeout"] == deliveries.FUNCTION_TIMEOUT_SECONDS
    assert deliveries.LEASE_SECONDS > deliveries.FUNCTION_TIMEOUT_SECONDS
    # Staff retries run in the API function: they cannot outlive the lease either
    assert functions["api_handler"]["Timeout"] < deliveries.LEASE_SECONDS
    # A failed receive comes back after the visibility timeout, when the lease is over
    assert queue["VisibilityTimeout"] == deliveries.QUEUE_VISIBILITY_SECONDS
    assert queue["VisibilityTimeout"] > deliveries.LEASE_SECONDS
    # The app gives up (quarantines) before the queue does (dead letters)
    assert queue["RedrivePolicy"]["maxReceiveCount"] > deliveries.MAX_ATTEMPTS
    # The sweep waits out a redelivery before it calls a delivery abandoned
    assert queue["VisibilityTimeout"] <= deliveries.ABANDONED_AFTER_SECONDS


def test_abandoned_deliveries_are_swept_on_a_schedule(synthesis: Synthesis) -> None:
    sweep = _functions(synthesis)["sweep_inbound"]
    (event,) = sweep["Events"].values()
    assert event["Type"] == "Schedule"
    table = next(
        logical_id
        for logical_id, t in synthesis.resources("AWS::DynamoDB::Table").items()
        if t["Properties"]["TableName"] == f"{PREFIX}inbound-mail"
    )
    text = json.dumps(_statements_of(synthesis, sweep))
    assert "dynamodb:Query" in text and "dynamodb:UpdateItem" in text and table in text
    assert "dynamodb:Scan" not in text


def test_quarantined_raw_mail_is_copied_where_the_retention_does_not_reach(
    synthesis: Synthesis,
) -> None:
    logical_id, bucket = _inbound_bucket(synthesis)
    expiring = [r for r in bucket["LifecycleConfiguration"]["Rules"] if "ExpirationInDays" in r]
    assert expiring, "raw inbound mail is kept forever"
    assert all(r.get("Prefix") == "raw/" for r in expiring), expiring
    functions = _functions(synthesis)
    for name in ("inbound_mail", "sweep_inbound", "api_handler"):
        statements = _statements_of(synthesis, functions[name])
        for action in ("s3:GetObject", "s3:PutObject"):
            assert any(
                action in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])
                and logical_id in json.dumps(s["Resource"])
                for s in statements
                if s["Effect"] == "Allow"
            ), (name, action)

"""Each Lambda function as AWS runs it: a fresh interpreter that imports only the module its
handler string names (app.py for the API function alone) and calls the handler with an event in
AWS's shape and a Lambda context. Its metrics must reach stdout as EMF before it returns, and
its log lines must carry the invocation's request id, without app.py's middleware."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.environment import TEST_ENVIRONMENT

pytestmark = pytest.mark.functional

PROJECT_DIR = Path(__file__).resolve().parents[2]
EVENTS_DIR = PROJECT_DIR / "tests" / "events"
ENVIRONMENT = {
    **TEST_ENVIRONMENT,
    # As deployed: metrics published, info lines logged.
    "POWERTOOLS_METRICS_DISABLED": "false",
    "POWERTOOLS_LOG_LEVEL": "INFO",
}

# Run in the child: import the handler by its handler string, optionally prepare the emulated
# account and invoke it, then say what it loaded.
DRIVER = r"""
import importlib, json, sys
spec = json.loads(sys.argv[1])
module_name, _, attribute = spec["handler"].rpartition(".")
handler = getattr(importlib.import_module(module_name), attribute)
wrapped = getattr(handler, "func", None)
from chalice.app import Chalice
report = {"in_invocation": bool(getattr(wrapped, "in_invocation", False)),
          "middleware": [[m.__name__, kind] for m, kind in handler.middleware_handlers]
          if isinstance(handler, Chalice) else []}
if spec.get("event") is not None:
    from moto import mock_aws

    class Context:
        aws_request_id = spec["request_id"]
        function_name = spec["name"]
        memory_limit_in_mb = 256
        invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:" + spec["name"]

        def get_remaining_time_in_millis(self):
            return 30_000

    with mock_aws():
        from parley_dev.local.resources import create_resources

        create_resources()
        exec(spec.get("given", ""))
        report["result"] = handler(spec["event"], Context())
report["app_imported"] = "app" in sys.modules
report["powertools_imported"] = "aws_lambda_powertools" in sys.modules
print("REPORT " + json.dumps(report, default=str))
"""


def _child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PARLEY_", "POWERTOOLS_", "AWS_"))}
    return {**env, **ENVIRONMENT}


def _run(spec: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    result = subprocess.run(  # noqa: S603 - our own interpreter and a fixed script
        [sys.executable, "-c", DRIVER, json.dumps(spec)], cwd=PROJECT_DIR, capture_output=True,
        text=True, env=_child_env(), timeout=120, check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.splitlines()
    report = json.loads(next(line for line in lines if line.startswith("REPORT "))[7:])
    emitted = [json.loads(line) for line in lines if line.startswith("{")]
    return report, emitted


@pytest.fixture(scope="module")
def functions() -> list[dict[str, Any]]:
    """Every function as infra/ deploys it, from the app's own declarations."""
    env = _child_env()
    env["PYTHONPATH"] = os.pathsep.join([str(PROJECT_DIR / "infra"), str(PROJECT_DIR)])
    result = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "parley_infra.introspect", str(PROJECT_DIR)], cwd=PROJECT_DIR,
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    listed = list(json.loads(result.stdout)["functions"])
    assert len(listed) >= 14
    return listed


def _metrics(emitted: list[dict[str, Any]]) -> list[tuple[str, dict[str, str], Any]]:
    """(name, dimensions, value) of every metric in the EMF lines."""
    found = []
    for line in emitted:
        if "_aws" not in line:
            continue
        for directive in line["_aws"]["CloudWatchMetrics"]:
            names = {d for dims in directive["Dimensions"] for d in dims}
            for metric in directive["Metrics"]:
                value = line[metric["Name"]]
                total = sum(value) if isinstance(value, list) else value
                found.append((metric["Name"], {d: line[d] for d in names}, total))
    return found


def _logs(emitted: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [line for line in emitted if "_aws" not in line and "level" in line]


def test_every_function_but_the_api_runs_its_handler_in_an_invocation_scope(functions):
    # Given every function as deployed, each imported alone in a fresh interpreter
    for function in functions:
        # When its handler string is imported
        report, _ = _run({"name": function["name"], "handler": function["handler"]})

        # Then it never loads app.py (except the API function, whose handler it is), and its
        # handler flushes its own metrics: the API through app.py's middleware, the others by
        # their @in_invocation
        if function["kind"] == "api":
            assert ["publish_metrics", "http"] in report["middleware"], function
            continue
        assert report["app_imported"] is False, function
        assert report["in_invocation"] is True, function


SEED_IDLE_SESSION = """
from datetime import datetime, timezone
from chalicelib.data.sessions import SessionModel, put_session
put_session(SessionModel("s" * 64, user_id="u-1", role="customer", csrf_token="c",
                         created_at=1_000.0, last_seen_at=1_000.0,
                         expires_at=datetime.fromtimestamp(2_000, timezone.utc)))
"""


def test_the_scheduled_session_cleanup_publishes_its_metric_and_logs_its_request_id():
    # Given an idle session, and the cleanup function imported alone
    event = json.loads((EVENTS_DIR / "scheduled.json").read_text())

    # When EventBridge invokes it
    report, emitted = _run({
        "name": "purge_sessions", "handler": "chalicelib.events.sessions.purge_sessions",
        "event": event, "request_id": "req-purge-1", "given": SEED_IDLE_SESSION,
    })

    # Then the purge is counted on stdout, and its log line names the invocation
    assert report["app_imported"] is False
    assert report["result"] == {"purged": 1}
    assert ("SessionsPurged", {"service": "parley"}, 1.0) in _metrics(emitted)
    assert [line["function_request_id"] for line in _logs(emitted)] == ["req-purge-1"]


def test_a_cleanup_that_purged_nothing_loads_no_powertools():
    # Given no session at all
    event = json.loads((EVENTS_DIR / "scheduled.json").read_text())

    # When the cleanup runs
    report, emitted = _run({
        "name": "purge_sessions", "handler": "chalicelib.events.sessions.purge_sessions",
        "event": event, "request_id": "req-purge-2",
    })

    # Then it counted nothing, wrote nothing and never paid for importing Powertools
    assert report["result"] == {"purged": 0}
    assert emitted == []
    assert report["powertools_imported"] is False


def test_a_bounce_from_the_feedback_topic_publishes_its_metric_with_its_reason():
    # Given SES's bounce notification as SNS delivers it
    event = json.loads((EVENTS_DIR / "ses_bounce.json").read_text())

    # When the feedback function, imported alone, receives it
    report, emitted = _run({
        "name": "mail_feedback", "handler": "chalicelib.events.mail_feedback.mail_feedback",
        "event": event, "request_id": "req-bounce-1",
    })

    # Then the suppression is counted with its reason as a dimension, not in its name
    assert report["app_imported"] is False
    assert report["result"]["suppressed"] >= 1
    metrics = _metrics(emitted)
    assert ("AddressSuppressed", {"service": "parley", "reason": "bounce"},
            float(report["result"]["suppressed"])) in metrics


STORE_RECEIVED_MAIL = """
from chalicelib.adapters.aws import client
raw = (b"From: alice@acme.test\\r\\nTo: support@parley.test\\r\\nSubject: Printer on fire\\r\\n"
       b"Message-ID: <1@acme.test>\\r\\nDate: Tue, 17 Nov 2026 09:41:10 +0000\\r\\n\\r\\n"
       b"It burns.\\r\\n")
client("s3").put_object(Bucket="parley-test-inbound",
                        Key="raw/o3vrnil0e2ic28trm7dfhrc2v0clambda4nbp0g1", Body=raw)
"""


def test_a_received_mail_from_the_queue_publishes_its_outcome_and_logs_its_delivery():
    # Given a new customer's mail that SES stored, and its receipt notification in the inbound
    # queue (SNS raw delivery) as Lambda hands it over
    notification = (EVENTS_DIR / "ses_received.json").read_text()
    delivery_id = json.loads(json.loads(notification)["Message"])["mail"]["messageId"]
    event = {"Records": [{
        "messageId": "m-1", "receiptHandle": "rh-m-1", "body": notification,
        "attributes": {"ApproximateReceiveCount": "1"}, "messageAttributes": {},
        "md5OfBody": "", "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:eu-west-1:123456789012:parley-test-inbound-mail",
        "awsRegion": "eu-west-1",
    }]}

    # When the inbound function, imported alone, receives the batch
    report, emitted = _run({
        "name": "inbound_mail", "handler": "chalicelib.events.inbound_mail.inbound_mail",
        "event": event, "request_id": "req-inbound-1", "given": STORE_RECEIVED_MAIL,
    })

    # Then the outcome is counted under one name with the outcome as a dimension, and the
    # dimensions of one metric do not stick to the others of the same invocation
    assert report["app_imported"] is False
    assert report["result"] == {"batchItemFailures": []}
    metrics = _metrics(emitted)
    assert ("InboundMail", {"service": "parley", "outcome": "ticket"}, 1.0) in metrics
    assert ("TicketCreated", {"service": "parley"}, 1.0) in metrics
    assert ("MailSent", {"service": "parley", "template": "invite"}, 1.0) in metrics
    # And what it logged names the invocation and the delivery
    logs = _logs(emitted)
    assert logs
    assert {(line["function_request_id"], line["delivery_id"]) for line in logs} == {
        ("req-inbound-1", delivery_id)}

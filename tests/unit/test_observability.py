"""One invocation's correlation keys and metric dimensions stay in that invocation."""

from __future__ import annotations

import json
import sys
from types import SimpleNamespace

import pytest

from chalicelib import observability

pytestmark = pytest.mark.unit


class _CurrentStdout:
    """pytest swaps sys.stdout between a fixture's setup and the test: write to the current."""

    def write(self, text: str) -> int:
        return sys.stdout.write(text)

    def flush(self) -> None:
        sys.stdout.flush()


@pytest.fixture
def published(monkeypatch, capsys):
    """Metrics published and info lines logged, as deployed; the log handler writes to the
    captured stdout (it holds the stream it was created with)."""
    from aws_lambda_powertools.metrics.provider.cloudwatch_emf import cloudwatch

    monkeypatch.setattr(cloudwatch, "is_metrics_disabled", lambda: False)
    logger = observability.get_logger()
    handler = logger.registered_handler
    monkeypatch.setattr(handler, "stream", _CurrentStdout())
    level = logger.log_level
    logger.setLevel("INFO")
    yield
    logger.setLevel(level)


def _lines(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def test_keys_of_one_invocation_never_reach_the_next(published, capsys):
    # Given an invocation that learnt its ticket
    with observability.invocation(SimpleNamespace(aws_request_id="req-1")):
        observability.append_log_keys(ticket_id="t-1")
        observability.get_logger().info("first")

    # When the next invocation of the same process logs
    with observability.invocation(SimpleNamespace(aws_request_id="req-2")):
        observability.get_logger().info("second")

    # Then each line carries its own request id and only the first the ticket
    first, second = _lines(capsys.readouterr().out)
    assert (first["function_request_id"], first["ticket_id"]) == ("req-1", "t-1")
    assert second["function_request_id"] == "req-2"
    assert "ticket_id" not in second


def test_a_record_of_a_batch_takes_its_keys_with_it(published, capsys):
    with observability.invocation(SimpleNamespace(aws_request_id="req-1")):
        with observability.record_scope():
            observability.append_log_keys(delivery_id="d-1")
        observability.get_logger().info("after the record")

    (line,) = _lines(capsys.readouterr().out)
    assert line["function_request_id"] == "req-1"
    assert "delivery_id" not in line


def test_a_dimension_stays_on_its_own_metric(published, capsys):
    # Given an invocation that counts with and without dimensions
    with observability.invocation(SimpleNamespace(aws_request_id="req-1")):
        observability.count("AgentAnswer", action="send")
        observability.count("AgentAnswer", action="note")
        observability.count("AgentAnswer", action="send")
        observability.count("CustomerReply")

    # Then every dimension set is its own EMF line, written before the invocation ended
    by_dimensions = {
        tuple(sorted((d, line[d]) for d in line["_aws"]["CloudWatchMetrics"][0]["Dimensions"][0])):
        {m["Name"]: sum(line[m["Name"]]) for m in line["_aws"]["CloudWatchMetrics"][0]["Metrics"]}
        for line in _lines(capsys.readouterr().out)
    }
    assert by_dimensions == {
        (("action", "send"), ("service", "parley")): {"AgentAnswer": 2.0},
        (("action", "note"), ("service", "parley")): {"AgentAnswer": 1.0},
        (("service", "parley"),): {"CustomerReply": 1.0},
    }

    # And the next invocation starts with nothing
    with observability.invocation(SimpleNamespace(aws_request_id="req-2")):
        pass
    assert _lines(capsys.readouterr().out) == []

"""Business metrics reach CloudWatch: each invocation writes what it counted (Embedded Metric
Format lines in the function's log) before Lambda may freeze the process."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.functional


def _emf_lines(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines() if line.startswith('{"_aws"')]


def test_a_sign_in_publishes_its_metric_in_the_same_invocation(api, make_user, capsys,
                                                               monkeypatch):
    from aws_lambda_powertools.metrics.provider.cloudwatch_emf import cloudwatch

    # The test stage disables publishing (chalice's client puts that back on every request)
    monkeypatch.setattr(cloudwatch, "is_metrics_disabled", lambda: False)
    user = make_user("customer")
    capsys.readouterr()

    api.login(user["email"])

    published = _emf_lines(capsys.readouterr().out)
    assert len(published) == 1
    names = [m["Name"] for m in published[0]["_aws"]["CloudWatchMetrics"][0]["Metrics"]]
    assert names == ["SignIn"]
    assert published[0]["SignIn"] in (1, 1.0, [1.0])
    assert published[0]["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "Parley"

    # And a request that counted nothing writes nothing
    api.call("GET", "/api/health")
    assert _emf_lines(capsys.readouterr().out) == []

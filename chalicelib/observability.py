"""Logger and Metrics, created once per process. Tracer is deliberately absent: it imports the
X-Ray SDK (~0.4 s of cold start) and tracing is off."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aws_lambda_powertools import Logger, Metrics

SERVICE = "parley"


@lru_cache(maxsize=1)
def get_logger() -> Logger:
    from aws_lambda_powertools import Logger

    return Logger(service=SERVICE)


@lru_cache(maxsize=1)
def get_metrics() -> Metrics:
    from aws_lambda_powertools import Metrics

    return Metrics(namespace="Parley", service=SERVICE)


def count(name: str, value: int = 1) -> None:
    """One metric per business event (sign-in, lockout, message sent...)."""
    from aws_lambda_powertools.metrics import MetricUnit

    get_metrics().add_metric(name=name, unit=MetricUnit.Count, value=value)

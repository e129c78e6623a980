"""Logger and Metrics, created once per process. Tracer is deliberately absent: it imports the
X-Ray SDK (~0.4 s of cold start) and tracing is off."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING, Any

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


def publish_metrics(event: Any, get_response: Callable[[Any], Any]) -> Any:
    """Middleware for every handler: the invocation's metrics are written (as EMF lines in the
    log) before Lambda may freeze the process; without it they would wait for 100 values and
    be lost when the function is recycled. A handler that counted nothing imports nothing."""
    try:
        return get_response(event)
    finally:
        if get_metrics.cache_info().currsize:
            metrics = get_metrics()
            if metrics.metric_set:
                metrics.flush_metrics()
                metrics.clear_metrics()  # flush leaves them when metrics are disabled

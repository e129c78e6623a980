"""Logger and Metrics, created once per process, and the invocation scope every Lambda function
runs its handler in. Tracer is deliberately absent: it imports the X-Ray SDK (~0.4 s of cold
start) and tracing is off.

Deployed, each function imports only the module its handler string names (the API function
`app.app`, the others e.g. `chalicelib.events.sessions.purge_sessions`), so middleware registered
in app.py reaches the routes alone: every event handler and the authorizer are decorated with
`@in_invocation` (under the chalice decorator) and flush their own metrics. Nothing here imports
Powertools until something is logged or counted: an invocation that did neither loads nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache, wraps
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from aws_lambda_powertools import Logger, Metrics
    from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import (
        AmazonCloudWatchEMFProvider,
    )

SERVICE = "parley"
NAMESPACE = "Parley"

# Correlation keys of the current invocation (request ids, ticket, inbound delivery): kept here
# so that keys appended before the logger exists still reach it, and removed at the end of the
# invocation so that none leaks into the next one the same process serves.
_log_keys: dict[str, str] = {}
# Metrics counted with dimensions, one metric set per dimension set: Powertools' Metrics keeps
# one dimension set for everything it holds, so a dimension added there would stick to every
# other metric of the invocation.
_dimensioned: dict[tuple[tuple[str, str], ...], AmazonCloudWatchEMFProvider] = {}
_depth = [0]  # nested scopes (a handler under app.py's middleware locally) end once

Handler = TypeVar("Handler", bound=Callable[..., Any])


@lru_cache(maxsize=1)
def get_logger() -> Logger:
    from aws_lambda_powertools import Logger

    logger = Logger(service=SERVICE)
    if _log_keys:
        logger.append_keys(**_log_keys)
    return logger


@lru_cache(maxsize=1)
def get_metrics() -> Metrics:
    from aws_lambda_powertools import Metrics

    return Metrics(namespace=NAMESPACE, service=SERVICE)


def append_log_keys(**keys: str | None) -> None:
    """Correlation keys (`ticket_id`, `delivery_id`...) on every later log line of this
    invocation. Keys without a value are skipped. Imports nothing until something is logged."""
    known = {name: str(value) for name, value in keys.items() if value}
    if not known:
        return
    _log_keys.update(known)
    if get_logger.cache_info().currsize:
        get_logger().append_keys(**known)


@contextmanager
def record_scope() -> Iterator[None]:
    """One record of a batch: the keys appended while handling it (its delivery, its ticket)
    leave with it, so the next record's log lines do not carry them."""
    before = dict(_log_keys)
    try:
        yield
    finally:
        added = [name for name in _log_keys if name not in before]
        changed = {name: value for name, value in before.items() if _log_keys.get(name) != value}
        for name in added:
            del _log_keys[name]
        _log_keys.update(changed)
        if get_logger.cache_info().currsize:
            if added:
                get_logger().remove_keys(added)
            if changed:
                get_logger().append_keys(**changed)


def count(name: str, value: int = 1, **dimensions: str) -> None:
    """One metric per business event (sign-in, lockout, message sent...). What varies (the
    template, the outcome...) is a dimension, never part of the name: `count("MailSent",
    template="reset")`."""
    from aws_lambda_powertools.metrics import MetricUnit

    if not dimensions:
        get_metrics().add_metric(name=name, unit=MetricUnit.Count, value=value)
        return
    key = tuple(sorted((k, str(v)) for k, v in dimensions.items()))
    metric_set = _dimensioned.get(key)
    if metric_set is None:
        from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import (
            AmazonCloudWatchEMFProvider,
        )

        # default_dimensions: they survive the set's own flush at 100 values.
        metric_set = AmazonCloudWatchEMFProvider(
            namespace=NAMESPACE, service=SERVICE, default_dimensions=dict(key)
        )
        _dimensioned[key] = metric_set
    metric_set.add_metric(name=name, unit=MetricUnit.Count, value=value)


def flush_metrics() -> None:
    """Write what was counted as Embedded Metric Format lines on stdout, now: Lambda may freeze
    the process once the handler returns, and Powertools would otherwise wait for 100 values."""
    if get_metrics.cache_info().currsize:
        metrics = get_metrics()
        if metrics.metric_set:
            metrics.flush_metrics()
            metrics.clear_metrics()  # flush leaves them when metrics are disabled
    for metric_set in _dimensioned.values():
        if metric_set.metric_set:
            metric_set.flush_metrics()
    _dimensioned.clear()


@contextmanager
def invocation(lambda_context: Any = None, **keys: str | None) -> Iterator[None]:
    """One Lambda invocation: its log lines carry the Lambda request id (and `keys`), and its
    metrics are written before it returns. Nested scopes end with the outermost."""
    if not _depth[0]:
        append_log_keys(function_request_id=getattr(lambda_context, "aws_request_id", None),
                        **keys)
    _depth[0] += 1
    try:
        yield
    finally:
        _depth[0] -= 1
        if not _depth[0]:
            _end_invocation()


def _end_invocation() -> None:
    try:
        flush_metrics()
    finally:
        if _log_keys and get_logger.cache_info().currsize:
            get_logger().remove_keys(list(_log_keys))
        _log_keys.clear()


def in_invocation(handler: Handler) -> Handler:
    """For every event handler and the authorizer, under the chalice decorator: the chalice
    event (or auth request) it receives carries the Lambda context as `.context`."""

    @wraps(handler)
    def run(event: Any, *args: Any, **kwargs: Any) -> Any:
        with invocation(getattr(event, "context", None)):
            return handler(event, *args, **kwargs)

    run.in_invocation = True  # type: ignore[attr-defined]  # checked by tests over every function
    return run  # type: ignore[return-value]


def publish_metrics(event: Any, get_response: Callable[[Any], Any]) -> Any:
    """Middleware app.py registers for the API function's routes (chalice hands it the Request:
    `.lambda_context`, and `.context` is API Gateway's request context)."""
    request_context = getattr(event, "context", None)
    api_request_id = request_context.get("requestId") if isinstance(request_context, dict) else None
    with invocation(getattr(event, "lambda_context", None), api_request_id=api_request_id):
        return get_response(event)

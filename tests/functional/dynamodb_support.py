"""What reaches DynamoDB, seen from botocore: a recorder of the calls each request makes, and the
key and number limits DynamoDB enforces and moto does not."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from botocore.client import BaseClient
from botocore.exceptions import ClientError

MAX_KEY_BYTES = 1024  # a sort key's limit; a partition key may have 2,048
MAX_NUMBER_DIGITS = 38


@contextmanager
def _watching(see: Callable[[str, str, dict[str, Any]], None]) -> Iterator[None]:
    """Every AWS call made inside the block, boto3's and PynamoDB's alike, shown to `see` as
    (service, operation, parameters) before it is made."""
    original = BaseClient._make_api_call

    def recording(self: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        see(self.meta.service_model.service_name, operation, params)
        return original(self, operation, params)

    BaseClient._make_api_call = recording  # type: ignore[method-assign]
    try:
        yield
    finally:
        BaseClient._make_api_call = original  # type: ignore[method-assign]


@contextmanager
def dynamodb_calls() -> Iterator[Counter[str]]:
    """Counts the DynamoDB operations made inside the block, by name."""
    calls: Counter[str] = Counter()

    def see(service: str, operation: str, params: dict[str, Any]) -> None:
        if service == "dynamodb":
            calls[operation] += 1

    with _watching(see):
        yield calls


@contextmanager
def aws_calls() -> Iterator[list[tuple[str, str, str]]]:
    """Every AWS call made inside the block as (service, operation, the table or queue it
    names), in order. Keys and values are left out: comparing two requests' calls should not
    depend on the address each was about."""
    calls: list[tuple[str, str, str]] = []

    def see(service: str, operation: str, params: dict[str, Any]) -> None:
        target = params.get("TableName") or params.get("QueueUrl", "").rsplit("/", 1)[-1]
        if not target and params.get("TransactItems"):
            target = ",".join(sorted(next(iter(item.values()))["TableName"]
                                     for item in params["TransactItems"]))
        calls.append((service, operation, str(target)))

    with _watching(see):
        yield calls


@contextmanager
def dynamodb_limits() -> Iterator[list[str]]:
    """Inside the block a key value over 1,024 bytes or a number of more than 38 significant
    digits is refused with DynamoDB's ValidationException, as AWS does (moto stores them). The
    list collects what was refused, so a test can say which request reached the store."""
    refused: list[str] = []
    original = BaseClient._make_api_call

    def checked(self: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        if self.meta.service_model.service_name == "dynamodb":
            problem = _problem(params)
            if problem:
                refused.append(f"{operation}: {problem}")
                raise ClientError(
                    {"Error": {"Code": "ValidationException", "Message": problem}}, operation
                )
        return original(self, operation, params)

    BaseClient._make_api_call = checked  # type: ignore[method-assign]
    try:
        yield refused
    finally:
        BaseClient._make_api_call = original  # type: ignore[method-assign]


def _problem(params: dict[str, Any]) -> str | None:
    for value in _key_values(params):
        if "S" in value and len(value["S"].encode()) > MAX_KEY_BYTES:
            return f"key value of {len(value['S'].encode())} bytes"
    for value in _numbers(params):
        digits = Decimal(value).normalize().as_tuple().digits
        if len(digits) > MAX_NUMBER_DIGITS:
            return f"number of {len(digits)} significant digits"
    return None


def _key_values(params: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Values used as keys: Key of a single-item call, Keys of a batch get, the Key of each part
    of a transaction, and the values a Query's key condition names."""
    keys = [params.get("Key")]
    for request in (params.get("RequestItems") or {}).values():
        keys += request.get("Keys", []) if isinstance(request, dict) else []
    for part in params.get("TransactItems") or []:
        keys += [action.get("Key") for action in part.values()]
    for key in keys:
        yield from (key or {}).values()
    condition = params.get("KeyConditionExpression") or ""
    values = params.get("ExpressionAttributeValues") or {}
    for placeholder in re.findall(r":\w+", condition):
        if placeholder in values:
            yield values[placeholder]


def _numbers(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for name, inner in value.items():
            if name == "N" and isinstance(inner, str):
                yield inner
            else:
                yield from _numbers(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _numbers(inner)

"""What a piece of code would be billed for on AWS, measured on moto: DynamoDB read and write
request units, the other AWS requests it makes, mails sent, and the time spent outside the
emulator (the function's own work).

moto reports fixed ConsumedCapacity figures whatever the items, so the units are derived here
from DynamoDB's published on-demand rules, from the sizes of the items each call touched:

- GetItem / BatchGetItem: per item, 1 RRU per 4 KB (at least 1) for a strongly consistent read,
  half that when eventually consistent; a miss costs the same minimum.
- Query / Scan: the items the key condition reads (before any filter, whatever the projection),
  summed and rounded up to 4 KB once per call; halved when eventually consistent.
- PutItem / UpdateItem / DeleteItem / BatchWriteItem: per item, 1 WRU per 1 KB of the larger of
  the item before and after (at least 1), charged even when the condition fails; plus, on
  success, every secondary index whose entry appears, changes or goes: 1 WRU per 1 KB of the
  entry, 2 writes (delete + put) when the entry's index key changed.
- TransactWriteItems / TransactGetItems: twice the table units (ConditionCheck included);
  index writes as above.

Item sizes follow DynamoDB's rules (attribute names + values; numbers about one byte per two
digits; lists and maps 3 bytes + 1 per element). The sizes are read with extra GetItem / Query
calls to the emulator that the meter makes itself and does not count.
"""

from __future__ import annotations

import math
import re
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from botocore.client import BaseClient
from botocore.exceptions import ClientError

READ_UNIT = 4096
WRITE_UNIT = 1024


@dataclass
class Usage:
    """What one piece of work used, split by who did it (the authorizer runs in its own Lambda
    function on AWS, the route in another)."""

    calls: Counter[str] = field(default_factory=Counter)  # "dynamodb.GetItem", "s3.GetObject"
    rru: float = 0.0
    wru: float = 0.0
    recipients: int = 0  # SES bills per recipient
    # Inside AWS calls: the emulator's work, not the function's (CPU time of this thread, so
    # that other processes on the machine do not count).
    aws_seconds: float = 0.0

    @property
    def dynamodb_calls(self) -> int:
        return sum(n for name, n in self.calls.items() if name.startswith("dynamodb."))

    def other_calls(self) -> dict[str, int]:
        return {k: v for k, v in sorted(self.calls.items()) if not k.startswith("dynamodb.")}


@dataclass
class Meter:
    units: bool = True  # False: count calls and time only (no extra calls to size items)
    handler: Usage = field(default_factory=Usage)
    authorizer: Usage = field(default_factory=Usage)
    authorizer_seconds: float = 0.0  # CPU time inside the authorizer, its AWS calls included
    in_authorizer: int = 0

    @property
    def current(self) -> Usage:
        return self.authorizer if self.in_authorizer else self.handler


# -- item sizes --------------------------------------------------------------------------------


def _number_size(text: str) -> int:
    digits = text.lstrip("-").lower().split("e")[0].replace(".", "").strip("0")
    return (len(digits) + 1) // 2 + 1


def _value_size(value: dict[str, Any]) -> int:
    ((kind, v),) = value.items()
    if kind == "S":
        return len(v.encode())
    if kind == "N":
        return _number_size(v)
    if kind == "B":
        return len(v)
    if kind in {"BOOL", "NULL"}:
        return 1
    if kind == "SS":
        return sum(len(x.encode()) for x in v)
    if kind == "NS":
        return sum(_number_size(x) for x in v)
    if kind == "BS":
        return sum(len(x) for x in v)
    if kind == "L":
        return 3 + sum(1 + _value_size(x) for x in v)
    if kind == "M":
        return 3 + sum(1 + len(k.encode()) + _value_size(x) for k, x in v.items())
    raise ValueError(f"unknown attribute type {kind}")


def item_size(item: dict[str, Any] | None) -> int:
    if not item:
        return 0
    return sum(len(name.encode()) + _value_size(value) for name, value in item.items())


def read_units(size: int, consistent: bool) -> float:
    return max(1, math.ceil(size / READ_UNIT)) * (1.0 if consistent else 0.5)


def write_units(size: int) -> int:
    return max(1, math.ceil(size / WRITE_UNIT))


# -- table shapes ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Index:
    name: str
    keys: tuple[str, ...]
    projection: str
    non_key: tuple[str, ...]


@dataclass(frozen=True)
class _Table:
    keys: tuple[str, ...]
    indexes: tuple[_Index, ...]

    def key_of(self, item: dict[str, Any]) -> dict[str, Any]:
        return {k: item[k] for k in self.keys}

    def entry(self, item: dict[str, Any] | None, index: _Index) -> dict[str, Any] | None:
        """The item as the index stores it, or None when the item is not in the index."""
        if not item or any(k not in item for k in index.keys):
            return None
        if index.projection == "ALL":
            return dict(item)
        names = {*self.keys, *index.keys, *index.non_key}
        return {k: v for k, v in item.items() if k in names}


_TABLES: dict[str, _Table] = {}


def _describe(client: BaseClient, original: Any, name: str) -> _Table:
    if name not in _TABLES:
        table = original(client, "DescribeTable", {"TableName": name})["Table"]
        indexes = []
        for index in table.get("GlobalSecondaryIndexes", []) + table.get(
            "LocalSecondaryIndexes", []
        ):
            projection = index.get("Projection", {})
            indexes.append(
                _Index(
                    index["IndexName"],
                    tuple(k["AttributeName"] for k in index["KeySchema"]),
                    projection.get("ProjectionType", "ALL"),
                    tuple(projection.get("NonKeyAttributes", [])),
                )
            )
        _TABLES[name] = _Table(
            tuple(k["AttributeName"] for k in table["KeySchema"]), tuple(indexes)
        )
    return _TABLES[name]


def _full_item(client: BaseClient, original: Any, table: str, key: dict[str, Any]) -> Any:
    response = original(client, "GetItem", {"TableName": table, "Key": key, "ConsistentRead": True})
    return response.get("Item")


def _index_writes(table: _Table, before: Any, after: Any) -> int:
    units = 0
    for index in table.indexes:
        old, new = table.entry(before, index), table.entry(after, index)
        if old == new:
            continue
        if old is None:
            units += write_units(item_size(new))
        elif new is None:
            units += write_units(item_size(old))
        elif all(old[k] == new[k] for k in index.keys):
            units += write_units(max(item_size(old), item_size(new)))
        else:
            units += write_units(item_size(old)) + write_units(item_size(new))
    return units


_PLACEHOLDER = re.compile(r"[#:][A-Za-z0-9_]+")


def _evaluated_items(client: BaseClient, original: Any, operation: str, params: dict) -> int:
    """The bytes a Query or Scan read: the same key condition, page start and limit, without the
    filter and projection (DynamoDB bills what it read, not what it returned)."""
    keep = ("TableName", "IndexName", "KeyConditionExpression", "ExclusiveStartKey", "Limit",
            "ScanIndexForward", "Segment", "TotalSegments")
    again = {k: params[k] for k in keep if k in params}
    used = set(_PLACEHOLDER.findall(params.get("KeyConditionExpression", "")))
    for mapping in ("ExpressionAttributeNames", "ExpressionAttributeValues"):
        values = {k: v for k, v in params.get(mapping, {}).items() if k in used}
        if values:
            again[mapping] = values
    response = original(client, operation, again)
    return sum(item_size(i) for i in response.get("Items", []))


def _dynamodb(meter: Meter, client: BaseClient, original: Any, operation: str, params: dict) -> Any:
    usage = meter.current
    if not meter.units:
        started = time.thread_time()
        try:
            return original(client, operation, params)
        finally:
            usage.aws_seconds += time.thread_time() - started
    if operation in {"GetItem", "BatchGetItem", "TransactGetItems", "Query", "Scan"}:
        started = time.thread_time()
        response = original(client, operation, params)
        usage.aws_seconds += time.thread_time() - started
        if operation == "GetItem":
            item = _full_item(client, original, params["TableName"], params["Key"])
            usage.rru += read_units(item_size(item), bool(params.get("ConsistentRead")))
        elif operation == "BatchGetItem":
            for name, request in params["RequestItems"].items():
                for key in request["Keys"]:
                    item = _full_item(client, original, name, key)
                    usage.rru += read_units(item_size(item), bool(request.get("ConsistentRead")))
        elif operation == "TransactGetItems":
            for entry in params["TransactItems"]:
                get = entry["Get"]
                item = _full_item(client, original, get["TableName"], get["Key"])
                usage.rru += 2 * read_units(item_size(item), True)
        else:
            size = _evaluated_items(client, original, operation, params)
            usage.rru += read_units(size, bool(params.get("ConsistentRead")))
        return response

    writes: list[tuple[str, dict[str, Any], int, bool]] = []  # table, key, factor, changes item
    if operation in {"PutItem", "UpdateItem", "DeleteItem"}:
        table = _describe(client, original, params["TableName"])
        key = params["Key"] if "Key" in params else table.key_of(params["Item"])
        writes.append((params["TableName"], key, 1, True))
    elif operation == "BatchWriteItem":
        for name, requests in params["RequestItems"].items():
            table = _describe(client, original, name)
            for request in requests:
                if "PutRequest" in request:
                    writes.append((name, table.key_of(request["PutRequest"]["Item"]), 1, True))
                else:
                    writes.append((name, request["DeleteRequest"]["Key"], 1, True))
    elif operation == "TransactWriteItems":
        for entry in params["TransactItems"]:
            ((kind, action),) = entry.items()
            table = _describe(client, original, action["TableName"])
            key = action["Key"] if "Key" in action else table.key_of(action["Item"])
            writes.append((action["TableName"], key, 2, kind != "ConditionCheck"))
    if not writes:  # DescribeTable and other calls DynamoDB does not bill per request
        started = time.thread_time()
        try:
            return original(client, operation, params)
        finally:
            usage.aws_seconds += time.thread_time() - started

    before = [_full_item(client, original, name, key) for name, key, _, _ in writes]
    started = time.thread_time()
    try:
        response = original(client, operation, params)
    except ClientError:
        usage.aws_seconds += time.thread_time() - started
        # A failed condition or a cancelled transaction still consumes the table's units.
        for (_, _, factor, _), old in zip(writes, before, strict=True):
            usage.wru += factor * write_units(item_size(old))
        raise
    usage.aws_seconds += time.thread_time() - started
    for (name, key, factor, changes), old in zip(writes, before, strict=True):
        new = _full_item(client, original, name, key)
        usage.wru += factor * write_units(max(item_size(old), item_size(new)))
        if changes:
            usage.wru += _index_writes(_describe(client, original, name), old, new)
    return response


def _recipients(params: dict[str, Any]) -> int:
    destination = params.get("Destination") or {}
    found = sum(len(destination.get(k, [])) for k in ("ToAddresses", "CcAddresses", "BccAddresses"))
    return found or len(params.get("Destinations", [])) or 1


@contextmanager
def metered(*, units: bool = True) -> Iterator[Meter]:
    """Meter every AWS call made inside the block (by any client). With `units`, DynamoDB calls
    are also priced, at the cost of extra calls that make the block's timing meaningless."""
    from chalicelib.api.authorizer import SessionAuthorizer

    meter = Meter(units=units)
    original = BaseClient._make_api_call
    original_authorizer = SessionAuthorizer.__call__

    def recording(self: BaseClient, operation: str, params: dict) -> Any:
        service = self.meta.service_model.service_name
        usage = meter.current
        usage.calls[f"{service}.{operation}"] += 1
        if service == "dynamodb":
            return _dynamodb(meter, self, original, operation, params)
        if service in {"ses", "sesv2"} and operation.startswith("Send"):
            usage.recipients += _recipients(params)
        started = time.thread_time()
        try:
            return original(self, operation, params)
        finally:
            usage.aws_seconds += time.thread_time() - started

    def authorizer(self: Any, event: Any, context: Any) -> Any:
        meter.in_authorizer += 1
        started = time.thread_time()
        try:
            return original_authorizer(self, event, context)
        finally:
            meter.authorizer_seconds += time.thread_time() - started
            meter.in_authorizer -= 1

    BaseClient._make_api_call = recording  # type: ignore[method-assign]
    SessionAuthorizer.__call__ = authorizer  # type: ignore[method-assign]
    try:
        yield meter
    finally:
        BaseClient._make_api_call = original  # type: ignore[method-assign]
        SessionAuthorizer.__call__ = original_authorizer  # type: ignore[method-assign]

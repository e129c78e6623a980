"""Give the emulator DynamoDB's atomicity, at DynamoDB's cost.

1. DynamoDB applies each write, and each transaction, atomically: a condition is checked and the
   write applied with nothing in between. moto checks and then writes in plain Python, so two
   threads can both pass `attribute_not_exists` and one write silently replaces the other. The
   app relies on DynamoDB's guarantee (that is what conditional writes are for), so the local
   run and the tests restore it by serializing moto's DynamoDB operations behind one lock.

2. A Query of one partition costs what the partition holds. moto's query sorts every item of the
   table first; here a base-table query looks at the one partition asked for, and an index
   query at one bucket of a map of the index that is rebuilt after a write (so reads between
   writes, the common case, cost the partition only).

3. A DynamoDB transaction costs what its items cost. moto makes it all-or-nothing by deep-copying
   every table the transaction touches, before every transaction, so a reply costs more the more
   messages the table holds (seconds, and gigabytes of memory, at 100,000 messages). Here the
   rollback copy is taken of the touched items only, and of the stream's length: a cancelled
   transaction is undone item by item and leaves no stream record behind, as on DynamoDB.

The lock applies to any moto version; 2 and 3 reach into moto's internals, so they apply to the
pinned version only (another version keeps moto's own, slower behaviour).
"""

from __future__ import annotations

import copy
import functools
import threading
from typing import Any

MOTO_VERSION = "5.2.5"
_LOCK = threading.RLock()
_OPERATIONS = ("put_item", "update_item", "delete_item", "transact_write_items", "get_item",
               "query", "scan")


class _NoTableCopy:
    """Stands in for the `copy` module inside moto's DynamoDB backend: tables are not copied
    (the item-level snapshot below replaces that), everything else is."""

    @staticmethod
    def deepcopy(value: Any, memo: Any = None) -> Any:
        from moto.dynamodb.models.table import Table

        return value if isinstance(value, Table) else copy.deepcopy(value, memo)


def _key_of(backend: Any, op_type: str, op: dict[str, Any]) -> dict[str, Any] | None:
    table = backend.tables.get(op.get("TableName"))
    if table is None:
        return None
    if op_type != "Put":
        return dict(op.get("Key") or {})
    attrs = op.get("Item") or {}
    key = {table.hash_key_attr: attrs.get(table.hash_key_attr)}
    if table.range_key_attr is not None:
        key[table.range_key_attr] = attrs.get(table.range_key_attr)
    return key


def _with_item_rollback(original: Any) -> Any:
    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        before: list[tuple[str, dict[str, Any], dict[str, Any] | None]] = []
        stream_lengths: dict[str, int] = {}
        for entry in transact_items:
            op_type, op = next(iter(entry.items()))
            key = _key_of(self, op_type, op)
            if key is None or None in key.values():
                continue
            name = op["TableName"]
            try:
                current = self.get_item(name, key)
            except Exception:  # noqa: S112 - malformed key: moto's own validation refuses it
                continue
            before.append((name, key, current.to_json()["Attributes"] if current else None))
            shard = self.tables[name].stream_shard
            stream_lengths.setdefault(name, len(shard.items) if shard else 0)
        try:
            original(self, transact_items)
        except Exception:
            for name, key, attributes in reversed(before):
                if attributes is None:
                    if self.get_item(name, key) is not None:
                        self.delete_item(name, key)
                else:
                    self.put_item(name, attributes)
            for name, length in stream_lengths.items():
                shard = self.tables[name].stream_shard
                if shard is not None:
                    del shard.items[length:]
            raise

    functools.update_wrapper(transact_write_items, original)
    return transact_write_items


_partition = threading.local()
_writes = [0]  # bumped after every write, under the lock: the index buckets below are then stale
_WRITES = ("put_item", "update_item", "delete_item", "transact_write_items")


def items_replaced() -> None:
    """Items were changed behind moto's API (the tests empty the tables between tests): every
    index map built so far is stale."""
    with _LOCK:
        _writes[0] += 1


def _index_bucket(table: Any, index_name: str, conditions: list[tuple[str, Any]]) -> list[Any]:
    """The items of one index partition, from a map of the whole index rebuilt after writes."""
    attrs = tuple(name for name, _ in conditions)
    cache = table.__dict__.setdefault("_parley_index_buckets", {})
    version, buckets = cache.get((index_name, attrs), (-1, None))
    if version != _writes[0] or buckets is None:
        buckets = {}
        for hash_set in table.items.values():
            for item in hash_set.values() if table.range_key_attr else [hash_set]:
                values = tuple(item.attrs.get(name) for name in attrs)
                if all(value is not None for value in values):
                    buckets.setdefault(values, []).append(item)
        cache[(index_name, attrs)] = (_writes[0], buckets)
    return list(buckets.get(tuple(value for _, value in conditions), []))


def _query_one_partition(query: Any, all_items: Any) -> tuple[Any, Any]:
    def partition_query(self: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        index_name = args[6] if len(args) > 6 else kwargs.get("index_name")
        conditions = kwargs.get("hash_key_conditions")
        _partition.key = hash_key if index_name is None and hash_key is not None else None
        _partition.index = (index_name, conditions) if index_name and conditions else None
        try:
            return query(self, hash_key, *args, **kwargs)
        finally:
            _partition.key = _partition.index = None

    def partition_items(self: Any) -> Any:
        # moto's query filters and sorts what this returns, so a superset of the partition
        # (never a subset) keeps its answers exact.
        index = getattr(_partition, "index", None)
        if index is not None:
            return _index_bucket(self, *index)
        key = getattr(_partition, "key", None)
        if key is None or not self.range_key_attr:
            return all_items(self)
        return sorted(self.items.get(key, {}).values(), key=lambda item: item.range_key)

    functools.update_wrapper(partition_query, query)
    functools.update_wrapper(partition_items, all_items)
    return partition_query, partition_items


def make_dynamodb_atomic() -> None:
    import moto
    import moto.dynamodb.models as models
    from moto.dynamodb.models import DynamoDBBackend

    if getattr(DynamoDBBackend, "_parley_patched", False):
        return
    if moto.__version__ == MOTO_VERSION:
        from moto.dynamodb.models.table import Table

        models.copy = _NoTableCopy  # type: ignore[assignment,attr-defined]
        Table.query, Table.all_items = _query_one_partition(  # type: ignore[method-assign]
            Table.query, Table.all_items
        )
        DynamoDBBackend.transact_write_items = _with_item_rollback(  # type: ignore[method-assign]
            DynamoDBBackend.transact_write_items
        )
    for name in _OPERATIONS:
        original = getattr(DynamoDBBackend, name)

        def locked(
            self: Any, *args: Any, _original: Any = original, _write: bool = name in _WRITES,
            **kwargs: Any,
        ) -> Any:
            with _LOCK:
                try:
                    return _original(self, *args, **kwargs)
                finally:
                    if _write:
                        _writes[0] += 1

        functools.update_wrapper(locked, original)
        setattr(DynamoDBBackend, name, locked)
    DynamoDBBackend._parley_patched = True  # type: ignore[attr-defined]

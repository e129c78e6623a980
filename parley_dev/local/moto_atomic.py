"""Give the emulator DynamoDB's atomicity, at DynamoDB's cost.

1. DynamoDB applies each write, and each transaction, atomically: a condition is checked and the
   write applied with nothing in between. moto checks and then writes in plain Python, so two
   threads can both pass `attribute_not_exists` and one write silently replaces the other. The
   app relies on DynamoDB's guarantee (that is what conditional writes are for), so the local
   run and the tests restore it by serializing moto's DynamoDB operations behind one lock.

2. A Query of one partition costs what the partition holds. moto's query sorts every item of the
   table first; here a base-table query looks at the one partition asked for, and an index
   query at one bucket of a map of the index that is rebuilt after a write to its table (so
   reads between writes, the common case, cost the partition only). moto then sorts what it
   picked by the index's and the table's keys, comparing each pair of attribute values through
   Python methods (a second a query on a partition of thousands of items); here the same sort
   compares the values those methods compare (a number's Decimal, a string, bytes) directly,
   when each key holds values of one type, as a table's keys do: the same order.

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
# Bumped after every write to a table, under the lock: its index buckets below are then stale.
# The epoch, for all the tables at once.
_writes: dict[str, int] = {}
_epoch = [0]
_WRITES = ("put_item", "update_item", "delete_item", "transact_write_items")


def items_replaced() -> None:
    """Items were changed behind moto's API (the tests empty the tables between tests): every
    index map built so far is stale."""
    with _LOCK:
        _epoch[0] += 1


def _written(name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """After a write (under the lock): the tables it wrote have changed."""
    if name == "transact_write_items":
        entries = args[0] if args else kwargs.get("transact_items") or []
        tables = [op.get("TableName") for entry in entries for op in entry.values()
                  if isinstance(op, dict)]
    else:
        tables = [args[0] if args else kwargs.get("table_name")]
    names = [table for table in tables if isinstance(table, str)]
    if not names or len(names) != len(tables):
        _epoch[0] += 1  # which tables is unclear: all of them
        return
    for table in names:
        _writes[table] = _writes.get(table, 0) + 1


def _version(table: Any) -> tuple[int, int]:
    return (_epoch[0], _writes.get(table.name, 0))


def _index_bucket(table: Any, index_name: str, conditions: list[tuple[str, Any]]) -> list[Any]:
    """The items of one index partition, from a map of the whole index rebuilt after writes."""
    attrs = tuple(name for name, _ in conditions)
    cache = table.__dict__.setdefault("_parley_index_buckets", {})
    version, buckets = cache.get((index_name, attrs), (None, None))
    if version != _version(table) or buckets is None:
        buckets = {}
        for hash_set in table.items.values():
            for item in hash_set.values() if table.range_key_attr else [hash_set]:
                values = tuple(item.attrs.get(name) for name in attrs)
                if all(value is not None for value in values):
                    buckets.setdefault(values, []).append(item)
        cache[(index_name, attrs)] = (_version(table), buckets)
    return list(buckets.get(tuple(value for _, value in conditions), []))


def _sorted_natively(sorted_items: Any) -> Any:
    """moto's Table.sorted_items (an in-place sort by a tuple of DynamoType), comparing the
    values DynamoType's __eq__ and __lt__ compare: its cast_value, of one type per key."""

    def sort_natively(self: Any, hash_key_attrs: Any, range_key_attrs: Any, items: Any) -> Any:
        by = self._generate_attr_to_sort_by(hash_key_attrs, range_key_attrs)
        try:
            columns = []
            for name in by:
                values = [item.attrs[name] for item in items]
                if len({value.type for value in values}) > 1:
                    raise TypeError(name)  # moto's own comparison says what it makes of that
                columns.append([value.cast_value for value in values])
            keys = list(zip(*columns, strict=True))
            order = sorted(range(len(items)), key=keys.__getitem__)
        except Exception:  # moto's sort, with its own error if any
            return sorted_items(self, hash_key_attrs, range_key_attrs, items)
        items[:] = [items[position] for position in order]
        return items

    functools.update_wrapper(sort_natively, sorted_items)
    return sort_natively


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
        Table.sorted_items = _sorted_natively(Table.sorted_items)  # type: ignore[method-assign]
        DynamoDBBackend.transact_write_items = _with_item_rollback(  # type: ignore[method-assign]
            DynamoDBBackend.transact_write_items
        )
    for name in _OPERATIONS:
        original = getattr(DynamoDBBackend, name)

        def locked(
            self: Any, *args: Any, _original: Any = original, _name: str = name, **kwargs: Any,
        ) -> Any:
            with _LOCK:
                try:
                    return _original(self, *args, **kwargs)
                finally:
                    if _name in _WRITES:
                        _written(_name, args, kwargs)

        functools.update_wrapper(locked, original)
        setattr(DynamoDBBackend, name, locked)
    DynamoDBBackend._parley_patched = True  # type: ignore[attr-defined]

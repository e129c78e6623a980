"""What the emulator was written to, for the local event pump to wake on (pump.py).

`parley dev` runs moto in its own process, so the pump need not ask the emulator over and over
whether a stream or a queue has something new (the stack spent a tenth of a core doing that while
idle, and every change waited up to half a second for the next look). Each write to a DynamoDB
table and each message added to an SQS queue counts a change of that table or queue here; a pump
thread waits for a change of what it reads, then reads it through the API as before. It still
looks now and then without one (pump.py: IDLE_SECONDS), for what no write announces: a message
whose visibility timeout ran out.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterable
from typing import Any

_changed = threading.Condition()
_counts: dict[tuple[str, str], int] = {}
_wakes = [0]  # wake_all calls
_watching = [False]


def table_key(name: str) -> tuple[str, str]:
    return ("dynamodb", name)


def queue_key(name: str) -> tuple[str, str]:
    return ("sqs", name)


def watching() -> bool:
    """Whether writes are counted (watch_emulator ran): else the pump polls."""
    return _watching[0]


def changes(keys: Iterable[tuple[str, str]]) -> int:
    """How many changes the tables and queues named by `keys` have seen so far."""
    with _changed:
        return sum(_counts.get(key, 0) for key in keys)


def note(*keys: tuple[str, str]) -> None:
    with _changed:
        for key in keys:
            _counts[key] = _counts.get(key, 0) + 1
        _changed.notify_all()


def wake_all() -> None:
    """Wake every waiter, to look again at once (a stop, a caller asking whether it is idle)."""
    with _changed:
        _wakes[0] += 1
        _changed.notify_all()


def wait_for_change(keys: Iterable[tuple[str, str]], seen: int, timeout: float,
                    stop: threading.Event) -> None:
    """Until the tables and queues of `keys` have more than `seen` changes, `stop` is set, or
    `timeout` seconds have passed; wake_all cuts it short too."""
    keys = tuple(keys)
    with _changed:
        woken = _wakes[0]
        _changed.wait_for(lambda: stop.is_set() or _wakes[0] != woken
                          or sum(_counts.get(key, 0) for key in keys) != seen, timeout)


def watch_emulator() -> None:
    """Count the writes of moto in this process: DynamoDB's item writes (batches and
    transactions are made of them, or name their tables) and every message a queue takes
    (sent, sent in a batch, or delivered by an SNS subscription)."""
    from moto.dynamodb.models import DynamoDBBackend
    from moto.sqs.models import Queue

    if _watching[0]:
        return
    for name in ("put_item", "update_item", "delete_item"):
        setattr(DynamoDBBackend, name, _noting_table(getattr(DynamoDBBackend, name)))
    DynamoDBBackend.transact_write_items = _noting_transaction(  # type: ignore[method-assign]
        DynamoDBBackend.transact_write_items
    )
    original_add = Queue.add_message

    def add_message(self: Any, message: Any) -> None:
        original_add(self, message)
        note(queue_key(self.name))

    functools.update_wrapper(add_message, original_add)
    Queue.add_message = add_message  # type: ignore[method-assign]
    _watching[0] = True


def _noting_table(original: Any) -> Any:
    def write(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return original(self, *args, **kwargs)
        finally:
            table = args[0] if args else kwargs.get("table_name")
            if isinstance(table, str):
                note(table_key(table))

    functools.update_wrapper(write, original)
    return write


def _noting_transaction(original: Any) -> Any:
    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> Any:
        try:
            return original(self, transact_items)
        finally:
            names = {op.get("TableName") for entry in transact_items for op in entry.values()
                     if isinstance(op, dict)}
            note(*(table_key(name) for name in names if isinstance(name, str)))

    functools.update_wrapper(transact_write_items, original)
    return transact_write_items

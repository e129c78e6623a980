"""Give the emulator DynamoDB's atomicity.

DynamoDB applies each write, and each transaction, atomically: a condition is checked and the
write applied with nothing in between. moto checks and then writes in plain Python, so two
threads can both pass `attribute_not_exists` and one write silently replaces the other. The app
relies on DynamoDB's guarantee (that is what conditional writes are for), so the local run and
the tests restore it by serializing moto's DynamoDB operations behind one lock.
"""

from __future__ import annotations

import functools
import threading
from typing import Any

_LOCK = threading.RLock()
_OPERATIONS = ("put_item", "update_item", "delete_item", "transact_write_items", "get_item",
               "query", "scan")


def make_dynamodb_atomic() -> None:
    from moto.dynamodb.models import DynamoDBBackend

    for name in _OPERATIONS:
        original = getattr(DynamoDBBackend, name)
        if getattr(original, "_parley_atomic", False):
            continue

        def locked(self: Any, *args: Any, _original: Any = original, **kwargs: Any) -> Any:
            with _LOCK:
                return _original(self, *args, **kwargs)

        functools.update_wrapper(locked, original)
        locked._parley_atomic = True  # type: ignore[attr-defined]
        setattr(DynamoDBBackend, name, locked)

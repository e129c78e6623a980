"""The search index's stream handler, fed as Lambda would feed it (tests/functional/test_search.py
and every test that searches)."""

from __future__ import annotations

from typing import Any

from parley_dev.local.pump import FakeContext
from tests.functional.notification_support import Stream, handler


def index_messages() -> dict[str, Any]:
    """Hand every message written so far to `index_messages`, as one batch. A reader from the
    shard's start: indexing a message again writes the same postings, as a retried batch does."""
    records = Stream().read()
    if not records:
        return {"batchItemFailures": []}
    result = handler("index_messages")({"Records": records}, FakeContext()) or {}
    assert not result.get("batchItemFailures"), result
    return dict(result)

"""The search index: term postings, one item per (scoped term, ticket).

`term` is `<scope>#<term>`: the scope says whose search may read it (services/search.py:
`staff`, `requester:<user id>`, `org:<organization id>`), so a query names its owner in the
key, as every list does. `activity_at` is the ticket's activity time when the posting was last
written; the `term-activity` index (keys only) lists a term's tickets by it, newest first. A
posting is written again with the newer time whenever its ticket is indexed, so a Put on the
same key is the whole update (no read first, and a retried stream record writes the same item).
A word of a query is checked for a page of candidates with one BatchGetItem on the base keys.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.indexes import GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

from chalicelib.data.base import REGION, decode_cursor, encode_cursor, table_name


class ActivityIndex(GlobalSecondaryIndex["PostingModel"]):
    """A term's tickets by activity. Keys only: the search reads the tickets themselves."""

    class Meta:
        index_name = "term-activity"
        projection = KeysOnlyProjection()

    term = UnicodeAttribute(hash_key=True)
    activity_at = NumberAttribute(range_key=True)


class PostingModel(Model):
    class Meta:
        table_name = table_name("search")
        region = REGION
        billing_mode = "PAY_PER_REQUEST"

    term = UnicodeAttribute(hash_key=True)  # <scope>#<term>
    ticket_id = UnicodeAttribute(range_key=True)
    activity_at = NumberAttribute()

    by_activity = ActivityIndex()


@dataclass(frozen=True)
class Posting:
    ticket_id: str
    key: dict[str, Any]  # as DynamoDB returned it: where a page after this one starts


@dataclass(frozen=True)
class PostingPage:
    items: list[Posting]
    more: bool  # the term has postings after the last of `items`


def write_postings(postings: Iterable[tuple[str, str, float]]) -> int:
    """(scoped term, ticket id, activity time) items, in BatchWriteItem calls of 25; returns
    how many were written. Writing one again only moves its time."""
    written = 0
    with PostingModel.batch_write() as batch:
        for term, ticket_id, activity_at in postings:
            batch.save(PostingModel(term=term, ticket_id=ticket_id, activity_at=activity_at))
            written += 1
    return written


def delete_postings(keys: Iterable[tuple[str, str]]) -> None:
    """Remove (scoped term, ticket id) postings (a tag taken off a ticket), in BatchWriteItem
    calls of 25; one already gone is no error."""
    with PostingModel.batch_write() as batch:
        for term, ticket_id in dict.fromkeys(keys):
            batch.delete(PostingModel(term=term, ticket_id=ticket_id))


def read_postings(
    term: str, *, limit: int, cursor: str | None, scope: str, newest_first: bool = True
) -> PostingPage:
    """One Query of at most `limit` postings of a scoped term, by activity, from a cursor made
    by `cursor_after` with the same `scope`."""
    pages = PostingModel.by_activity.query(
        term,
        scan_index_forward=not newest_first,
        last_evaluated_key=decode_cursor(cursor, scope),
        limit=limit,
        page_size=limit,
    ).page_iter
    page = next(pages)
    items = [
        Posting(str(raw["ticket_id"]["S"]), {name: raw[name] for name in pages.key_names})
        for raw in page.get("Items", [])
    ]
    return PostingPage(items, pages.last_evaluated_key is not None)


def cursor_after(posting: Posting, scope: str) -> str | None:
    """A signed cursor whose page starts after `posting`."""
    return encode_cursor(posting.key, scope)


def present(keys: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
    """Which of these (scoped term, ticket id) postings exist: BatchGetItem, 100 keys a call."""
    wanted = list(dict.fromkeys(keys))
    if not wanted:
        return set()
    found = PostingModel.batch_get(wanted, attributes_to_get=["term", "ticket_id"])
    return {(str(p.term), str(p.ticket_id)) for p in found}

"""Canned responses (Zendesk's macros, HubSpot's snippets, Zammad's text modules): the team's
shared ones and each agent's own.

Ownership is in the key. The partition is `shared` or `user#<id>`: an agent's list is two
key-condition Queries (the shared partition and their own), and another agent's personal
response lies in a partition nobody else reads, so it is the same 404 as a missing one. The id
says which of the two partitions a response lives in (`s…` shared, `p…` personal), so one
GetItem finds it.

A partition holds at most a few hundred responses (services/canned.py MAX_SHARED,
MAX_PERSONAL), counted by an atomic counter of the counters table changed in the transaction
that adds or removes one. A list therefore reads its whole partition, whatever the number of
tickets, and a search filters those items in the service.

A shortcut is unique within its partition: a claim item (partition `<owner>#shortcut`, keyed by
the shortcut) is written and released in the same transaction as the response, as an
organization claims its name (data/orgs.py).
"""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist, PynamoDBException
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.data.base import REGION, condition_failed, connection, query_page, table_name
from chalicelib.data.counters import CounterModel
from chalicelib.errors import Conflict, NotFound

SHARED = "shared"
SHARED_PREFIX, PERSONAL_PREFIX = "s", "p"
_CLAIMS = "#shortcut"
# A response is at most ~5,300 characters (services/canned.py), 21 KB in the widest UTF-8; a
# Query page is 1 MB: this many pages read a partition of 200 such responses, the largest.
MAX_PAGES = 5


def personal(user_id: str) -> str:
    return f"user#{user_id}"


def owner_of(canned_id: str, user_id: str) -> str:
    """The partition an id lives in, for this caller: the shared one, or the caller's own (a
    personal id of someone else names nothing there)."""
    return SHARED if canned_id.startswith(SHARED_PREFIX) else personal(user_id)


class CannedModel(Model):
    class Meta:
        table_name = table_name("canned")
        region = REGION
        billing_mode = "PAY_PER_REQUEST"

    owner = UnicodeAttribute(hash_key=True)  # SHARED, or personal(user id)
    item = UnicodeAttribute(range_key=True)  # the response's id
    title = UnicodeAttribute()
    body = UnicodeAttribute()
    language = UnicodeAttribute()  # en, fr, pl, or any
    shortcut = UnicodeAttribute(null=True)  # casefolded, without the `;` typed before it
    action = UnicodeAttribute(null=True)  # the answer action it chooses (tickets/console.py)
    created_by = UnicodeAttribute()
    created_at = NumberAttribute()
    updated_by = UnicodeAttribute()
    updated_at = NumberAttribute()

    @property
    def canned_id(self) -> str:
        return self.item

    @property
    def shared(self) -> bool:
        return self.owner == SHARED


class ShortcutClaim(Model):
    """The same table, another kind of item: who holds a shortcut in a partition."""

    class Meta:
        table_name = table_name("canned")
        region = REGION
        billing_mode = "PAY_PER_REQUEST"

    owner = UnicodeAttribute(hash_key=True)  # the responses' partition + _CLAIMS
    item = UnicodeAttribute(range_key=True)  # the shortcut
    claimed_by = UnicodeAttribute()  # the response's id


def _claim(response: CannedModel, shortcut: str) -> ShortcutClaim:
    return ShortcutClaim(owner=response.owner + _CLAIMS, item=shortcut,
                         claimed_by=response.canned_id)


def _count(owner: str) -> CounterModel:
    return CounterModel(name=f"canned:{owner}")


def _taken() -> Conflict:
    return Conflict("Another response already has this shortcut.", code="shortcut_taken")


def _missing() -> NotFound:
    # The words the router gives an id no response can have (api/routing.py MISSING).
    return NotFound("No such canned response.", code="canned_not_found")


def _changed() -> Conflict:
    return Conflict("The response was changed meanwhile: reload it and try again.",
                    code="canned_changed")


def shortcut_holder(owner: str, shortcut: str) -> str | None:
    try:
        return ShortcutClaim.get(owner + _CLAIMS, shortcut, consistent_read=True).claimed_by
    except DoesNotExist:
        return None


def get_response(owner: str, canned_id: str) -> CannedModel | None:
    try:
        return CannedModel.get(owner, canned_id, consistent_read=True)
    except DoesNotExist:
        return None


def list_responses(owner: str, limit: int) -> list[CannedModel]:
    """The whole partition (it holds at most `limit`), in id order: consistent, so what was
    saved a moment ago is listed."""
    return query_page(
        CannedModel, CannedModel, owner, scope=f"canned:{owner}", limit=limit, cursor=None,
        newest_first=False, max_reads=MAX_PAGES, consistent=True,
    ).items


def create_response(response: CannedModel, limit: int) -> None:
    """The response, its shortcut's claim and one of the partition's `limit` places, or
    nothing."""
    try:
        with TransactWrite(connection=connection()) as tx:
            tx.update(
                _count(response.owner),
                actions=[CounterModel.value.set((CounterModel.value | 0) + 1)],
                condition=CounterModel.value.does_not_exist() | (CounterModel.value < limit),
            )
            tx.save(response, condition=CannedModel.item.does_not_exist())
            if response.shortcut:
                tx.save(_claim(response, response.shortcut),
                        condition=ShortcutClaim.item.does_not_exist())
    except PynamoDBException as exc:
        if not condition_failed(exc):
            raise
        if response.shortcut and shortcut_holder(response.owner, response.shortcut):
            raise _taken() from exc
        raise Conflict(f"There can be at most {limit} responses here.",
                       code="too_many_canned", details={"limit": limit}) from exc


def update_response(before: CannedModel, after: CannedModel) -> None:
    """`after` replaces `before`, conditioned on the shortcut it had when read (so the claims
    follow it), its claim moved with it in the same transaction."""
    moved = before.shortcut != after.shortcut
    try:
        with TransactWrite(connection=connection()) as tx:
            tx.save(after, condition=CannedModel.item.exists() & (
                CannedModel.shortcut == before.shortcut if before.shortcut
                else CannedModel.shortcut.does_not_exist()))
            if moved and after.shortcut:
                tx.save(_claim(after, after.shortcut),
                        condition=ShortcutClaim.item.does_not_exist())
            if moved and before.shortcut:
                tx.delete(_claim(before, before.shortcut),
                          condition=ShortcutClaim.claimed_by == before.canned_id)
    except PynamoDBException as exc:
        if not condition_failed(exc):
            raise
        raise _why_refused(before, after.shortcut if moved else None) from exc


def delete_response(response: CannedModel) -> None:
    """The response, its claim and its place, once."""
    try:
        with TransactWrite(connection=connection()) as tx:
            tx.delete(response, condition=CannedModel.item.exists() & (
                CannedModel.shortcut == response.shortcut if response.shortcut
                else CannedModel.shortcut.does_not_exist()))
            if response.shortcut:
                tx.delete(_claim(response, response.shortcut),
                          condition=ShortcutClaim.claimed_by == response.canned_id)
            tx.update(_count(response.owner),
                      actions=[CounterModel.value.set(CounterModel.value - 1)])
    except PynamoDBException as exc:
        if not condition_failed(exc):
            raise
        raise _why_refused(response, None) from exc


def _why_refused(read: CannedModel, wanted_shortcut: str | None) -> Exception:
    """Which condition failed, read again after the refusal: gone, a shortcut someone else took
    meanwhile, or a change made meanwhile."""
    if get_response(read.owner, read.canned_id) is None:
        return _missing()
    if wanted_shortcut and shortcut_holder(read.owner, wanted_shortcut) not in (
            None, read.canned_id):
        return _taken()
    return _changed()

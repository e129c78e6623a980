"""Followers of a ticket (the CCs of other help desks): people the requester or an agent added,
who hear of the team's answers and, with an account, read the ticket in their portal.

One partition per ticket, so a ticket's followers are one Query. A follower with an account is
keyed by their user id, so "does this person follow this ticket" is one GetItem, and sits in the
sparse `follower-index` by user, which lists what a person follows. An address without an
account is keyed by a hash of the address (`mail.<hash>`), never the address itself: the key is
a path id in URLs. How many a ticket has is an atomic counter (the counters table), changed in
the transaction that adds or removes one, so the cap holds under concurrent adds.
"""

from __future__ import annotations

import hashlib

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.data.base import REGION, Page, connection, query_page, table_name, translate
from chalicelib.data.counters import CounterModel
from chalicelib.errors import Conflict, NotFound

ADDRESS_PREFIX = "mail."


class FollowedIndex(GlobalSecondaryIndex["FollowerModel"]):
    """Sparse: only followers with an account, by user, newest first."""

    class Meta:
        index_name = "follower-index"
        projection = AllProjection()

    user_id = UnicodeAttribute(hash_key=True)
    added_at = NumberAttribute(range_key=True)


class FollowerModel(Model):
    class Meta:
        table_name = table_name("followers")
        region = REGION
        billing_mode = "PAY_PER_REQUEST"

    ticket_id = UnicodeAttribute(hash_key=True)
    follower_id = UnicodeAttribute(range_key=True)  # the user id, or ADDRESS_PREFIX + a hash
    user_id = UnicodeAttribute(null=True)  # absent for an address without an account
    email = UnicodeAttribute()  # normalised; where mail to an address without an account goes
    added_by = UnicodeAttribute()
    added_at = NumberAttribute()

    followed_index = FollowedIndex()


def address_key(address: str) -> str:
    """The key of an address without an account: a hash, so the address never reaches a URL."""
    return ADDRESS_PREFIX + hashlib.sha256(address.encode()).hexdigest()[:32]


def _count(ticket_id: str) -> CounterModel:
    return CounterModel(name=f"followers:{ticket_id}")


def get_follower(ticket_id: str, follower_id: str) -> FollowerModel | None:
    try:
        return FollowerModel.get(ticket_id, follower_id, consistent_read=True)
    except DoesNotExist:
        return None


def follows(ticket_id: str, user_id: str, email: str = "") -> bool:
    """Whether a person follows the ticket: by their account, or (mail, whose sender is known by
    address) as the address they were added by before they had an account."""
    if not email:
        return get_follower(ticket_id, user_id) is not None
    keys = [(ticket_id, user_id), (ticket_id, address_key(email))]
    return any(True for _ in FollowerModel.batch_get(keys, consistent_read=True))


def list_followers(ticket_id: str, limit: int) -> list[FollowerModel]:
    """A ticket's followers, the first added first (its partition holds at most `limit`)."""
    followers = query_page(
        FollowerModel, FollowerModel, ticket_id, scope=f"followers:{ticket_id}", limit=limit,
        cursor=None, newest_first=False, consistent=True,
    ).items
    return sorted(followers, key=lambda f: float(f.added_at))


def followed_by(user_id: str, *, limit: int, cursor: str | None) -> Page[FollowerModel]:
    """What a person follows, the latest they were added to first."""
    return query_page(
        FollowerModel.followed_index, FollowerModel, user_id, scope=f"followed:{user_id}",
        limit=limit, cursor=cursor,
    )


def add_follower(follower: FollowerModel, limit: int) -> None:
    """The follower and one of the ticket's `limit` places, or neither: a Conflict when the
    places are taken or the follower was added meanwhile (the caller reads which)."""
    full = Conflict(f"A ticket can have at most {limit} followers.", code="too_many_followers",
                    details={"limit": limit})
    with translate(full), TransactWrite(connection=connection()) as tx:
        tx.update(
            _count(follower.ticket_id),
            actions=[CounterModel.value.set((CounterModel.value | 0) + 1)],
            condition=CounterModel.value.does_not_exist() | (CounterModel.value < limit),
        )
        tx.save(follower, condition=FollowerModel.follower_id.does_not_exist())


def remove_follower(follower: FollowerModel) -> None:
    """The follower and their place, once: removed meanwhile, it is not found."""
    gone = NotFound("No such follower.", code="follower_not_found")
    with translate(gone), TransactWrite(connection=connection()) as tx:
        tx.delete(follower, condition=FollowerModel.follower_id.exists())
        tx.update(_count(follower.ticket_id),
                  actions=[CounterModel.value.set(CounterModel.value - 1)])


def link_account(address_follower: FollowerModel, user_id: str) -> None:
    """An address that follows the ticket now has an account (their mail made one): the follower
    becomes the account, in the same place. Done already (a retried delivery): nothing."""
    account = FollowerModel(
        ticket_id=address_follower.ticket_id, follower_id=user_id, user_id=user_id,
        email=address_follower.email, added_by=address_follower.added_by,
        added_at=address_follower.added_at,
    )
    with (
        translate(Conflict("The ticket's followers changed meanwhile.")),
        TransactWrite(connection=connection()) as tx,
    ):
        tx.delete(address_follower, condition=FollowerModel.follower_id.exists())
        tx.save(account, condition=FollowerModel.follower_id.does_not_exist())

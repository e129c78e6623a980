"""Tickets (a ticket is a conversation).

Every list is a key-condition query on an index whose partition is the owner of the list: the
requester, the organization, the assignee, the team, or the status class. A status filter or a
search narrows within that partition only, so a list costs the same with ten tickets in the
table or ten million.

Two activity times: `last_activity_at` moves with everything the team does (internal notes
included) and orders the console's lists; `public_activity_at` moves only with the public
thread and orders the customers' lists, so a note never reorders them nor shows in them.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
    VersionAttribute,
)
from pynamodb.exceptions import DoesNotExist
from pynamodb.expressions.condition import Condition
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.data.base import (
    REGION,
    Page,
    connection,
    not_hidden,
    query_page,
    table_name,
    translate,
)
from chalicelib.errors import Conflict

OPEN_CLASS = "open"
CLOSED_CLASS = "closed"
OPEN_STATUSES = ("new", "open", "pending")
CLOSED_STATUSES = ("resolved", "closed")
UNASSIGNED = "none"


def _index(name: str, hash_attr: str, range_attr: str) -> type[GlobalSecondaryIndex[Any]]:
    """GSIs that differ only in names: the partition (owner) and the sort (time)."""
    range_type = NumberAttribute
    namespace: dict[str, Any] = {
        "Meta": type("Meta", (), {"index_name": name, "projection": AllProjection()}),
        hash_attr: UnicodeAttribute(hash_key=True),
        range_attr: range_type(range_key=True),
    }
    return type(f"{name.title().replace('-', '')}", (GlobalSecondaryIndex,), namespace)


RequesterActivity = _index("requester-public-activity", "requester_id", "public_activity_at")
RequesterCreated = _index("requester-created", "requester_id", "created_at")
OrgActivity = _index("org-public-activity", "org_id", "public_activity_at")
OrgCreated = _index("org-created", "org_id", "created_at")
AssigneeActivity = _index("assignee-activity", "assignee_state", "last_activity_at")
TeamActivity = _index("team-activity", "team_state", "last_activity_at")
StateActivity = _index("state-activity", "state_class", "last_activity_at")


class NumberIndex(GlobalSecondaryIndex["TicketModel"]):
    class Meta:
        index_name = "number-index"
        projection = AllProjection()

    number = NumberAttribute(hash_key=True)


class TicketModel(Model):
    class Meta:
        table_name = table_name("tickets")
        region = REGION
        billing_mode = "PAY_PER_REQUEST"

    ticket_id = UnicodeAttribute(hash_key=True)
    number = NumberAttribute()
    title = UnicodeAttribute()
    subject = UnicodeAttribute()
    topic = UnicodeAttribute()
    channel = UnicodeAttribute()  # portal | email | troubleshooter | agent
    status = UnicodeAttribute()  # new | open | pending | resolved | closed
    requester_id = UnicodeAttribute()
    org_id = UnicodeAttribute()
    assignee_id = UnicodeAttribute(null=True)
    team_id = UnicodeAttribute()
    messaging_blocked = BooleanAttribute(default=False)
    blocked_reason = UnicodeAttribute(null=True)
    troubleshooter = JSONAttribute(null=True)
    rating = NumberAttribute(null=True)
    rating_comment = UnicodeAttribute(null=True)
    created_at = NumberAttribute()
    last_activity_at = NumberAttribute()  # anything, notes too: the console's order
    public_activity_at = NumberAttribute()  # the public thread only: what customers see
    resolved_at = NumberAttribute(null=True)
    closed_at = NumberAttribute(null=True)
    created_by = UnicodeAttribute()
    # Counters, changed in the same transaction as the message they count: every message's
    # position, and the public messages' own count (data/messages.py).
    last_seq = NumberAttribute(default=0)
    last_public_seq = NumberAttribute(default=0)
    public_count = NumberAttribute(default=0)
    message_count = NumberAttribute(default=0)
    search_text = UnicodeAttribute(default="")
    customer_search_text = UnicodeAttribute(default="")
    # Staff only (services/tickets/tags.py): never in a customer's answer, mail or search.
    tags = ListAttribute(of=UnicodeAttribute, null=True)
    # A merge (services/tickets/merge.py): the merged ticket names its survivor, which names the
    # tickets merged into it; `merge` is the merged ticket's progress (what is left to move).
    merged_into = UnicodeAttribute(null=True)
    merged_from = ListAttribute(of=UnicodeAttribute, null=True)
    merge = JSONAttribute(null=True)
    # The tickets being merged into this one whose merge is not done: written in the
    # transaction that marks each, cleared in the one that ends it; none may merge it away.
    merging_in = ListAttribute(of=UnicodeAttribute, null=True)
    # Index partitions, derived from the fields above by `refresh_keys`.
    state_class = UnicodeAttribute()
    assignee_state = UnicodeAttribute()
    team_state = UnicodeAttribute()
    version = VersionAttribute()

    requester_activity = RequesterActivity()
    requester_created = RequesterCreated()
    org_activity = OrgActivity()
    org_created = OrgCreated()
    assignee_activity = AssigneeActivity()
    team_activity = TeamActivity()
    state_activity = StateActivity()
    number_index = NumberIndex()

    def refresh_keys(self) -> None:
        self.state_class = OPEN_CLASS if self.status in OPEN_STATUSES else CLOSED_CLASS
        self.assignee_state = f"{self.assignee_id or UNASSIGNED}#{self.state_class}"
        self.team_state = f"{self.team_id}#{self.state_class}"
        self.search_text = " ".join(
            [f"#{self.number}", str(self.number), self.title, self.subject, self.topic,
             self.status, self.state_class]
        ).casefold()
        # What customers may search: only what they are shown. The agents' title and the full
        # status stay out, or a search would read them out one guess at a time.
        self.customer_search_text = " ".join(
            [f"#{self.number}", str(self.number), self.subject, self.topic, self.state_class]
        ).casefold()


def get_ticket(ticket_id: str) -> TicketModel | None:
    try:
        return TicketModel.get(ticket_id, consistent_read=True)
    except DoesNotExist:
        return None


def get_tickets(ticket_ids: Sequence[str]) -> dict[str, TicketModel]:
    """A page of tickets by id (one BatchGetItem); missing ones are simply absent."""
    ids = sorted(set(ticket_ids))
    return {t.ticket_id: t for t in TicketModel.batch_get(ids)} if ids else {}


def find_by_number(number: int) -> TicketModel | None:
    for ticket in TicketModel.number_index.query(number, limit=1):
        return ticket
    return None


def save_ticket(ticket: TicketModel, conflict_message: str) -> None:
    """Optimistic locking on the version: a concurrent change makes this a Conflict."""
    ticket.refresh_keys()
    with translate(Conflict(conflict_message)):
        ticket.save()


@contextmanager
def ticket_transaction() -> Iterator[TransactWrite]:
    """A transaction conditioned on the versions of the tickets it saves: a writer that lost
    the race gets `ticket_changed` (409), and the caller reads again and decides anew."""
    with (
        translate(Conflict("The ticket changed meanwhile.", code="ticket_changed")),
        TransactWrite(connection=connection()) as tx,
    ):
        yield tx


# The list a caller may read is chosen by the service; the data layer only knows partitions.
LISTS = {
    ("requester", "activity"): TicketModel.requester_activity,
    ("requester", "created"): TicketModel.requester_created,
    ("org", "activity"): TicketModel.org_activity,
    ("org", "created"): TicketModel.org_created,
    ("assignee", "activity"): TicketModel.assignee_activity,
    ("team", "activity"): TicketModel.team_activity,
    ("state", "activity"): TicketModel.state_activity,
}


@dataclass(frozen=True)
class TicketFilter:
    """What narrows a list within its partition, in plain values; only this module turns it
    into a DynamoDB filter."""

    state: str | None = None  # the status class: open | closed
    status: str | None = None
    topic: str | None = None
    # Every word must appear, in any order; `customer_text` searches only what customers are
    # shown (TicketModel.customer_search_text), otherwise the agents' search text.
    words: Sequence[str] = ()
    customer_text: bool = False
    team_id: str | None = None
    active_before: float | None = None  # last activity strictly before this time
    # The admin's visibility rules (PortalSettings.hides): what customers never see.
    hidden_topics: Collection[str] = ()
    hidden_channels: Collection[str] = ()
    # Customers' lists: a merged ticket is left out, its survivor stands for it.
    unmerged: bool = False

    def admits(self, ticket: TicketModel) -> bool:
        """What `filter_condition` lets through, for tickets read by id from another index's
        page (a user's unread tickets): the same narrowing, kept beside it so the two agree."""
        searched = ticket.customer_search_text if self.customer_text else ticket.search_text
        active = float(ticket.last_activity_at)
        return (
            self.state in (None, ticket.state_class)
            and self.status in (None, ticket.status)
            and self.topic in (None, "", ticket.topic)
            and all(word in str(searched) for word in self.words)
            and self.team_id in (None, "", ticket.team_id)
            and (self.active_before is None or active < self.active_before)
            and ticket.topic not in self.hidden_topics
            and ticket.channel not in self.hidden_channels
            and not (self.unmerged and ticket.merged_into)
        )


def _and(left: Condition | None, right: Condition) -> Condition:
    return right if left is None else left & right


def filter_condition(narrow: TicketFilter) -> Condition | None:
    condition: Condition | None = None
    if narrow.state is not None:
        condition = TicketModel.state_class == narrow.state
    if narrow.status is not None:
        condition = _and(condition, TicketModel.status == narrow.status)
    if narrow.topic:
        condition = _and(condition, TicketModel.topic == narrow.topic)
    searched = TicketModel.customer_search_text if narrow.customer_text else TicketModel.search_text
    for word in narrow.words:
        condition = _and(condition, searched.contains(word))
    if narrow.team_id:
        condition = _and(condition, TicketModel.team_id == narrow.team_id)
    if narrow.active_before is not None:
        condition = _and(condition, TicketModel.last_activity_at < narrow.active_before)
    if narrow.unmerged:
        condition = _and(condition, TicketModel.merged_into.does_not_exist())
    hidden = not_hidden(TicketModel, narrow.hidden_topics, narrow.hidden_channels)
    return condition if hidden is None else _and(condition, hidden)


def query_tickets(
    partition: str,
    key: str,
    sort: str,
    *,
    limit: int,
    cursor: str | None,
    newest_first: bool = True,
    narrow: TicketFilter | None = None,
) -> Page[TicketModel]:
    return query_page(
        LISTS[(partition, sort)],
        TicketModel,
        key,
        scope=f"tickets:{partition}:{key}:{sort}:{newest_first}",
        limit=limit,
        cursor=cursor,
        newest_first=newest_first,
        filter_condition=filter_condition(narrow) if narrow else None,
    )

"""The agent desk's tools on conversations: tags, bulk actions on the list's selection, and
merging two tickets of one customer (services/tickets/tags.py, bulk.py, merge.py).

Services are imported in the view: a cold start loads only what the route it answers needs."""

from __future__ import annotations

from typing import Annotated, Literal

from chalice.app import Blueprint
from pydantic import Field, model_validator

from chalicelib.api.requests import Strict
from chalicelib.api.routing import STAFF, route
from chalicelib.services.principal import Principal
from chalicelib.shapes.tickets import (
    BulkResult,
    ConsoleTicketView,
    MergeCandidates,
    MergeResult,
)

blueprint = Blueprint(__name__)
TAG = "console"
TICKET = "/api/console/tickets/{ticket_id}"

# What the services check precisely (tags.py: the charset and 30 characters); bounded here.
TagName = Annotated[str, Field(min_length=1, max_length=64)]
TicketId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


class TagsBody(Strict):
    add: list[TagName] = Field(default_factory=list, max_length=10)
    remove: list[TagName] = Field(default_factory=list, max_length=10)

    @model_validator(mode="after")
    def _something(self) -> TagsBody:
        if not self.add and not self.remove:
            raise ValueError("give tags to add or to remove")
        return self


class BulkBody(Strict):
    ticket_ids: list[TicketId] = Field(min_length=1, max_length=50)
    action: Literal["assign", "add_tag", "remove_tag", "close"]
    assignee_id: str | None = Field(
        None, max_length=64, description="assign: an agent's id, or null for nobody.")
    tag: TagName | None = Field(None, description="add_tag, remove_tag: the tag.")

    @model_validator(mode="after")
    def _arguments(self) -> BulkBody:
        if self.action == "assign" and "assignee_id" not in self.model_fields_set:
            raise ValueError("assign needs assignee_id (null: nobody)")
        if self.action in ("add_tag", "remove_tag") and self.tag is None:
            raise ValueError("a tag action needs the tag")
        return self


class MergeBody(Strict):
    into: TicketId = Field(description="The survivor: another ticket of the same requester.")


@route(blueprint, TICKET + "/tags", method="POST", access=STAFF, body=TagsBody, tag=TAG,
       summary="Add and remove tags (staff only: lowercase a-z, digits, - and _, 30 characters, "
       "10 a ticket); each change is a history line.")
def change_tags(caller: Principal, ticket_id: str, body: TagsBody) -> ConsoleTicketView:
    from chalicelib.services.tickets import console, tags

    tags.change_tags(caller, ticket_id, body.add, body.remove)
    return console.console_view(caller, ticket_id)


@route(blueprint, "/api/console/tickets/bulk", method="POST", access=STAFF, body=BulkBody,
       tag=TAG, summary="Assign, add or remove a tag, or close up to 50 conversations, each "
       "under the rules of doing it alone: the answer says per ticket done, or the refusal.")
def bulk(caller: Principal, body: BulkBody) -> BulkResult:
    from chalicelib.services.tickets import bulk as bulk_actions

    return bulk_actions.apply(caller, body.ticket_ids, body.action,
                              assignee_id=body.assignee_id, tag=body.tag)


@route(blueprint, TICKET + "/merge-candidates", access=STAFF, tag=TAG,
       summary="The same customer's other tickets this one may be merged into, open first.")
def merge_candidates(caller: Principal, ticket_id: str) -> MergeCandidates:
    from chalicelib.services.tickets import merge

    return merge.candidates(caller, ticket_id)


@route(blueprint, TICKET + "/merge", method="POST", access=STAFF, body=MergeBody, tag=TAG,
       summary="Merge this ticket into another of the same requester: its messages and "
       "documents move there, it is closed and points to it. Safe to repeat: a merge that "
       "stopped half-way is finished, a finished one answers the same.")
def merge_into(caller: Principal, ticket_id: str, body: MergeBody) -> MergeResult:
    from chalicelib.services.tickets import merge

    return merge.merge(caller, ticket_id, body.into)

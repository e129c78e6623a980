"""The agent console's API: conversations and the answer actions.

Services are imported in the view: a cold start loads only what the route it answers needs."""

from __future__ import annotations

from typing import Literal

from chalice.app import Blueprint
from pydantic import Field, model_validator

from chalicelib.api.pagination import MAX_SEQ, PageQuery, RefreshQuery, ThreadQuery
from chalicelib.api.requests import AttachmentId, Strict
from chalicelib.api.routing import STAFF, route
from chalicelib.services.fields import MAX_MESSAGE_LENGTH
from chalicelib.services.principal import Principal
from chalicelib.shapes.console import ConsoleConfig
from chalicelib.shapes.tickets import (
    ConsoleEarlierMessages,
    ConsoleMessageAnswer,
    ConsoleNewMessages,
    ConsoleTicketPage,
    ConsoleTicketView,
    TeammateList,
)

blueprint = Blueprint(__name__)
TAG = "console"


class ConversationQuery(PageQuery):
    status: Literal["open", "closed"] = "open"
    assignee: str | None = Field(None, max_length=64, description="me, none, or an agent id")
    team: str | None = Field(None, max_length=40)
    q: str = Field("", max_length=200, description=(
        "A ticket number, or words all found in a ticket, in any order, accents ignored: the "
        "requester's name, address and organization, the subject, title, number and topic, "
        "and every message, internal notes included (a name's or subject's word may be cut "
        "after 3 letters)."
    ))
    tag: str | None = Field(None, max_length=64, description=(
        "Only tickets with this tag (with the other filters and the words, if any)."))
    refresh: Literal["1"] | None = Field(
        None, description="1 when the live list reads itself again (a queue frame, its poll), "
        "not a person: the read does not count as activity.")


class AnswerBody(Strict):
    action: Literal["send", "send_leave_open", "resolve_silently", "note"]
    body: str = Field(max_length=MAX_MESSAGE_LENGTH)
    attachment_ids: list[AttachmentId] = Field(
        default_factory=list, max_length=10,
        description="Confirmed documents of this ticket that go with the message.",
    )
    # What the agent's page showed; left out, the answer is sent whatever happened since.
    expected_last_seq: int | None = Field(
        None, ge=0, le=MAX_SEQ,
        description="The last message (seq) the page showed: someone else's message since "
        "gives 409 conversation_changed.",
    )
    expected_assignee_id: str | None = Field(
        None, max_length=64,
        description="Who the page showed assigned (null: nobody): another assignee since gives "
        "409 conversation_changed, unless the caller made every change since.",
    )


class ConversationPatch(Strict):
    title: str | None = Field(None, min_length=1, max_length=200)
    status: Literal["open", "pending"] | None = Field(
        None, description="pending: waiting on the customer (their next message reopens it)."
    )

    @model_validator(mode="after")
    def _something(self) -> ConversationPatch:
        if self.title is None and self.status is None:
            raise ValueError("give a title or a status")
        return self


class AssignBody(Strict):
    assignee_id: str | None = Field(max_length=64)
    expected_assignee_id: str | None = Field(
        None, max_length=64,
        description="Who the caller saw assigned; a different current assignee gives 409.",
    )


class BlockBody(Strict):
    reason: str = Field(min_length=1, max_length=500)


class OnBehalfBody(Strict):
    requester_id: str = Field(min_length=1, max_length=64)
    topic: str = Field(min_length=1, max_length=40)
    subject: str = Field(min_length=1, max_length=200)
    body: str = Field(max_length=MAX_MESSAGE_LENGTH)


class AgentQuery(Strict):
    q: str = Field("", max_length=120)
    limit: int = Field(20, ge=1, le=100)


@route(blueprint, "/api/console/config", access=STAFF, tag=TAG,
       summary="What the console pages need: every topic (hidden ones too), the teams' ids and "
               "their names (a team without a record shows its id), the documents' limits.")
def console_config(caller: Principal) -> ConsoleConfig:
    from chalicelib.services import teams
    from chalicelib.services.attachments.limits import attachment_limits
    from chalicelib.services.settings import get_portal_settings

    settings = get_portal_settings()
    team_ids = sorted({t.team_id for t in settings.topics})
    names = {team["id"]: team["name"] for team in teams.list_teams()}
    return {
        "topics": [{"id": t.id, "name": t.name, "team_id": t.team_id} for t in settings.topics],
        "teams": team_ids,
        "team_names": {team_id: names.get(team_id) or team_id for team_id in team_ids},
        "max_message_length": MAX_MESSAGE_LENGTH,
        "attachments": attachment_limits(settings),
    }


@route(blueprint, "/api/console/tickets", access=STAFF, query=ConversationQuery, tag=TAG,
       polled_with="refresh",
       summary="Conversations: open or closed, by assignee (me / none / id) or team, search.")
def list_conversations(caller: Principal, query: ConversationQuery) -> ConsoleTicketPage:
    from chalicelib.services.tickets import console

    return console.list_console_tickets(
        caller, status=query.status, assignee=query.assignee, team=query.team, q=query.q,
        limit=query.limit, cursor=query.cursor, tag=query.tag,
    )


@route(blueprint, "/api/console/tickets", method="POST", access=STAFF, body=OnBehalfBody,
       status=201, tag=TAG, summary="Open a ticket on behalf of a customer.")
def create_on_behalf(caller: Principal, body: OnBehalfBody) -> ConsoleTicketView:
    from chalicelib.services.tickets import create

    return create.create_on_behalf(
        caller, requester_id=body.requester_id, topic=body.topic, subject=body.subject,
        body=body.body,
    )


@route(blueprint, "/api/console/tickets/{ticket_id}", access=STAFF, tag=TAG,
       query=RefreshQuery, polled_with="refresh",
       summary="A conversation with the newest page of its thread, internal notes included "
       "(earlier_cursor reads back).")
def get_conversation(
    caller: Principal, ticket_id: str, query: RefreshQuery
) -> ConsoleTicketView:
    from chalicelib.services.tickets import console

    return console.console_view(caller, ticket_id)


@route(blueprint, "/api/console/tickets/{ticket_id}", method="PATCH", access=STAFF,
       body=ConversationPatch, tag=TAG,
       summary="Edit the title; set pending (waiting on the customer) or open.")
def update_conversation(
    caller: Principal, ticket_id: str, body: ConversationPatch
) -> ConsoleTicketView:
    from chalicelib.services.tickets import console

    return console.update_conversation(caller, ticket_id, title=body.title, status=body.status)


@route(blueprint, "/api/console/tickets/{ticket_id}/messages", access=STAFF, query=ThreadQuery,
       tag=TAG, polled_with="after",
       summary="Messages after a sequence number (polling for live updates), or the "
       "page before an earlier_cursor.")
def new_messages(
    caller: Principal, ticket_id: str, query: ThreadQuery
) -> ConsoleNewMessages | ConsoleEarlierMessages:
    from chalicelib.services.tickets import console

    if query.before is not None:
        return console.console_earlier_messages(caller, ticket_id, query.before)
    return console.console_new_messages(caller, ticket_id, query.after)


@route(blueprint, "/api/console/tickets/{ticket_id}/messages", method="POST", access=STAFF,
       body=AnswerBody, status=201, tag=TAG,
       summary="Answer: send, send_leave_open, resolve_silently or note. With expected_last_seq "
       "and expected_assignee_id, refused (409 conversation_changed, saying what changed) when "
       "someone else wrote or the assignee changed since the page showed them.")
def answer(caller: Principal, ticket_id: str, body: AnswerBody) -> ConsoleMessageAnswer:
    from chalicelib.services.tickets import console
    from chalicelib.services.tickets.collisions import UNSET, Seen

    seen = Seen(
        last_seq=body.expected_last_seq,
        assignee_id=(body.expected_assignee_id
                     if "expected_assignee_id" in body.model_fields_set else UNSET),
    )
    return {"message": console.answer(
        caller, ticket_id, body.action, body.body, body.attachment_ids, seen=seen
    )}


@route(blueprint, "/api/console/tickets/{ticket_id}/assign", method="POST", access=STAFF,
       body=AssignBody, tag=TAG, summary="Assign to an agent or to nobody.")
def assign(caller: Principal, ticket_id: str, body: AssignBody) -> ConsoleTicketView:
    from chalicelib.services.tickets import console

    expected = (
        body.expected_assignee_id if "expected_assignee_id" in body.model_fields_set
        else console.UNSET
    )
    return console.assign(caller, ticket_id, body.assignee_id, expected)


class CloseBody(Strict):
    reason: str | None = Field(None, max_length=500, description=(
        "Why: required of an admin closing a conversation someone else holds (or nobody); "
        "on the history line, and in the audit trail."))


@route(blueprint, "/api/console/tickets/{ticket_id}/close", method="POST", access=STAFF,
       body=CloseBody, tag=TAG,
       summary="Close: the assignee, or an admin giving a reason (an abandoned conversation).")
def close(caller: Principal, ticket_id: str, body: CloseBody) -> ConsoleTicketView:
    from chalicelib.services.tickets import console

    return console.close(caller, ticket_id, body.reason)


@route(blueprint, "/api/console/tickets/{ticket_id}/block", method="POST", access=STAFF,
       body=BlockBody, tag=TAG, summary="Block customer messaging on this ticket, with a reason.")
def block(caller: Principal, ticket_id: str, body: BlockBody) -> ConsoleTicketView:
    from chalicelib.services.tickets import console

    return console.set_blocked(caller, ticket_id, True, body.reason)


@route(blueprint, "/api/console/tickets/{ticket_id}/unblock", method="POST", access=STAFF,
       tag=TAG, summary="Unblock customer messaging.")
def unblock(caller: Principal, ticket_id: str) -> ConsoleTicketView:
    from chalicelib.services.tickets import console

    return console.set_blocked(caller, ticket_id, False, "")


@route(blueprint, "/api/console/agents", access=STAFF, query=AgentQuery, tag=TAG,
       summary="Teammate search for the assignee picker.")
def agents(caller: Principal, query: AgentQuery) -> TeammateList:
    from chalicelib.services.tickets import console

    return {"items": console.search_agents(query.q, query.limit)}

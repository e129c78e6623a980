"""The customer portal's API: tickets, replies, folders.

Services are imported in the view: a cold start loads only what the route it answers needs."""

from __future__ import annotations

from typing import Literal

from chalice.app import Blueprint
from pydantic import Field

from chalicelib.api.pagination import MAX_SEQ, PageQuery, RefreshQuery, ThreadQuery
from chalicelib.api.requests import AttachmentId, Strict
from chalicelib.api.routing import CUSTOMERS, PUBLIC, route
from chalicelib.services.fields import MAX_MESSAGE_LENGTH
from chalicelib.services.principal import Anonymous, Principal
from chalicelib.shapes.mailbox import FolderCounts, FolderEntryChange, FolderPage
from chalicelib.shapes.portal import PortalBranding, PortalConfig
from chalicelib.shapes.tickets import (
    CustomerEarlierMessages,
    CustomerMessageAnswer,
    CustomerNewMessages,
    CustomerTicketPage,
    CustomerTicketView,
    TicketRating,
)

blueprint = Blueprint(__name__)
TAG = "portal"


class QuestionAnswer(Strict):
    question: str = Field(min_length=1, max_length=500)
    answer: str = Field(min_length=1, max_length=2000)


class Troubleshooter(Strict):
    id: str | None = Field(
        None, min_length=1, max_length=40,
        description="A configured form (GET /api/portal/config): the answers are checked "
        "against it and its own name and questions are stored.",
    )
    name: str = Field(min_length=1, max_length=200)
    answers: list[QuestionAnswer] = Field(min_length=1, max_length=50)


class CreateTicketBody(Strict):
    topic: str = Field(min_length=1, max_length=40)
    subject: str = Field("", max_length=200)
    body: str = Field("", max_length=MAX_MESSAGE_LENGTH)
    troubleshooter: Troubleshooter | None = None


class TicketListQuery(PageQuery):
    scope: Literal["mine", "org", "following"] = "mine"
    status: Literal["open", "closed", "all", "unread"] = Field(
        "all", description="unread: the tickets with an answer to me I have not read, by that "
        "answer's time (sort=activity only), in any scope.")
    q: str = Field("", max_length=200, description=(
        "A ticket number, or words all found in a ticket, in any order, accents ignored: its "
        "subject, number, topic and public messages (a subject's word may be cut after 3 "
        "letters). The followed and unread lists match the subject, number and topic only."
    ))
    topic: str | None = Field(None, max_length=40)
    sort: Literal["activity", "created"] = "activity"
    order: Literal["desc", "asc"] = Field(
        "desc", description="desc: the latest activity or the newest ticket first.")


class ReplyBody(Strict):
    body: str = Field(max_length=MAX_MESSAGE_LENGTH)
    attachment_ids: list[AttachmentId] = Field(
        default_factory=list, max_length=10,
        description="Confirmed documents of this ticket that go with the message.",
    )


class RatingBody(Strict):
    score: int = Field(ge=1, le=5)
    comment: str = Field("", max_length=2000)


class ReadBody(Strict):
    seq: int = Field(ge=1, le=MAX_SEQ, description="The last public message the page showed.")


@route(blueprint, "/api/portal/branding", access=PUBLIC, tag=TAG,
       summary="What every page shows before and after sign-in: name, logo, colours, links.")
def branding(caller: Anonymous) -> PortalBranding:
    from chalicelib.services.settings import get_portal_settings

    # Public: only what the sign-in page shows anyway, nothing about users or tickets.
    settings = get_portal_settings()
    return {
        "portal_name": settings.portal_name,
        "logo_url": settings.logo_url or None,
        "primary_color": settings.primary_color,
        "accent_color": settings.accent_color,
        "banner_links": [{"label": link.label, "url": link.url}
                         for link in settings.banner_links],
        "announcement": settings.announcement,
        "self_registration": settings.self_registration,
        "magic_link_sign_in": settings.magic_link_sign_in,
        "default_language": settings.default_language,
    }


@route(blueprint, "/api/portal/config", access=CUSTOMERS, tag=TAG,
       summary="What the portal pages need: topics, troubleshooter forms, display modes, "
       "organization view, the documents' limits.")
def portal_config(caller: Principal) -> PortalConfig:
    from chalicelib.services import troubleshooters
    from chalicelib.services.attachments.limits import attachment_limits
    from chalicelib.services.identity import reading_language
    from chalicelib.services.settings import get_portal_settings

    settings = get_portal_settings()
    language = reading_language(caller.user_id)  # topics and forms are named in it
    return {
        "portal_name": settings.portal_name,
        "topics": [{"id": t.id, "name": t.name_in(language)} for t in settings.customer_topics()],
        "status_display": settings.status_display,
        "org_view": bool(settings.org_view_enabled and caller.org_view),
        "max_message_length": MAX_MESSAGE_LENGTH,
        "troubleshooters": [troubleshooters.customer_shape(form, language)
                            for form in troubleshooters.offered(settings)],
        "attachments": attachment_limits(settings),
    }


@route(blueprint, "/api/portal/tickets", method="POST", access=CUSTOMERS, body=CreateTicketBody,
       status=201, tag=TAG,
       summary="Open a ticket (topic, subject, text) or from a troubleshooter.")
def create_ticket(caller: Principal, body: CreateTicketBody) -> CustomerTicketView:
    from chalicelib.services.tickets import create

    return create.create_ticket(
        caller,
        topic=body.topic,
        subject=body.subject,
        body=body.body,
        # Without an id the client's copy is stored as sent (API clients' own forms).
        troubleshooter=(body.troubleshooter.model_dump(exclude_none=True)
                        if body.troubleshooter else None),
    )


@route(blueprint, "/api/portal/tickets", access=CUSTOMERS, query=TicketListQuery, tag=TAG,
       summary="My tickets, my organization's, or those I follow (the latest I was added to "
       "first): status filter, search, sort, cursor.")
def list_tickets(caller: Principal, query: TicketListQuery) -> CustomerTicketPage:
    from chalicelib.services.tickets import portal

    return portal.list_customer_tickets(
        caller, scope=query.scope, status=query.status, q=query.q, topic=query.topic,
        sort=query.sort, limit=query.limit, cursor=query.cursor,
        newest_first=query.order == "desc",
    )


@route(blueprint, "/api/portal/tickets/{ticket_id}", access=CUSTOMERS, tag=TAG,
       query=RefreshQuery, polled_with="refresh",
       summary="A ticket with the newest page of its public thread (earlier_cursor reads "
       "back); marks it read.")
def get_ticket(caller: Principal, ticket_id: str, query: RefreshQuery) -> CustomerTicketView:
    from chalicelib.services.tickets import portal

    return portal.customer_view(caller, ticket_id)


@route(blueprint, "/api/portal/tickets/{ticket_id}/messages", access=CUSTOMERS, query=ThreadQuery,
       tag=TAG, polled_with="after",
       summary="Public messages after a sequence number (polling for live updates), "
       "or the page before an earlier_cursor.")
def new_messages(
    caller: Principal, ticket_id: str, query: ThreadQuery
) -> CustomerNewMessages | CustomerEarlierMessages:
    from chalicelib.services.tickets import portal

    if query.before is not None:
        return portal.customer_earlier_messages(caller, ticket_id, query.before)
    return portal.customer_new_messages(caller, ticket_id, query.after)


@route(blueprint, "/api/portal/tickets/{ticket_id}/messages", method="POST", access=CUSTOMERS,
       body=ReplyBody, status=201, tag=TAG,
       summary="Reply; reopens a resolved or closed ticket within the reopen window.")
def reply(caller: Principal, ticket_id: str, body: ReplyBody) -> CustomerMessageAnswer:
    from chalicelib.services.tickets import portal

    return {"message": portal.customer_reply(caller, ticket_id, body.body, body.attachment_ids)}


@route(blueprint, "/api/portal/tickets/{ticket_id}/read", method="POST", access=CUSTOMERS,
       body=ReadBody, tag=TAG, refreshes_session=False,
       summary="Messages that arrived while the ticket was open were shown: read up to seq "
       "(the list's marker, the Inbox and the feed alike); answers the folders' counts.")
def read(caller: Principal, ticket_id: str, body: ReadBody) -> FolderCounts:
    from chalicelib.services.tickets import portal

    return portal.customer_read(caller, ticket_id, body.seq)


@route(blueprint, "/api/portal/tickets/{ticket_id}/resolve", method="POST", access=CUSTOMERS,
       tag=TAG, summary="OK, resolved.")
def resolve(caller: Principal, ticket_id: str) -> CustomerTicketView:
    from chalicelib.services.tickets import portal

    return portal.customer_resolve(caller, ticket_id)


@route(blueprint, "/api/portal/tickets/{ticket_id}/rating", method="PUT", access=CUSTOMERS,
       body=RatingBody, tag=TAG, summary="Rate 1-5 once resolved; a second rating replaces it.")
def rate(caller: Principal, ticket_id: str, body: RatingBody) -> TicketRating:
    from chalicelib.services.tickets import portal

    return portal.rate(caller, ticket_id, body.score, body.comment)


@route(blueprint, "/api/portal/folders", access=CUSTOMERS, tag=TAG, refreshes_session=False,
       summary="Unread counts of Inbox, Sent and Trash.")
def folders(caller: Principal) -> FolderCounts:
    from chalicelib.services import mailbox

    return mailbox.folder_counts(caller)


@route(blueprint, "/api/portal/folders/{folder}", access=CUSTOMERS, query=PageQuery, tag=TAG,
       summary="Messages in one folder, newest first.")
def folder(caller: Principal, folder: str, query: PageQuery) -> FolderPage:
    from chalicelib.services import mailbox

    return mailbox.list_folder(caller, folder, query.limit, query.cursor)


@route(blueprint, "/api/portal/folders/entries/{entry_id}/{action}", method="POST",
       access=CUSTOMERS, tag=TAG, summary="Mark read / unread, move to Trash, restore.")
def change_entry(caller: Principal, entry_id: str, action: str) -> FolderEntryChange:
    from chalicelib.services import mailbox

    return mailbox.change(caller, entry_id, action)

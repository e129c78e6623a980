"""Documents on a ticket, for the portal and the console: ask for an upload, confirm it, list
the documents area, download. The same service answers both sides, each in its own shape; the
ticket's own access check decides who sees what.

Services are imported in the view: a cold start loads only what the route it answers needs (the
documents' service brings S3 and the file checks)."""

from __future__ import annotations

from typing import Literal

from chalice.app import Blueprint, Response
from pydantic import Field

from chalicelib.api.pagination import RefreshQuery
from chalicelib.api.requests import Strict
from chalicelib.api.routing import CUSTOMERS, STAFF, route
from chalicelib.services.principal import Principal
from chalicelib.shapes.attachments import (
    CustomerAttachmentAnswer,
    CustomerAttachmentList,
    CustomerUpload,
    DownloadLink,
    StaffAttachmentAnswer,
    StaffAttachmentList,
    StaffUpload,
)

blueprint = Blueprint(__name__)
PORTAL = "/api/portal/tickets/{ticket_id}/attachments"
CONSOLE = "/api/console/tickets/{ticket_id}/attachments"


class UploadBody(Strict):
    filename: str = Field(min_length=1, max_length=1024)
    content_type: str = Field(
        "", max_length=255, description="The browser's type; empty: guessed from the name."
    )
    size: int = Field(ge=0, le=2**40, description="Bytes; the upload form allows exactly this.")


class StaffUploadBody(UploadBody):
    visibility: Literal["public", "internal"] = Field(
        "internal",
        description="internal (default): the team only, until sent with a public answer; "
        "public: shared in the customer's documents area at once.",
    )


class DownloadQuery(Strict):
    redirect: bool = Field(
        True, description="false: answer {\"url\"} instead of a 302, for pages that navigate."
    )


def _download(principal: Principal, ticket_id: str, attachment_id: str,
              query: DownloadQuery) -> Response | DownloadLink:
    from chalicelib.services.attachments import reading

    url = reading.download_url(principal, ticket_id, attachment_id)
    if not query.redirect:
        return {"url": url, "expires_in": reading.DOWNLOAD_SECONDS}
    return Response(body="", status_code=302, headers={"Location": url})


# -- portal ---------------------------------------------------------------------------------


@route(blueprint, PORTAL, method="POST", access=CUSTOMERS, body=UploadBody, status=201,
       tag="portal", summary="Ask to upload a document: a presigned POST form for S3.")
def portal_request_upload(caller: Principal, ticket_id: str, body: UploadBody) -> CustomerUpload:
    from chalicelib.services.attachments import uploads

    return uploads.request_customer_upload(
        caller, ticket_id, filename=body.filename, content_type=body.content_type, size=body.size
    )


@route(blueprint, PORTAL + "/{attachment_id}/confirm", method="POST", access=CUSTOMERS,
       tag="portal", summary="Verify an uploaded document; only then is it visible.")
def portal_confirm(
    caller: Principal, ticket_id: str, attachment_id: str
) -> CustomerAttachmentAnswer:
    from chalicelib.services.attachments import uploads

    return {"attachment": uploads.confirm_customer_upload(caller, ticket_id, attachment_id)}


@route(blueprint, PORTAL, access=CUSTOMERS, tag="portal", query=RefreshQuery,
       polled_with="refresh", summary="The ticket's documents area: name, size, who, when.")
def portal_list(caller: Principal, ticket_id: str, query: RefreshQuery) -> CustomerAttachmentList:
    from chalicelib.services.attachments import reading

    return reading.list_customer_attachments(caller, ticket_id)


@route(blueprint, PORTAL + "/{attachment_id}", access=CUSTOMERS, query=DownloadQuery,
       tag="portal", answers=DownloadLink,
       summary="Download: a redirect to a link valid for five minutes.")
def portal_download(
    caller: Principal, ticket_id: str, attachment_id: str, query: DownloadQuery
) -> Response | DownloadLink:
    return _download(caller, ticket_id, attachment_id, query)


# -- console --------------------------------------------------------------------------------


@route(blueprint, CONSOLE, method="POST", access=STAFF, body=StaffUploadBody, status=201,
       tag="console", summary="Ask to upload a document (internal unless shared).")
def console_request_upload(caller: Principal, ticket_id: str, body: StaffUploadBody) -> StaffUpload:
    from chalicelib.services.attachments import uploads

    return uploads.request_staff_upload(
        caller, ticket_id, filename=body.filename, content_type=body.content_type,
        size=body.size, visibility=body.visibility,
    )


@route(blueprint, CONSOLE + "/{attachment_id}/confirm", method="POST", access=STAFF,
       tag="console", summary="Verify an uploaded document; only then is it visible.")
def console_confirm(caller: Principal, ticket_id: str, attachment_id: str) -> StaffAttachmentAnswer:
    from chalicelib.services.attachments import uploads

    return {"attachment": uploads.confirm_staff_upload(caller, ticket_id, attachment_id)}


@route(blueprint, CONSOLE, access=STAFF, tag="console", query=RefreshQuery,
       polled_with="refresh", summary="The ticket's documents, internal ones included.")
def console_list(caller: Principal, ticket_id: str, query: RefreshQuery) -> StaffAttachmentList:
    from chalicelib.services.attachments import reading

    return reading.list_staff_attachments(caller, ticket_id)


@route(blueprint, CONSOLE + "/{attachment_id}", access=STAFF, query=DownloadQuery,
       tag="console", answers=DownloadLink,
       summary="Download: a redirect to a link valid for five minutes.")
def console_download(
    caller: Principal, ticket_id: str, attachment_id: str, query: DownloadQuery
) -> Response | DownloadLink:
    return _download(caller, ticket_id, attachment_id, query)

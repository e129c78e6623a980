"""Local-only pages (registered by app.py only on the local and test stages): the mail that
SES would have sent, read from the embedded AWS emulator.

The emulator's reader is imported in the view: it brings moto and the mail parser."""

from __future__ import annotations

from chalice.app import Blueprint, Response

from chalicelib.api.routing import PUBLIC, route
from chalicelib.services.principal import Anonymous
from chalicelib.shapes.dev import SentMailList

blueprint = Blueprint(__name__)


@route(
    blueprint,
    "/dev/mail",
    access=PUBLIC,
    tag="dev",
    answers=SentMailList,
    summary="Local stage only: every mail sent, rendered with its headers (?format=json too).",
)
def sent_mail(caller: Anonymous) -> Response | SentMailList:
    from chalicelib.adapters.dev_mail import render_page, sent_messages

    messages = sent_messages()
    params = dict(blueprint.current_request.query_params or {})
    if params.get("format") == "json":
        return {"items": messages}
    return Response(
        body=render_page(messages),
        status_code=200,
        headers={
            "Content-Type": "text/html; charset=utf-8",
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
        },
    )

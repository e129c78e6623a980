"""The console's canned responses: the team's shared ones (admins write them) and each agent's own.

Services are imported in the view: a cold start loads only what the route it answers needs."""

from __future__ import annotations

from typing import Literal

from chalice.app import Blueprint
from pydantic import Field

from chalicelib.api.requests import Strict
from chalicelib.api.routing import STAFF, route
from chalicelib.services.principal import Principal
from chalicelib.shapes.canned import CannedAnswer, CannedList
from chalicelib.shapes.common import Ok

blueprint = Blueprint(__name__)
TAG = "console"
PATH = "/api/console/canned"

# The limits of services/canned.py (MAX_TITLE, MAX_BODY, MAX_SHORTCUT), which a test compares.
_TITLE = r"^[^\r\n]*\S[^\r\n]*$"
_SHORTCUT = r"^[\w-]+$"  # letters of any script, digits, "_" and "-": what follows ";"
ResponseLanguage = Literal["en", "fr", "pl", "any"]
# The console's answer actions (services/tickets/console.py ANSWERS).
AnswerAction = Literal["send", "send_leave_open", "resolve_silently", "note"]


class CannedQuery(Strict):
    q: str = Field("", max_length=200, description="Words of the title, shortcut or body.")
    language: Literal["en", "fr", "pl"] | None = Field(
        None, description="Those in this language and those for any language.")
    ticket_id: str | None = Field(
        None, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$",
        description="Fill each response's placeholders for this ticket (`filled`).")


class CannedBody(Strict):
    title: str = Field(min_length=1, max_length=120, pattern=_TITLE)
    body: str = Field(min_length=1, max_length=5_000,
                      description="Placeholders: {{ customer_name }}, {{ ticket_number }}, "
                                  "{{ agent_name }}.")
    language: ResponseLanguage
    shortcut: str | None = Field(None, min_length=1, max_length=30, pattern=_SHORTCUT)
    action: AnswerAction | None = None
    shared: bool = Field(False, description="The team's (admins only), or the caller's own.")


class CannedPatch(Strict):
    title: str | None = Field(None, min_length=1, max_length=120, pattern=_TITLE)
    body: str | None = Field(None, min_length=1, max_length=5_000)
    language: ResponseLanguage | None = None
    shortcut: str | None = Field(None, min_length=1, max_length=30, pattern=_SHORTCUT,
                                 description="null removes it.")
    action: AnswerAction | None = Field(None, description="null removes it.")


@route(blueprint, PATH, access=STAFF, query=CannedQuery, tag=TAG,
       summary="The shared canned responses and the caller's own, searched, per language.")
def list_canned(caller: Principal, query: CannedQuery) -> CannedList:
    from chalicelib.services import canned

    return canned.list_responses(caller, q=query.q, language=query.language,
                                 ticket_id=query.ticket_id)


@route(blueprint, PATH, method="POST", access=STAFF, body=CannedBody, status=201, tag=TAG,
       summary="Save a canned response: the caller's own, or a shared one (admins, audited).")
def create_canned(caller: Principal, body: CannedBody) -> CannedAnswer:
    from chalicelib.services import canned

    return {"response": canned.create_response(caller, body.model_dump())}


@route(blueprint, PATH + "/{canned_id}", method="PATCH", access=STAFF, body=CannedPatch,
       tag=TAG, summary="Change a canned response: one's own, or a shared one (admins, audited).")
def update_canned(caller: Principal, canned_id: str, body: CannedPatch) -> CannedAnswer:
    from chalicelib.services import canned

    changes = body.model_dump(exclude_unset=True)
    for required in ("title", "body", "language"):
        if required in changes and changes[required] is None:
            del changes[required]  # null is "keep" for what every response must have
    return {"response": canned.update_response(caller, canned_id, changes)}


@route(blueprint, PATH + "/{canned_id}", method="DELETE", access=STAFF, tag=TAG,
       summary="Delete a canned response: one's own, or a shared one (admins, audited).")
def delete_canned(caller: Principal, canned_id: str) -> Ok:
    from chalicelib.services import canned

    canned.delete_response(caller, canned_id)
    return {"ok": True}

"""Canned responses: the team's shared answers (admins write them, every agent uses them) and each
agent's own, per language, with placeholders the console fills for the ticket at hand and an
optional answer action the composer then chooses.

Placeholders are written as the mail templates write their variables (`{{ ticket_number }}`,
spaces inside the braces optional), but a response is not a template: nothing but those names
is replaced, so a body cannot compute anything. A name the console does not fill is refused
when saved (400 `unknown_placeholder`) rather than reaching a customer as braces.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from typing import Any

from chalicelib import clock
from chalicelib.data import canned as store
from chalicelib.data.canned import SHARED, CannedModel
from chalicelib.errors import Forbidden, InvalidInput, NotFound
from chalicelib.services import audit
from chalicelib.services.principal import Principal
from chalicelib.services.search import fold  # the index's folding: "ecran" finds "Écran"
from chalicelib.shapes.canned import CannedList, CannedResponse

# How many responses a partition holds: a team's library, Zendesk's macros or Zammad's text
# modules, runs to a few hundred at most. The bound is what lets a list read the whole partition
# and filter it here (data/canned.py): a search costs the same however many tickets there are.
MAX_SHARED = 200
MAX_PERSONAL = 100
MAX_TITLE = 120
MAX_BODY = 5_000
MAX_SHORTCUT = 30
LANGUAGES = ("en", "fr", "pl", "any")  # `any`: offered whatever the customer's language
# What each placeholder is filled with.
PLACEHOLDERS: dict[str, str] = {
    "customer_name": "The name of the ticket's customer.",
    "ticket_number": "The ticket's number.",
    "agent_name": "Your own name (the agent using the response).",
}
_PLACEHOLDER = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
_WORDS = re.compile(r"[^\s;]+")


def _refused_placeholder(shown: str) -> InvalidInput:
    known = ", ".join(f"{{{{ {name} }}}}" for name in PLACEHOLDERS)
    return InvalidInput(
        f"Unknown placeholder {shown}: use {known}.",
        code="unknown_placeholder",
        details={"placeholder": shown, "known": known},
    )


def check_placeholders(body: str) -> None:
    """Every `{{ name }}` is one the console fills, and no brace pair is left half open."""
    for match in _PLACEHOLDER.finditer(body):
        if match.group(1) not in PLACEHOLDERS:
            raise _refused_placeholder(match.group(0)[:60])
    rest = _PLACEHOLDER.sub("", body)
    for brace in ("{{", "}}"):
        if brace in rest:
            at = rest.index(brace)
            raise _refused_placeholder(rest[max(0, at - 20):at + 20].strip())


def fill(body: str, values: dict[str, str]) -> str:
    """The body with each placeholder replaced by its value (one pass: a value that looks like
    a placeholder, a customer named "{{ agent_name }}", stays as it is)."""
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), body)


def normalize_shortcut(shortcut: str | None) -> str | None:
    if not shortcut:
        return None
    return unicodedata.normalize("NFKC", shortcut).casefold()


# ---------------------------------------------------------------------------------------------
# Reading


def list_responses(
    caller: Principal, *, q: str = "", language: str | None = None,
    ticket_id: str | None = None,
) -> CannedList:
    """The shared responses and the caller's own, by title; `language` keeps those in it and
    those for any language, `q` those that have every word in their title, shortcut or body
    (accents and case ignored). With `ticket_id`, each is also filled for that ticket."""
    responses = [
        *store.list_responses(SHARED, MAX_SHARED),
        *store.list_responses(store.personal(caller.user_id), MAX_PERSONAL),
    ]
    if language:
        responses = [r for r in responses if r.language in (language, "any")]
    if q.strip():
        words = _WORDS.findall(fold(q))
        responses = [r for r in responses
                     if all(w in fold(f"{r.title}\n{r.shortcut or ''}\n{r.body}") for w in words)]
    responses.sort(key=lambda r: (fold(r.title), r.canned_id))
    answer: CannedList = {"items": [], "placeholders": list(PLACEHOLDERS)}
    values: dict[str, str] | None = None
    if ticket_id is not None:
        values, answer["customer_language"] = _ticket_values(caller, ticket_id)
    answer["items"] = [public(r, caller, values) for r in responses]
    return answer


def _ticket_values(caller: Principal, ticket_id: str) -> tuple[dict[str, str], str]:
    """What the placeholders say on this ticket, and its customer's language: the ticket as
    the console reads it (the same 404 for a missing one), its requester and the caller."""
    from chalicelib.data import users as user_store
    from chalicelib.services.identity import language_of
    from chalicelib.services.tickets.access import staff_ticket

    ticket = staff_ticket(caller, ticket_id)
    people = user_store.get_users({ticket.requester_id, caller.user_id})
    customer, agent = people.get(ticket.requester_id), people.get(caller.user_id)
    values = {
        "customer_name": customer.name if customer else "",
        "ticket_number": str(int(ticket.number)),
        "agent_name": agent.name if agent else "",
    }
    return values, language_of(customer)


def public(
    response: CannedModel, caller: Principal, values: dict[str, str] | None = None
) -> CannedResponse:
    shaped: CannedResponse = {
        "id": response.canned_id,
        "title": response.title,
        "body": response.body,
        "language": response.language,
        "shortcut": response.shortcut,
        "action": response.action,
        "shared": response.shared,
        "editable": caller.is_admin or not response.shared,
        "updated_at": clock.iso(response.updated_at),
    }
    if values is not None:
        shaped["filled"] = fill(response.body, values)
    return shaped


# ---------------------------------------------------------------------------------------------
# Writing


def create_response(caller: Principal, fields: dict[str, Any]) -> CannedResponse:
    """`fields`: title, body, language, and optionally shortcut, action, shared."""
    shared = bool(fields.get("shared"))
    if shared:
        _admin_only(caller)
    now = clock.now()
    prefix = store.SHARED_PREFIX if shared else store.PERSONAL_PREFIX
    response = CannedModel(
        owner=SHARED if shared else store.personal(caller.user_id),
        item=prefix + secrets.token_hex(16),
        created_by=caller.user_id, created_at=now, updated_by=caller.user_id, updated_at=now,
        **_checked(fields),
    )
    store.create_response(response, MAX_SHARED if shared else MAX_PERSONAL)
    if shared:
        audit.record("canned.create", actor=caller, target=f"canned:{response.canned_id}",
                     details={"title": response.title, "changes": audit.differences(
                         {}, _audited(response))})
    return public(response, caller)


def update_response(caller: Principal, canned_id: str, changes: dict[str, Any]) -> CannedResponse:
    """`changes` holds the fields sent; a shortcut or action sent as null is removed."""
    before = _editable(caller, canned_id)
    current = {"title": before.title, "body": before.body, "language": before.language,
               "shortcut": before.shortcut, "action": before.action}
    after = CannedModel(
        owner=before.owner, item=before.item, created_by=before.created_by,
        created_at=before.created_at, updated_by=caller.user_id, updated_at=clock.now(),
        **_checked({**current, **changes}),
    )
    if _audited(after) == _audited(before):
        return public(before, caller)  # nothing to change: nothing written, nothing audited
    store.update_response(before, after)
    if after.shared:
        audit.record("canned.update", actor=caller, target=f"canned:{canned_id}",
                     details={"title": after.title, "changes": audit.differences(
                         _audited(before), _audited(after))})
    return public(after, caller)


def delete_response(caller: Principal, canned_id: str) -> None:
    response = _editable(caller, canned_id)
    store.delete_response(response)
    if response.shared:
        audit.record("canned.delete", actor=caller, target=f"canned:{canned_id}",
                     details={"title": response.title})


def _editable(caller: Principal, canned_id: str) -> CannedModel:
    """The caller's own response, or a shared one for an admin; another agent's personal
    response is in no partition the caller reads, so it is as missing as a deleted one."""
    response = store.get_response(store.owner_of(canned_id, caller.user_id), canned_id)
    if response is None:
        raise NotFound("No such canned response.", code="canned_not_found")
    if response.shared:
        _admin_only(caller)
    return response


def _admin_only(caller: Principal) -> None:
    if not caller.is_admin:
        raise Forbidden("Only admins create and change the team's shared responses.",
                        code="shared_admins_only")


def _checked(fields: dict[str, Any]) -> dict[str, Any]:
    """The stored form of what was sent: a one-line title with its spaces tidied, a body with
    known placeholders, and a casefolded shortcut."""
    title = " ".join(str(fields["title"]).split())
    body = str(fields["body"]).replace("\r\n", "\n")
    if not title:
        raise InvalidInput("The response needs a title.", code="required",
                           details=[{"field": "title", "code": "required",
                                     "message": "The response needs a title."}])
    if not body.strip():
        raise InvalidInput("The response has no text.", code="empty_message")
    check_placeholders(body)
    return {
        "title": title,
        "body": body,
        "language": fields["language"],
        "shortcut": normalize_shortcut(fields.get("shortcut")),
        "action": fields.get("action") or None,
    }


def _audited(response: CannedModel) -> dict[str, Any]:
    return {"title": response.title, "body": response.body, "language": response.language,
            "shortcut": response.shortcut, "action": response.action}

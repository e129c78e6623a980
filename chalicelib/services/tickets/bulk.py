"""Bulk actions on the console's selected conversations: assign, add or remove a tag, close.

Each ticket goes through the very function the one-at-a-time action calls (console.py's
`assign_ticket` and `close_ticket`, tags.py's `change_tags`), with the same rules and history
lines; one ticket refused (closing one assigned to someone else, a ticket merged meanwhile)
does not stop the others, and the answer says, ticket by ticket, done or why not, with the
code the page translates. What the whole request gets wrong (an unknown agent, a malformed
tag) is refused before any ticket is touched.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from chalicelib.data import users as user_store
from chalicelib.errors import InvalidInput, ParleyError
from chalicelib.observability import count
from chalicelib.services.principal import CUSTOMER, Principal
from chalicelib.services.tickets import console, tags
from chalicelib.shapes.tickets import BulkItem, BulkResult

MAX_TICKETS = 50  # a page of the list at most; each is a few DynamoDB calls
ACTIONS = ("assign", "add_tag", "remove_tag", "close")


def apply(
    principal: Principal, ticket_ids: Sequence[str], action: str, *,
    assignee_id: str | None = None, tag: str | None = None,
) -> BulkResult:
    ids = list(dict.fromkeys(ticket_ids))
    if not ids or len(ids) > MAX_TICKETS:
        raise InvalidInput(f"Choose 1 to {MAX_TICKETS} conversations.", code="bulk_size",
                           details={"limit": MAX_TICKETS})
    one = _action(principal, action, assignee_id=assignee_id, tag=tag)
    items: list[BulkItem] = []
    for ticket_id in ids:
        try:
            one(ticket_id)
        except ParleyError as refusal:
            items.append({"ticket_id": ticket_id, "ok": False,
                          "error": {"code": refusal.code, "message": refusal.message,
                                    "details": refusal.details
                                    if isinstance(refusal.details, dict) else None}})
        else:
            items.append({"ticket_id": ticket_id, "ok": True, "error": None})
    done = sum(item["ok"] for item in items)
    count("BulkAction", action=action)
    return {"action": action, "items": items, "done": done, "refused": len(items) - done}


def _action(
    principal: Principal, action: str, *, assignee_id: str | None, tag: str | None
) -> Callable[[str], object]:
    """The one-ticket function, its arguments checked once for all tickets."""
    if action == "assign":
        if assignee_id:
            target = user_store.get_user(assignee_id)
            if target is None or target.role == CUSTOMER or target.status != "active":
                raise InvalidInput("The assignee must be an active agent.", code="unknown_agent")
        elif assignee_id is not None:
            raise InvalidInput("The assignee must be an active agent.", code="unknown_agent")
        return lambda ticket_id: console.assign_ticket(principal, ticket_id, assignee_id)
    if action in ("add_tag", "remove_tag"):
        if tag is None:
            raise InvalidInput("Say which tag.", code="tag_required")
        name = tags.normalise(tag)
        added, removed = ([name], []) if action == "add_tag" else ([], [name])
        return lambda ticket_id: tags.change_tags(principal, ticket_id, added, removed)
    if action == "close":
        return lambda ticket_id: console.close_ticket(principal, ticket_id)
    raise InvalidInput(f"action must be one of {', '.join(ACTIONS)}.", code="unknown_action")

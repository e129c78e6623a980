"""The stale-answer check: an agent's answer may carry what their page last saw (the thread's
last position and the assignee). If someone else wrote since (a customer, a teammate, a note, a
history line) or the assignee changed, the answer is refused with what changed (409
`conversation_changed`) instead of going out over it: the page shows the news and offers to
send anyway, with the new expectation.

`refuse_if_changed` runs inside the commit's rule (tickets/commit.py), on the ticket the
transaction is conditioned on. Two answers sent at once with the same expectation cannot both
pass: the second one's transaction fails on the first one's version, its rule runs again on the
fresh ticket and finds the first one's message.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib.data import users as user_store
from chalicelib.data.messages import MessageModel, position_of
from chalicelib.data.tickets import TicketModel
from chalicelib.errors import Conflict
from chalicelib.services.principal import Principal
from chalicelib.services.tickets.threads import staff_after

UNSET: Any = object()  # the caller did not say whom it saw assigned


@dataclass(frozen=True)
class Seen:
    """What the agent's page showed when the answer was written: the last position of the
    thread (the console's `seq`) and the assignee's id (None: unassigned). Either may be left
    out; with neither the answer is sent as it always was (API clients)."""

    last_seq: int | None = None
    assignee_id: Any = UNSET  # str | None once given

    @property
    def given(self) -> bool:
        return self.last_seq is not None or self.assignee_id is not UNSET


def refuse_if_changed(principal: Principal, ticket: TicketModel, seen: Seen) -> None:
    """Nothing, or 409 `conversation_changed` whose details say what changed: who wrote since
    (`authors`, `new_messages`), the assignee now (`assignee`, `assignee_changed`), the status
    and the thread's last position (`last_seq`, the expectation of a "send anyway")."""
    if not seen.given:
        return
    last = int(ticket.last_seq or 0)
    others: list[MessageModel] = []
    complete = True
    if seen.last_seq is not None and last > seen.last_seq:
        since = staff_after(ticket, seen.last_seq)  # a page at most
        # The caller's own messages are no news to them (an answer, a note, a title they set).
        others = [m for m in since if m.author_id != principal.user_id]
        complete = bool(since) and position_of(since[-1]) >= last
    assignee_changed = seen.assignee_id is not UNSET and ticket.assignee_id != seen.assignee_id
    if seen.last_seq is not None and complete and not others:
        # Every change since was the caller's own (assigning themselves, say): nothing to tell.
        return
    if not (others or assignee_changed or not complete):
        return
    raise _changed(ticket, others, assignee_changed)


def _changed(
    ticket: TicketModel, others: list[MessageModel], assignee_changed: bool
) -> Conflict:
    authors: dict[str, dict[str, str]] = {}
    for message in others:
        key = message.author_id or f"{message.author_role}:{message.author_name}"
        authors.setdefault(key, {"id": message.author_id or "", "name": message.author_name,
                                 "role": message.author_role})
    assignee = None
    if ticket.assignee_id:
        user = user_store.get_user(ticket.assignee_id)
        assignee = {"id": ticket.assignee_id, "name": user.name if user else ""}
    said = []
    names = [a["name"] for a in authors.values() if a["name"]]
    if others:
        said.append(f"{', '.join(names) or 'Someone'} wrote since your page loaded it")
    if assignee_changed:
        said.append(f"it is now assigned to {assignee['name']}" if assignee
                    else "it is now unassigned")
    text = "; ".join(said) or "it changed since your page loaded it"
    return Conflict(
        f"This conversation moved on: {text}. Read what changed, then send again.",
        code="conversation_changed",
        details={
            "last_seq": int(ticket.last_seq or 0),
            "new_messages": len(others),
            "authors": list(authors.values()),
            "assignee": assignee,
            "assignee_changed": assignee_changed,
            "status": ticket.status,
        },
    )

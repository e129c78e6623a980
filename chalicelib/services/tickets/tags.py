"""Tags on tickets: the team's own labels ("billing", "vip"), staff only.

A tag is lowercase, trimmed, its inner spaces made dashes, of letters a-z, digits, `-` and `_`,
at most MAX_TAG characters; a ticket has at most MAX_TAGS. Every change goes through commit.py
with an internal history line (details: `added`, `removed`), so the messages stream sees it:
the search index posts a staff-scope term per tag (`tag:<name>`, services/search.py), which is
how the console's list filters by tag at the same cost whatever the number of tickets. Tags are
never in a customer's answer, a customer's search scope, mail, or a push to a customer (the
history line is internal).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from chalicelib.data.tickets import TicketModel
from chalicelib.errors import Conflict, InvalidInput
from chalicelib.services.principal import Principal
from chalicelib.services.settings import get_portal_settings
from chalicelib.services.tickets import access
from chalicelib.services.tickets.commit import commit
from chalicelib.services.tickets.drafts import SYSTEM_EVENT, Draft, load_user

MAX_TAGS = 10
MAX_TAG = 30
TAG_FORMAT = re.compile(rf"[a-z0-9][a-z0-9_-]{{0,{MAX_TAG - 1}}}")
EVENT = "tags"


def normalise(raw: str) -> str:
    """" Billing  Issue " is "billing-issue"; anything else than the charset is refused rather
    than changed, so the agent sees the tag they will filter by."""
    tag = re.sub(r"\s+", "-", raw.strip().lower())
    if not TAG_FORMAT.fullmatch(tag):
        raise InvalidInput(
            f"A tag has 1 to {MAX_TAG} letters (a-z), digits, dashes or underscores.",
            code="invalid_tag", details={"tag": raw[:MAX_TAG + 10], "limit": MAX_TAG},
        )
    return tag


def normalised(raw: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(normalise(tag) for tag in raw))


def change_tags(principal: Principal, ticket_id: str, add: Iterable[str],
                remove: Iterable[str]) -> bool:
    """Add and remove tags (a tag in both is removed); False when nothing changed (a tag
    already there, or not there to remove)."""
    adding, removing = normalised(add), normalised(remove)
    author = load_user(principal.user_id)

    def rule(ticket: TicketModel) -> Draft | None:
        current = [str(tag) for tag in ticket.tags or []]
        wanted = [tag for tag in [*current, *adding] if tag not in removing]
        wanted = list(dict.fromkeys(wanted))
        if wanted == current:
            return None
        if len(wanted) > MAX_TAGS:
            raise Conflict(f"A ticket has at most {MAX_TAGS} tags.", code="too_many_tags",
                           details={"limit": MAX_TAGS})
        added = [tag for tag in wanted if tag not in current]
        removed = [tag for tag in current if tag not in wanted]
        ticket.tags = wanted or None  # type: ignore[assignment]  # stored as strings
        said = [f"{label}: {', '.join(names)}" for label, names
                in (("Tagged", added), ("Untagged", removed)) if names]
        return Draft(SYSTEM_EVENT, "internal", "; ".join(said) + ".", principal,
                     author.name, details={"event": EVENT, "added": added, "removed": removed})

    changed = commit(lambda: access.staff_ticket(principal, ticket_id), rule,
                     get_portal_settings(), touch=False)
    return changed is not None

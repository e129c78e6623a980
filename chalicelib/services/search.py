"""Search that finds people and words: the index the messages stream writes, and the ticket
lists' search that reads it (docs/architecture.md, "Search", says why postings in DynamoDB).

Every ticket change writes a message (tickets/commit.py), so the messages stream sees them all.
For each message the ticket is read as it is then, and postings are written:

- staff scope: the requester's name and address, the organization's name, the subject (these
  with prefixes, so "ali" finds Alice), the agents' title, the number, the topic, and the
  message's words, internal notes included;
- for a public message, the customers' scopes (the requester's, and the organization's for
  the organization view): the subject (with prefixes), number, topic and the message's words.
  Never the title, never a note: what a customer may search is what the portal shows them.

Each posting carries the ticket's activity time for its scope (a note moves only the staff's),
read from the ticket, so a record delivered late or twice never moves a posting back in time.
A word keeps the time of the last message that wrote it: results come newest activity first,
where a word of an old message ranks by the last time its ticket said it.

A search reads one page of the longest query word's postings (usually the rarest), checks the
other words for those candidates with BatchGetItem, reads the survivors (BatchGetItem) and
passes each through the list's own filters and the portal's access check: the same number of
calls with a thousand tickets or a million. A page may come back short, with a cursor.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from chalicelib.data import orgs as org_store
from chalicelib.data import search as store
from chalicelib.data import tickets as ticket_store
from chalicelib.data import users as user_store
from chalicelib.data.messages import PUBLIC, MessageModel, position_of
from chalicelib.data.orgs import OrgModel
from chalicelib.data.streams import message_from_image
from chalicelib.data.tickets import TicketModel
from chalicelib.data.users import UserModel
from chalicelib.observability import append_log_keys
from chalicelib.services.principal import Principal
from chalicelib.services.settings import PortalSettings
from chalicelib.services.tickets import access
from chalicelib.services.tickets.drafts import SYSTEM_EVENT

# Scopes: whose search reads a posting. Customers' scopes are named like the lists they search.
STAFF = "staff"
REQUESTER = "requester"
ORG = "org"

SEARCH_TERMS = 8  # words of one query: each beyond the first is one key per candidate
MESSAGE_TERMS = 150  # distinct words of one message that are indexed (a long mail's first ones)
MAX_TERM = 64  # characters kept of a word (and of an address)
PREFIX_MIN, PREFIX_MAX = 3, 10  # prefixes of the people's and the subject's words
CANDIDATES = 100  # postings read per page at most: one Query, and one BatchGetItem per word

# Letters NFKD does not split into a base letter and a mark.
_FOLDS = str.maketrans({"ł": "l", "đ": "d", "ð": "d", "ø": "o", "æ": "ae", "œ": "oe",
                        "þ": "th", "ħ": "h", "\u0131": "i"})  # the last: Turkish dotless i
_WORD = re.compile(r"[^\W_]+")
_ADDRESS = re.compile(r"[\w.%+-]+@[\w-]+(?:\.[\w-]+)+")


# ---------------------------------------------------------------------------------------------
# Terms


def fold(text: str) -> str:
    """Casefolded, accents dropped: "Écran" → "ecran", "ŻÓŁW" → "zolw"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_FOLDS))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _distinct(terms: Iterable[str]) -> list[str]:
    """Each once, in order; a single letter is too common to be worth a posting (digits are
    kept: "5" may be what a subject says)."""
    return [t for t in dict.fromkeys(t[:MAX_TERM] for t in terms) if len(t) > 1 or t.isdigit()]


def words_of(text: str) -> list[str]:
    """What a text is found by: each address whole, then every word (an address's parts are
    words too: carol@globex.test is found by "carol", "globex" and "globex.test")."""
    folded = fold(text)
    return _distinct([m.group().strip(".") for m in _ADDRESS.finditer(folded)]
                     + _WORD.findall(folded))


def with_prefixes(terms: Iterable[str]) -> list[str]:
    """Words and their beginnings from PREFIX_MIN to PREFIX_MAX characters: "alice" is also
    "ali" and "alic". Only for the few words of names and subjects: a message's words would
    write several times as many postings."""
    found: list[str] = []
    for term in terms:
        found.append(term)
        if "@" not in term and not term.isdigit():
            found += [term[:n] for n in range(PREFIX_MIN, min(len(term), PREFIX_MAX + 1))]
    return _distinct(found)


def query_terms(q: str) -> list[str]:
    """The words a query asks for, all of which must be found, in any order; an address is
    one term. A dotted name ("globex.test") asks for each of its words."""
    found: list[str] = []
    for token in fold(q).split():
        address = _ADDRESS.fullmatch(token.strip(".,;:()<>\"'"))
        found += [address.group()] if address else _WORD.findall(token)
    return _distinct(found)[:SEARCH_TERMS]


def posting_term(scope: str, term: str) -> str:
    """The key of a term's postings in a scope."""
    return f"{scope}#{term}"


# ---------------------------------------------------------------------------------------------
# Writing: the messages stream


def on_stream_record(record: dict[str, Any]) -> int:
    """One record of the messages table's stream; returns the postings written. Messages are
    only inserted; a record that cannot be read raises and is reported as failed."""
    if record.get("eventName") != "INSERT":
        return 0
    return index_message(message_from_image(record["dynamodb"]["NewImage"]))


def index_message(message: MessageModel) -> int:
    """Write the postings of a message and of its ticket as the ticket is now (three reads:
    the ticket, its requester, the organization; then BatchWriteItem calls of 25)."""
    append_log_keys(ticket_id=str(message.ticket_id))
    ticket = ticket_store.get_ticket(str(message.ticket_id))
    if ticket is None:
        return 0
    requester = user_store.get_user(str(ticket.requester_id))
    org = org_store.get_org(str(ticket.org_id)) if ticket.org_id else None
    written = store.write_postings(postings_of(message, ticket, requester, org))
    untagged = untagged_postings(message, ticket)
    if untagged:
        store.delete_postings(untagged)
    return written


def tag_term(tag: str) -> str:
    """A tag's staff term: a query's words never make one (they have no ":"), so a tag is found
    only by the console's tag filter, and only in the staff scope."""
    return f"tag:{tag}"


def untagged_postings(message: MessageModel, ticket: TicketModel) -> list[tuple[str, str]]:
    """The postings of the tags a change removed (tickets/tags.py) that the ticket, as read now,
    still lacks: a tag added back since keeps its posting, whatever order records come in."""
    details = message.details if isinstance(message.details, dict) else {}
    if message.kind != SYSTEM_EVENT or details.get("event") != "tags":
        return []
    now = set(ticket.tags or [])
    return [(posting_term(STAFF, tag_term(str(tag))), str(ticket.ticket_id))
            for tag in details.get("removed") or [] if tag not in now]


def staff_terms(
    ticket: TicketModel, requester: UserModel | None, org: OrgModel | None
) -> list[str]:
    """What staff find a ticket by besides its messages: the people, the subject, the title."""
    people = [requester.name, requester.email] if requester else []
    named = with_prefixes(words_of(" ".join([*people, org.name if org else "", ticket.subject])))
    return _distinct([*named, *words_of(ticket.title), str(ticket.number),
                      *words_of(ticket.topic), *(tag_term(str(t)) for t in ticket.tags or [])])


def customer_terms(ticket: TicketModel) -> list[str]:
    """What a customer finds a ticket by besides its public messages: only what the portal
    shows them (never the agents' title)."""
    return _distinct([*with_prefixes(words_of(ticket.subject)), str(ticket.number),
                      *words_of(ticket.topic)])


def message_terms(message: MessageModel) -> list[str]:
    """The words of a message someone wrote (a system event's text is the app's own)."""
    if message.kind == SYSTEM_EVENT:
        return []
    return words_of(str(message.body or ""))[:MESSAGE_TERMS]


def customer_scopes(ticket: TicketModel) -> list[str]:
    scopes = [f"{REQUESTER}:{ticket.requester_id}"]
    return scopes + ([f"{ORG}:{ticket.org_id}"] if ticket.org_id else [])


def postings_of(
    message: MessageModel, ticket: TicketModel, requester: UserModel | None, org: OrgModel | None
) -> list[tuple[str, str, float]]:
    """(scoped term, ticket id, activity time) for a message: the staff's always, the
    customers' only for a public message.

    The ticket's own terms (people, subject, title) are posted again, with the ticket's time,
    only by its latest message (latest public one for the customers' scopes): a later message's
    record is on its way and will post them with a later time, so a burst of messages (a busy
    thread, a stream batch of one ticket) writes them once, not once a message."""
    said = message_terms(message)
    latest = position_of(message) >= int(ticket.last_seq or 0)
    ticket_terms = staff_terms(ticket, requester, org) if latest else []
    scoped = [(STAFF, [*ticket_terms, *said], float(ticket.last_activity_at))]
    if message.visibility == PUBLIC:
        latest_public = int(message.seq or 0) >= int(ticket.last_public_seq or 0)
        shown = [*(customer_terms(ticket) if latest_public else []), *said]
        scoped += [(scope, shown, float(ticket.public_activity_at))
                   for scope in customer_scopes(ticket)]
    return [(posting_term(scope, term), str(ticket.ticket_id), at)
            for scope, terms, at in scoped for term in _distinct(terms)]


# ---------------------------------------------------------------------------------------------
# Reading: the lists' search


@dataclass(frozen=True)
class Found:
    tickets: list[TicketModel]
    cursor: str | None


def find(
    scope: str,
    q: str,
    admits: Callable[[TicketModel], bool],
    *,
    list_name: str,
    limit: int,
    cursor: str | None,
    newest_first: bool = True,
    required: Sequence[str] = (),
) -> Found:
    """A page of the tickets of `scope` that have every word of `q` and every `required` term
    (a tag's), by activity, each passing `admits` (the list's filters and access check). At
    most: one Query, one BatchGetItem per hundred (word, candidate) keys, one BatchGetItem of
    tickets."""
    words = query_terms(q)
    if q.strip() and not words:
        return Found([], None)  # nothing searchable ("?", a lone letter): nothing matches
    terms = _distinct([*required, *words])
    if not terms:
        return Found([], None)
    # A tag's term drives (a filter chosen from the few the team uses), else the longest word,
    # which is usually the rarest.
    driving = required[0] if required else max(terms, key=len)
    others = [t for t in terms if t != driving]
    # Bound to the list, its filters and the query: a cursor cannot continue another search.
    cursor_scope = f"search:{scope}:{list_name}:{newest_first}:{' '.join(terms)}"
    page = store.read_postings(
        posting_term(scope, driving), limit=min(CANDIDATES, 2 * limit), cursor=cursor,
        scope=cursor_scope, newest_first=newest_first,
    )
    present = store.present(
        (posting_term(scope, t), p.ticket_id) for p in page.items for t in others
    )
    matching = [p.ticket_id for p in page.items
                if all((posting_term(scope, t), p.ticket_id) in present for t in others)]
    tickets = ticket_store.get_tickets(matching) if matching else {}
    items: list[TicketModel] = []
    last: store.Posting | None = None
    for posting in page.items:
        last = posting
        ticket = tickets.get(posting.ticket_id)
        if ticket is not None and admits(ticket):
            items.append(ticket)
            if len(items) == limit:
                break
    more = page.more or (last is not None and last is not page.items[-1])
    return Found(items, store.cursor_after(last, cursor_scope) if more and last else None)


def staff_search(
    q: str, *, state: str, assignee_id: str | None, team: str | None, limit: int,
    cursor: str | None, tags: Sequence[str] = (),
) -> Found:
    """The console's search: every ticket, narrowed as the console's lists are (open or
    closed, assignee, team), and by tags (each a staff term; the ticket as read now must still
    have it: a posting outlives a removed tag until the stream deletes it)."""

    def admits(ticket: TicketModel) -> bool:
        return (
            ticket.state_class == state
            and (assignee_id is None or ticket.assignee_state == f"{assignee_id}#{state}")
            and (team is None or ticket.team_id == team)
            and all(tag in (ticket.tags or []) for tag in tags)
        )

    return find(STAFF, q, admits, list_name=f"{state}:{assignee_id}:{team}", limit=limit,
                cursor=cursor, required=[tag_term(tag) for tag in tags])


def customer_search(
    principal: Principal, q: str, *, partition: str, owner: str, state: str | None,
    topic: str | None, settings: PortalSettings, limit: int, cursor: str | None,
    newest_first: bool = True,
) -> Found:
    """The portal's search in the caller's own tickets (`requester`) or their organization's
    (`org`, already checked by the caller), narrowed as the portal's lists are; the admin's
    visibility rules are applied as the ticket is now (access.customer_may_see)."""
    if partition not in (REQUESTER, ORG):
        raise ValueError(f"no customer search scope {partition!r}")

    def admits(ticket: TicketModel) -> bool:
        listed = ticket.requester_id == owner if partition == REQUESTER else ticket.org_id == owner
        return (
            listed
            and (state is None or ticket.state_class == state)
            and (topic is None or ticket.topic == topic)
            and not ticket.merged_into  # its survivor stands for it (tickets/merge.py)
            and access.customer_may_see(principal, ticket, settings)
        )

    return find(f"{partition}:{owner}", q, admits, list_name=f"{state}:{topic}", limit=limit,
                cursor=cursor, newest_first=newest_first)

"""Customers as the console sees them: who a conversation's requester is (their other tickets,
organization, language, whether mail reaches them, how they rated the team), and the directory
in which "New on behalf" finds any customer by name, address or organization.

**The context** reads the requester's latest HISTORY tickets in one key-condition Query of the
tickets' `requester-public-activity` index (newest public activity first), and orders that page
itself: open ones first, then the latest RECENT_CLOSED closed ones. The index has no key by
status, so "open first" is a property of the page: an open ticket older than the customer's
HISTORY latest (by public activity) is not listed, and `more_tickets` says the page did not
hold everything. Open tickets are the ones with recent activity, so in practice they are all
there; the ratings' average is of the rated tickets of that same page.

**The directory** (data/customers.py) holds the words of every active customer's name and
address (as `person#<word>`, by `<organization>#<user>`) and of every organization's name
(`org#<word>`, by organization), with their beginnings (3 to 10 letters, as the search index
posts names: "ali" finds Alice). The services that write an account or an organization
(users.py, profile.py, orgs.py, inbound/senders.py) call `reindex_person` / `reindex_org` with
what the record was, so the words that went are deleted and the new ones written; customers
without a ticket are there as much as those who wrote. Staff are never written, nor disabled
accounts, nor customers without an organization (no ticket can be opened for them).

A search (`find`) reads, whatever the number of customers: one Query per word of the
organizations it may name (at most ORGS_PER_WORD each), one Query of the longest word's people,
for at most ORG_LOOKUPS organizations named one Query of the people of that organization who
bear another word (or, for a one-word search, one page of the organization's customers), then
one BatchGetItem of the candidates and one of their organizations. Each candidate is checked
against their records as they are now (every word the beginning of a word of their name,
address or organization's name), so a word a record no longer bears never finds it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from chalicelib import clock
from chalicelib.data import customers as store
from chalicelib.data import orgs as org_store
from chalicelib.data import tickets as ticket_store
from chalicelib.data import users as user_store
from chalicelib.data.orgs import OrgModel
from chalicelib.data.tickets import OPEN_STATUSES, TicketModel
from chalicelib.data.users import UserModel
from chalicelib.observability import get_logger
from chalicelib.services import suppressions
from chalicelib.services.identity import language_of
from chalicelib.services.principal import CUSTOMER, Principal
from chalicelib.services.tickets import access
from chalicelib.shapes.customers import (
    CustomerContext,
    CustomerMatch,
    CustomerRating,
    CustomerTicketLine,
)

HISTORY = 50  # the requester's latest tickets the context reads: one Query, one page
RECENT_CLOSED = 10  # closed tickets listed after the open ones

PERSON = "person"
ORG = "org"
QUERY_WORDS = 4  # words of a search: each one more Query of the organizations it may name
CANDIDATES = 50  # people read per Query (and per page of an organization's customers)
ORGS_PER_WORD = 3  # organizations one word may name, looked at
ORG_LOOKUPS = 2  # organizations whose people are looked up by another word
ORG_PAGE = 25  # an organization's customers read for a one-word search naming it
MAX_CANDIDATES = 100  # people checked: one BatchGetItem of them, one of their organizations


# ---------------------------------------------------------------------------------------------
# The context beside a conversation


def context(principal: Principal, ticket_id: str) -> CustomerContext:
    """The requester of a conversation the caller may open (the console's own access check)."""
    ticket = access.staff_ticket(principal, ticket_id)
    user = user_store.get_user(ticket.requester_id)
    org_id = (user.org_id if user is not None else None) or ticket.org_id
    org = org_store.get_org(org_id) if org_id else None
    suppression = suppressions.suppression_detail(user.email if user is not None else None)
    page = ticket_store.query_tickets(
        "requester", ticket.requester_id, "activity", limit=HISTORY, cursor=None
    )
    latest = sorted(page.items, key=lambda t: float(t.last_activity_at), reverse=True)
    others = [t for t in latest if t.ticket_id != ticket.ticket_id]
    open_ones = [t for t in others if t.status in OPEN_STATUSES]
    closed = [t for t in others if t.status not in OPEN_STATUSES][:RECENT_CLOSED]
    # Every rated ticket of the page, this one too: the rating is the customer's, not the list's.
    ratings = [_rating(t) for t in latest if t.rating is not None]
    average = (round(sum(r["rating"] for r in ratings) / len(ratings), 1) if ratings else None)
    return {
        "customer": {
            "id": ticket.requester_id,
            "name": user.name if user is not None else "",
            "email": user.email if user is not None else "",
            "language": language_of(user),
            "status": str(user.status) if user is not None else "disabled",
            "org": {"id": org.org_id, "name": org.name} if org is not None else None,
            "email_suppressed": suppression is not None,
            "suppression": suppression,
        },
        "tickets": [_line(t) for t in [*open_ones, *closed]],
        "more_tickets": page.cursor is not None,
        "ratings": {"average": average, "count": len(ratings), "items": ratings},
    }


def _line(ticket: TicketModel) -> CustomerTicketLine:
    return {
        "id": ticket.ticket_id,
        "number": int(ticket.number),
        "title": ticket.title,
        "subject": ticket.subject,
        "status": ticket.status,
        "state": ticket.state_class,
        "last_activity_at": clock.iso(ticket.last_activity_at),
    }


def _rating(ticket: TicketModel) -> CustomerRating:
    return {
        "ticket_id": ticket.ticket_id,
        "number": int(ticket.number),
        "subject": ticket.subject,
        "rating": int(ticket.rating),
        "comment": ticket.rating_comment or None,
    }


# ---------------------------------------------------------------------------------------------
# The directory: writing


def _words(*texts: str) -> list[str]:
    # Imported here: accounts are written on paths (sign-in, profile) that never search.
    from chalicelib.services.search import words_of

    return words_of(" ".join(texts))


def _with_beginnings(words: Iterable[str]) -> list[str]:
    from chalicelib.services.search import with_prefixes

    return with_prefixes(words)


def person_terms(user: UserModel | Mapping[str, Any] | None) -> set[tuple[str, str]]:
    """The directory's items for an account (its record, or its public shape as it was before
    a change): none for staff, a disabled account or a customer without an organization."""
    if user is None:
        return set()
    if isinstance(user, UserModel):
        user_id, name, email, role, org_id, status = (
            user.user_id, user.name, user.email, user.role, user.org_id, user.status)
    else:
        user_id, name, email, role, org_id, status = (
            user["id"], user["name"], user["email"], user["role"], user["org_id"],
            user["status"])
    if role != CUSTOMER or not org_id or status == "disabled":
        return set()
    return {(f"{PERSON}#{word}", f"{org_id}#{user_id}")
            for word in _with_beginnings(_words(str(name), str(email)))}


def org_terms(org_id: str, name: str | None) -> set[tuple[str, str]]:
    return {(f"{ORG}#{word}", org_id) for word in _with_beginnings(_words(name or ""))}


def reindex_person(before: set[tuple[str, str]], user: UserModel) -> None:
    """After an account was written: `before` is `person_terms` of the record as it was (empty
    for a new account). Only what changed is written (a BatchWriteItem of 25 items a call)."""
    after = person_terms(user)
    if after != before:
        _after_saving(after - before, before - after, holder=user.user_id)


def _after_saving(put: set[tuple[str, str]], delete: set[tuple[str, str]], *,
                  holder: str) -> None:
    """The directory follows a record already saved: its failure is logged, and the request
    that saved the record still answers it saved. A missed item costs a match, never a wrong
    one (`find` checks every candidate against the records as they are); `backfill` writes
    what is missing."""
    try:
        store.change_terms(put, delete)
    except Exception:
        get_logger().exception("customer directory not updated", extra={"holder": holder})


def added(user: UserModel) -> UserModel:
    """After an account was created; returns it."""
    reindex_person(set(), user)
    return user


def changed(before: Mapping[str, Any], user: UserModel) -> UserModel:
    """After an account was saved, `before` its public shape (shapes/users.py User) as it
    was; returns it."""
    reindex_person(person_terms(before), user)
    return user


def reindex_org(org_id: str, old_name: str | None, name: str) -> None:
    """After an organization was created (`old_name` None) or renamed: its people keep their
    items, which name the organization by id."""
    before, after = org_terms(org_id, old_name), org_terms(org_id, name)
    if after != before:
        _after_saving(after - before, before - after, holder=org_id)


def backfill() -> int:
    """Every organization and its customers into the directory, for accounts written before it
    existed (the local demo's seeding; an operator's one-off). Pages through the organizations'
    list and each one's customers by key-condition Queries only; never on a request path."""
    written, cursor = 0, None
    while True:
        orgs = org_store.list_orgs(100, cursor)
        for org in orgs.items:
            written += store.change_terms(org_terms(org.org_id, org.name))
            people_cursor = None
            while True:
                people = user_store.list_org_users(org.org_id, 100, people_cursor)
                written += store.change_terms(
                    {item for user in people.items for item in person_terms(user)})
                if not (people_cursor := people.cursor):
                    break
        if not (cursor := orgs.cursor):
            break
    return written


# ---------------------------------------------------------------------------------------------
# The directory: finding


def _key(word: str) -> str:
    """The item a query word is looked up by: a word longer than the beginnings written is
    looked up by its longest one (the records then say whether it fits)."""
    from chalicelib.services.search import PREFIX_MAX

    return word if "@" in word or word.isdigit() or len(word) <= PREFIX_MAX else word[:PREFIX_MAX]


def _user_of(holder: str) -> str:
    return holder.partition("#")[2]


def find(q: str, limit: int) -> list[CustomerMatch]:
    """Active customers (and those created from mail, not yet confirmed) whose name, address
    or organization's name has every word of `q` (each a word's beginning, in any order,
    accents ignored), by name. Bounded calls whatever the number of customers (module doc)."""
    from chalicelib.services.search import query_terms

    words = query_terms(q)[:QUERY_WORDS]
    if not words:
        return []
    by_length = sorted(words, key=len, reverse=True)
    named = {w: store.holders(f"{ORG}#{_key(w)}", limit=ORGS_PER_WORD) for w in by_length}
    wanted: list[str] = []  # user ids to read, the most likely first
    loaded: dict[str, UserModel] = {}
    lookups = 0
    for word in by_length:
        for org_id in named[word]:
            if lookups == ORG_LOOKUPS:
                break
            lookups += 1
            # The words the organization's name does not bear are the person's own
            rest = [w for w in by_length if w != word and org_id not in named[w]]
            if rest:  # "Alice, of Globex": the people of Globex who bear "alice"
                wanted += [_user_of(h) for h in store.holders(
                    f"{PERSON}#{_key(rest[0])}", limit=CANDIDATES, prefix=f"{org_id}#")]
            else:  # "Globex": its customers
                page = user_store.list_org_users(org_id, ORG_PAGE, None)
                loaded.update({u.user_id: u for u in page.items})
    wanted += [_user_of(h) for h in store.holders(f"{PERSON}#{_key(by_length[0])}",
                                                  limit=CANDIDATES)]
    missing = [uid for uid in dict.fromkeys(wanted) if uid not in loaded]
    loaded.update(user_store.get_users(missing[:MAX_CANDIDATES - len(loaded)]))
    people = [u for u in loaded.values()
              if u.role == CUSTOMER and u.status != "disabled" and u.org_id]
    orgs = org_store.get_orgs(str(u.org_id) for u in people)
    found = [_match(u, orgs[str(u.org_id)]) for u in people
             if str(u.org_id) in orgs and _bears_all(words, u, orgs[str(u.org_id)])]
    found.sort(key=lambda m: (m["name"].casefold(), m["email"]))
    return found[:limit]


def _bears_all(words: list[str], user: UserModel, org: OrgModel) -> bool:
    own = _words(str(user.name), str(user.email), str(org.name))
    return all(any(w.startswith(word) for w in own) for word in words)


def _match(user: UserModel, org: OrgModel) -> CustomerMatch:
    return {"id": user.user_id, "name": str(user.name), "email": str(user.email),
            "org": {"id": org.org_id, "name": str(org.name)}}

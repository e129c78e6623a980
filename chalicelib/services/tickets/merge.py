"""Merging two tickets of one customer: the merged ticket's messages and documents move to the
survivor, the merged ticket is closed and points to it, and the customer sees one ticket.

Only tickets of one requester filed under one organization merge, and only when every follower
of the survivor follows the merged ticket too and the merged ticket is not hidden from customers
while the survivor is shown: what moves reaches nobody who could not already read it.

Four steps, each safe to run again, so a merge that stopped half-way (a crash, a timeout) is
finished by asking for it again, and two agents merging at once do it once:

1. The merged ticket is closed and marked (`merged_into`, and `merge`: the last position to move
   and how far it got), with its history line, through commit.py; in the same transaction the
   survivor, checked as it is then, names it in `merging_in` (data/merge.py `mark`). From then
   on nothing else may change the merged ticket (commit.py refuses `ticket_merged`), so what is
   left to move stays put, and neither ticket may be merged elsewhere until the merge is done:
   two crossing merges cannot make a loop, nor a survivor leave before its messages arrived.
2. The survivor records it (`merged_from`) with its own history line, through commit.py.
3. The messages are copied to the end of the survivor's thread in their order, a step of a few
   at a time (data/merge.py: one transaction with both tickets' versions and the progress).
   History lines stay the merged ticket's own. A copy keeps its author, time, visibility (a note
   stays internal) and documents, and says where it came from (`details.moved_from`): the
   messages stream indexes it for search under the survivor, and sends no mail, feed item,
   Inbox entry or live push for it (services/notifications.py).
4. Documents that went with no message are copied one by one (conditional), then the merge is
   marked done, the survivor's `merging_in` cleared and the audit entry written, in one
   transaction.

The merged ticket keeps its own messages: the console still shows its history, and a retry
reads what to copy from it.
"""

from __future__ import annotations

import hashlib
import json
import random
from typing import Any

from chalicelib import clock
from chalicelib.data import attachments as attachment_store
from chalicelib.data import followers as follower_store
from chalicelib.data import merge as store
from chalicelib.data import tickets as ticket_store
from chalicelib.data.attachments import READY, AttachmentModel
from chalicelib.data.messages import PUBLIC, MessageModel, position_of, thread_key
from chalicelib.data.tickets import CLOSED_STATUSES, TicketModel
from chalicelib.errors import Conflict, InvalidInput
from chalicelib.observability import count
from chalicelib.services import audit
from chalicelib.services.principal import Principal
from chalicelib.services.settings import (
    MAX_ATTACHMENTS_PER_TICKET,
    PortalSettings,
    get_portal_settings,
)
from chalicelib.services.tickets import access
from chalicelib.services.tickets import commit as commits
from chalicelib.services.tickets.drafts import SYSTEM_EVENT, Draft, load_user, set_status
from chalicelib.services.tickets.threads import staff_after
from chalicelib.shapes.tickets import MergeCandidates, MergeResult

MERGED_INTO = "merged_into"  # the merged ticket's history line
MERGED_FROM = "merged_from"  # the survivor's
MOVED_FROM = "moved_from"  # in a copied message's details: the ticket, its number, the position
STEP_BYTES = 3_000_000  # of the 4 MB one transaction may carry
CANDIDATES = 50  # the customer's tickets offered as survivors


def is_moved(details: Any) -> bool:
    """A message copied by a merge: the customer heard of it once, on its own ticket."""
    return isinstance(details, dict) and MOVED_FROM in details


# ---------------------------------------------------------------------------------------------
# Choosing the survivor


def candidates(principal: Principal, ticket_id: str) -> MergeCandidates:
    """The same customer's other tickets a ticket may be merged into: open ones first, then the
    latest opened. One page of the requester's tickets (most recently opened first), less
    another organization's and, for a hidden ticket, the shown ones; what needs more reads
    (followers) or may change meanwhile is refused when merging."""
    ticket = access.staff_ticket(principal, ticket_id)
    settings = get_portal_settings()
    page = ticket_store.query_tickets(
        "requester", str(ticket.requester_id), "created", limit=CANDIDATES, cursor=None,
        narrow=ticket_store.TicketFilter(unmerged=True),
    )
    found = [t for t in page.items if t.ticket_id != ticket.ticket_id
             and t.org_id == ticket.org_id and not _shows_hidden(ticket, t, settings)]
    found.sort(key=lambda t: (t.status in CLOSED_STATUSES, -int(t.number)))
    return {"items": [{"id": t.ticket_id, "number": int(t.number), "subject": t.subject,
                       "title": t.title, "status": t.status} for t in found]}


def _refusal(source: TicketModel, target: TicketModel, settings: PortalSettings) -> Conflict | None:
    """Why `source` may not be merged into `target` now. A merge under way (source marked into
    target) is only refused when the survivor left: what was allowed when it began stays so."""
    if target.merged_into:
        return Conflict("The chosen ticket was itself merged into another one.",
                        code="merge_target_merged")
    if source.merged_into:
        if source.merged_into == target.ticket_id:
            return None
        return Conflict("This conversation was merged into another one already.",
                        code="ticket_merged", details={"ticket_id": source.merged_into})
    if source.merging_in:
        return Conflict("Another ticket is still being merged into this one: finish that merge "
                        "first.", code="merge_unfinished",
                        details={"ticket_id": str(source.merging_in[0])})
    if source.requester_id != target.requester_id:
        return Conflict("Only two tickets of the same customer can be merged.",
                        code="merge_other_requester")
    if source.org_id != target.org_id:
        # The customer moved: each ticket is its organization's (the organization view).
        return Conflict("These tickets belong to two organizations and cannot be merged.",
                        code="merge_other_org")
    if _shows_hidden(source, target, settings):
        return Conflict("Customers do not see this ticket but see the chosen one: merging would "
                        "show them its messages.", code="merge_hidden_ticket")
    return None


def _shows_hidden(source: TicketModel, target: TicketModel, settings: PortalSettings) -> bool:
    """Customers see the survivor but not the merged ticket (the admin's visibility rules)."""
    return settings.hides(source.topic, source.channel) and not settings.hides(
        target.topic, target.channel)


def _followers_refusal(source_id: str, target_id: str) -> Conflict | None:
    """The survivor's followers read what moves there: each must follow the merged ticket too
    (as the account or the address), or they would read a conversation never theirs. The
    merged ticket's own followers are not carried over, so they gain nothing."""
    theirs = follower_store.list_followers(target_id, access.MAX_FOLLOWERS)
    if not theirs:
        return None
    ours = follower_store.list_followers(source_id, access.MAX_FOLLOWERS)
    known = {f.follower_id for f in ours} | {str(f.email) for f in ours}
    others = [f for f in theirs if f.follower_id not in known and str(f.email) not in known]
    if not others:
        return None
    return Conflict("The chosen ticket has followers this one does not have: they would read its "
                    "messages. Add them here or remove them there first.",
                    code="merge_other_followers", details={"followers": len(others)})


# ---------------------------------------------------------------------------------------------
# Merging


def merge(principal: Principal, source_id: str, target_id: str) -> MergeResult:
    """Merge `source_id` into `target_id` (the same requester's, filed under the same
    organization), or finish a merge that stopped half-way: what was checked when it began is
    not asked again, so a follower added meanwhile cannot strand it. Asking again once it is
    done answers the same."""
    if source_id == target_id:
        raise InvalidInput("A ticket cannot be merged into itself.", code="merge_same_ticket")
    source = access.staff_ticket(principal, source_id)
    target = access.staff_ticket(principal, target_id)
    settings = get_portal_settings()
    resuming = source.merged_into == target.ticket_id
    refusal = _refusal(source, target, settings) or (
        None if resuming else _followers_refusal(source_id, target_id))
    if refusal is not None:
        raise refusal
    author = load_user(principal.user_id)
    if not resuming:
        _mark(principal, author.name, source_id, target_id, settings)
    _announce(principal, author.name, source, target_id)
    _move(source_id, target_id)
    return _finish(principal, source_id, target_id)


def _mark(principal: Principal, author_name: str, source_id: str, target_id: str,
          settings: PortalSettings) -> None:
    """Step 1: close and mark the merged ticket, and name it on the survivor, in one
    transaction. Its last position before this line is the last one to move."""
    read: dict[str, TicketModel] = {}

    def rule(ticket: TicketModel) -> Draft | None:
        # The survivor as it is now, written (so conditioned on its version) with the mark: a
        # copy read earlier would miss a merge of it that crossed this one.
        target = read["target"] = access.existing_ticket(target_id)
        if ticket.merged_into == target.ticket_id:
            return None
        refusal = _refusal(ticket, target, settings)
        if refusal is not None:
            raise refusal
        pending = list(dict.fromkeys([*(str(t) for t in target.merging_in or []),
                                      ticket.ticket_id]))
        target.merging_in = pending  # type: ignore[assignment]  # stored as strings
        ticket.merged_into = target.ticket_id
        ticket.merge = {"into": target.ticket_id, "number": int(target.number),
                        "upto": int(ticket.last_seq or 0), "moved": 0, "messages": 0,
                        "documents": 0, "done": False}
        if ticket.status != "closed":
            set_status(ticket, "closed")
        return Draft(SYSTEM_EVENT, "internal", f"Merged into #{target.number}.", principal,
                     author_name, details={"event": MERGED_INTO, "ticket_id": target.ticket_id,
                                           "number": int(target.number)})

    def write(ticket: TicketModel, draft: Draft, _: PortalSettings) -> MessageModel:
        line = commits.next_message(ticket, draft)
        store.mark(ticket, line, read["target"])
        return line

    try:
        commits.commit(lambda: access.staff_ticket(principal, source_id), rule, settings,
                       touch=False, store=write)
    except Conflict as exc:
        # Another agent's merge marked it first (commit.py refuses a merged ticket): into the
        # same survivor, this one goes on with it.
        fresh = access.staff_ticket(principal, source_id)
        if exc.code != "ticket_merged" or fresh.merged_into != target_id:
            raise


def _announce(principal: Principal, author_name: str, source: TicketModel,
              target_id: str) -> None:
    """Step 2: the survivor's history line, once."""

    def rule(ticket: TicketModel) -> Draft | None:
        if source.ticket_id in (ticket.merged_from or []):
            return None
        merged = [*(str(t) for t in ticket.merged_from or []), source.ticket_id]
        ticket.merged_from = merged  # type: ignore[assignment]  # stored as strings
        return Draft(SYSTEM_EVENT, "internal",
                     f"#{source.number} was merged into this conversation; its messages follow.",
                     principal, author_name,
                     details={"event": MERGED_FROM, "ticket_id": source.ticket_id,
                              "number": int(source.number)})

    commits.commit(lambda: access.staff_ticket(principal, target_id), rule,
                   get_portal_settings(), touch=False)


def _move(source_id: str, target_id: str) -> None:
    """Step 3: the messages, a transaction at a time, until the progress says all are moved.
    Each step reads both tickets afresh; a concurrent change to either (a customer writing on
    the survivor, another agent's merge taking the same step) makes the step plan again."""
    failures = 0
    while True:
        source = access.existing_ticket(source_id)
        target = access.existing_ticket(target_id)
        if target.merged_into:
            # Not while it names this merge in `merging_in` (step 1); never write past a
            # survivor's own move: what came after it would be stranded there.
            raise Conflict("The chosen ticket was itself merged into another one.",
                           code="merge_target_merged")
        progress = dict(source.merge or {})
        moved, upto = int(progress.get("moved", 0)), int(progress.get("upto", 0))
        if moved >= upto:
            return
        batch = [m for m in staff_after(source, moved) if position_of(m) <= upto]
        copies, documents, last = _plan_step(source, target, batch)
        progress.update(moved=last if batch else upto,
                        messages=int(progress.get("messages", 0)) + len(copies),
                        documents=int(progress.get("documents", 0)) + len(documents))
        source.merge = progress
        try:
            store.move_step(source, target, copies, documents)
            failures = 0
        except Conflict as exc:
            failures += 1
            if exc.code != "ticket_changed" or failures >= commits.COMMIT_ATTEMPTS:
                raise
            commits.pause(random.uniform(0.002, 0.02) * min(failures, 5))  # noqa: S311


def _plan_step(
    source: TicketModel, target: TicketModel, batch: list[MessageModel]
) -> tuple[list[MessageModel], list[AttachmentModel], int]:
    """The copies one transaction holds, numbered after the survivor's last message, and the
    last position of the merged ticket they cover. Changes `target`'s counters to match."""
    carried = [str(a) for m in batch for a in m.attachment_ids or []]
    originals = attachment_store.get_attachments(source.ticket_id, carried) if carried else {}
    position, public = int(target.last_seq or 0), int(target.last_public_seq or 0)
    copies: list[MessageModel] = []
    documents: list[AttachmentModel] = []
    last = int(source.merge["moved"]) if isinstance(source.merge, dict) else 0
    size = 0
    for message in batch:
        files = [originals[str(a)] for a in message.attachment_ids or [] if str(a) in originals]
        weight = len(str(message.body).encode()) + len(json.dumps(message.details or {})) + 1000
        room = store.TRANSACTION_ITEMS - store.FIXED_ITEMS - len(copies) - len(documents)
        if copies and (1 + len(files) > room or size + weight > STEP_BYTES):
            break
        last = position_of(message)
        if message.kind == SYSTEM_EVENT:
            continue  # the merged ticket's history stays its own
        size += weight
        public_before = public
        position += 1
        seq = position
        if message.visibility == PUBLIC:
            public += 1
            seq = public
            target.public_count = int(target.public_count or 0) + 1
            target.public_activity_at = max(float(target.public_activity_at),
                                            float(message.created_at))
        copy = _copy(message, source, target.ticket_id, seq=seq, position=position,
                     public_before=public_before)
        copies.append(copy)
        documents += [_document(original, target.ticket_id, copy) for original in files]
    target.last_seq, target.last_public_seq = position, public
    target.message_count = int(target.message_count or 0) + len(copies)
    if copies:
        target.last_activity_at = max(float(target.last_activity_at), clock.now())
    return copies, documents, last


def moved_id(target_id: str, message_id: str) -> str:
    """A copy's id, the same whichever attempt writes it."""
    return hashlib.sha256(f"merge:{target_id}:{message_id}".encode()).hexdigest()[:32]


def _copy(message: MessageModel, source: TicketModel, target_id: str, *, seq: int,
          position: int, public_before: int) -> MessageModel:
    details = dict(message.details) if isinstance(message.details, dict) else {}
    details[MOVED_FROM] = {"ticket_id": source.ticket_id, "number": int(source.number),
                           "seq": position_of(message)}
    return MessageModel(
        thread=thread_key(target_id, str(message.visibility)), seq=seq, position=position,
        public_before=public_before, message_id=moved_id(target_id, str(message.message_id)),
        ticket_id=target_id, visibility=message.visibility, kind=message.kind,
        author_id=message.author_id, author_role=message.author_role,
        author_name=message.author_name, body=message.body, channel=message.channel,
        created_at=message.created_at, details=details,
        attachment_ids=list(message.attachment_ids) if message.attachment_ids else None,
    )


def _document(original: AttachmentModel, target_id: str,
              message: MessageModel | None) -> AttachmentModel:
    """The same verified file (the same stored object, its id and visibility) on the
    survivor: read there with the survivor's access check, as any of its documents."""
    return AttachmentModel(
        ticket_id=target_id, attachment_id=original.attachment_id, status=READY,
        visibility=original.visibility, filename=original.filename,
        content_type=original.content_type, size=original.size, upload_key=None,
        storage_key=original.storage_key, sha256=original.sha256,
        uploaded_by=original.uploaded_by, uploader_role=original.uploader_role,
        uploader_name=original.uploader_name, created_at=original.created_at,
        confirmed_at=original.confirmed_at,
        message_id=message.message_id if message else None,
        message_seq=message.seq if message else None,
    )


def _finish(principal: Principal, source_id: str, target_id: str) -> MergeResult:
    """Step 4: the documents that went with no message, then done, with its audit entry, once
    (data/merge.py `finish`: one transaction, so a failed entry leaves the merge to finish)."""
    source = access.existing_ticket(source_id)
    target = access.existing_ticket(target_id)
    progress = dict(source.merge or {})
    if not progress.get("done"):
        loose = [a for a in attachment_store.list_attachments(
            source_id, public_only=False, limit=MAX_ATTACHMENTS_PER_TICKET) if not a.message_id]
        for document in loose:  # each once: a copy already there (a retry) is left as it is
            store.copy_document(_document(document, target_id, None))
        for attempt in range(commits.COMMIT_ATTEMPTS):
            progress = dict(source.merge or {})
            if progress.get("done"):
                break  # another call finished it
            progress.update(done=True, documents=int(progress.get("documents", 0)) + len(loose))
            source.merge = progress
            pending = [str(t) for t in target.merging_in or []]
            if source_id in pending:
                left = [t for t in pending if t != source_id]
                target.merging_in = left or None  # type: ignore[assignment]  # strings
            entry = audit.prepared("ticket.merge", actor=principal, target=f"ticket:{target_id}",
                                   details={"merged": source_id,
                                            "merged_number": int(source.number),
                                            "survivor_number": int(target.number),
                                            "messages": progress.get("messages", 0),
                                            "documents": progress["documents"]})
            try:
                store.finish(source, target if source_id in pending else None, entry)
            except Conflict as exc:
                if exc.code != "ticket_changed":
                    raise
                commits.pause(random.uniform(0.002, 0.02) * min(attempt + 1, 5))  # noqa: S311
                source = access.existing_ticket(source_id)
                target = access.existing_ticket(target_id)
                continue
            audit.logged(entry)
            count("TicketsMerged")
            break
        else:
            # Never answered as done while it is not: asking again finishes it.
            raise Conflict("The ticket is busy; try again.", code="ticket_busy")
    return {
        "merged": {"id": source.ticket_id, "number": int(source.number)},
        "survivor": {"id": target.ticket_id, "number": int(target.number)},
        "messages": int(progress.get("messages", 0)),
        "documents": int(progress.get("documents", 0)),
    }

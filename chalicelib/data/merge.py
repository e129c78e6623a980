"""Moving a merged ticket's messages and documents to its survivor (services/tickets/merge.py).

A step is one transaction: the copies of a few messages (and of the documents they carry), the
survivor's counters that number them, and the merged ticket's progress (`merge.moved`, the last
position moved), both tickets conditioned on their versions and every copy on its key being
new. A crash between two steps leaves nothing half-written, and a retry starts where the last
committed step ended: no message is copied twice.

Marking the merged ticket and ending the merge are transactions of both tickets too (`mark`,
`finish`): the survivor's `merging_in` names every merge into it not yet done, so neither end
of a merge under way can be merged elsewhere meanwhile.
"""

from __future__ import annotations

from pynamodb.exceptions import PynamoDBException
from pynamodb.transactions import TransactWrite

from chalicelib.data.attachments import AttachmentModel
from chalicelib.data.audit import APPEND_ONLY, AuditModel
from chalicelib.data.base import condition_failed, connection
from chalicelib.data.counters import CounterModel
from chalicelib.data.messages import MessageModel
from chalicelib.data.tickets import TicketModel, ticket_transaction

# Items one transaction may hold (DynamoDB: 100), and what a step keeps for the two tickets and
# the survivor's file-slot counter.
TRANSACTION_ITEMS = 100
FIXED_ITEMS = 3


def _slots(ticket_id: str) -> CounterModel:
    return CounterModel(name=f"attachments:{ticket_id}")


def mark(source: TicketModel, line: MessageModel, survivor: TicketModel) -> None:
    """Step 1: the merged ticket closed and marked with its history line, and the survivor
    naming it as a merge under way (`merging_in`), both conditioned on their versions: a
    survivor merged away meanwhile (or merging into this one) fails it with `ticket_changed`,
    and the caller reads both again, where its rule refuses."""
    source.refresh_keys()
    survivor.refresh_keys()
    with ticket_transaction() as tx:
        tx.save(source)
        tx.save(line, condition=MessageModel.seq.does_not_exist())
        tx.save(survivor)


def finish(source: TicketModel, survivor: TicketModel | None, entry: AuditModel) -> None:
    """The last step: the merge marked done, the survivor no longer naming it as under way, and
    the audit entry, all or nothing: the entry is written once, exactly when the merge is done."""
    source.refresh_keys()
    with ticket_transaction() as tx:
        tx.save(source)
        if survivor is not None:
            survivor.refresh_keys()
            tx.save(survivor)
        tx.save(entry, condition=APPEND_ONLY)


def move_step(
    source: TicketModel,
    survivor: TicketModel,
    messages: list[MessageModel],
    documents: list[AttachmentModel],
) -> None:
    """Store one step, all or nothing; a Conflict (`ticket_changed`) when either ticket changed
    since it was read (the caller reads both again and plans the step anew)."""
    if len(messages) + len(documents) + FIXED_ITEMS > TRANSACTION_ITEMS:
        raise ValueError("a merge step holds at most 100 items")
    source.refresh_keys()
    survivor.refresh_keys()
    with ticket_transaction() as tx:
        tx.save(source)
        tx.save(survivor)
        for message in messages:
            tx.save(message, condition=MessageModel.seq.does_not_exist())
        for document in documents:
            tx.save(document, condition=AttachmentModel.attachment_id.does_not_exist())
        if documents:
            # The survivor holds the files it was given even past its limit: a merge is not
            # refused for it; new uploads are, until there is room again.
            tx.update(_slots(survivor.ticket_id),
                      actions=[CounterModel.value.set((CounterModel.value | 0) + len(documents))])


def copy_document(document: AttachmentModel) -> bool:
    """A document that went with no message, copied once with its file slot; False when a copy
    is there already (a retry)."""
    try:
        with TransactWrite(connection=connection()) as tx:
            tx.save(document, condition=AttachmentModel.attachment_id.does_not_exist())
            tx.update(_slots(document.ticket_id),
                      actions=[CounterModel.value.set((CounterModel.value | 0) + 1)])
    except PynamoDBException as exc:
        if condition_failed(exc):
            return False
        raise
    return True

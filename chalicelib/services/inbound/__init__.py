"""Inbound mail: every received message becomes a ticket, a reply, an internal event, a
quarantine entry, a rejection or a drop, exactly once, and the delivery log says which.
`pipeline.py` explains the steps. Nothing is imported here: an importer takes the module it
needs (the pipeline brings the MIME parser, which most of the API never needs at cold start).

The modules, each importing only those listed above it:

- `rules.py`: what SES's notification says and what its verdicts decide (DMARC, SPF, DKIM,
  spam, virus; who is a proven sender). Pure: no AWS, unit-tested.
- `deliveries.py`: the delivery record: lease and attempt budget (the queue's contract with
  `infra/`), outcomes, the decision recorded for a retry, ids derived from the delivery, the
  log's view of a delivery, quarantine of what could not be read or whose attempt died.
- `received.py`: `Mail`, the one delivery being handled, and whether its sender is proven.
- `replies.py`: the mail Parley sends back (blocked ticket, unknown sender), capped per day.
- `senders.py`: the From address and its doubts, addresses that are never a customer's, the
  unknown-sender policy, the sender's account (found, or made).
- `threads.py`: which ticket a mail belongs to (reply token, Message-ID, subject tag).
- `attachments.py`: a mail's files, stored through the documents' checks.
- `machines.py`: bounces and automatic replies, never answered.
- `people.py`: a person's mail, decided once and carried out through `services/tickets/email.py`.
- `pipeline.py`: `receive` (the queue handler's), one attempt at a delivery, and the steps.
- `held.py`: staff on held mail: read it, release, retry, force through, discard.

The schedule's sweep of abandoned deliveries is `deliveries.quarantine_abandoned`.
"""

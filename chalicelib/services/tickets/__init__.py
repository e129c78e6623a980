"""Conversations: creating tickets, the customer's and the agent's views, and every answer.

Import the module you need (nothing is re-exported here, so a route loads only its own part):

- `commit.py`     the one write path: a rule function changes the ticket, then the ticket, one
                  message and the folder entries are stored in one transaction conditioned on
                  the ticket's version, retried on a concurrent change (`pause` between tries).
- `drafts.py`     what a change writes: message kinds, `Draft`, body checks, status moves.
- `access.py`     one function per rule: who may see a ticket (portal, console, either side)
                  and whether a customer may write on it (blocked, reopen window).
- `create.py`     opening a ticket: the portal's form or a troubleshooter, an agent on a
                  customer's behalf, and the ticket a mail opens.
- `portal.py`     the customer's side: lists, detail, polling, reply, resolve, rate.
- `console.py`    the agent's side: lists, detail, polling, answers, assign, title and status,
                  close, block messaging, the teammate picker.
- `collisions.py` the stale-answer check: an agent's answer on a view someone else's message
                  or another assignee has overtaken is 409 `conversation_changed`.
- `email.py`      what a received mail writes on a ticket (services/inbound decides what it is).
- `auto_close.py` the schedule that closes tickets resolved long enough ago.
- `threads.py`    reading a thread a page at a time, per side.
- `search.py`     what a list's search box asks for: a ticket number (words are the search
                  index's, services/search.py; the followed and unread lists filter theirs).
- `views.py`      tickets and messages turned into the customer's and the console's answers.
- `tags.py`       the team's tags on a ticket (staff only; the list filters by them).
- `bulk.py`       an action on the console's selection, each ticket under its one-at-a-time rules.
- `merge.py`      merging two tickets of one customer: moving messages and documents, resumable.
"""

"""What each Lambda function may touch: one entry per Chalice handler name.

Least privilege needs knowledge the code cannot give the infra, so this table is the one place a
new handler needs a line. Permissions that follow from a handler's trigger (consume its queue,
read its stream, report to its dead-letter queue) are added automatically and are not listed.
A handler without an entry deploys with logging rights only, and tests/infra fails until it has
one (FunctionAccess below says why).

Table levels: "read" (GetItem, BatchGetItem, Query, ConditionCheckItem on the table and its
indexes), "write" (PutItem, UpdateItem, DeleteItem, BatchWriteItem), "append" (PutItem only: an
append-only log such as the audit trail, whose entries the function may add but never change or
remove), "scan" (Scan: admin exports and scheduled jobs only, see DESIGN.md). "*" is every table
in MODELS, so a new model's table reaches the API handler without an edit; a table the profile
also names by itself gets the levels given there instead of those of "*".
Bucket levels: "read" (GetObject), "write" (PutObject: presigned POST uploads are signed by this
role; CopyObject writes with it too), "delete" (DeleteObject), "list" (ListBucket). An object
level may be limited to a key prefix: "write:quarantine/" is PutObject on `quarantine/*` only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

ALL_TABLES = "*"


@dataclass(frozen=True)
class FunctionAccess:
    tables: Mapping[str, frozenset[str]] = field(default_factory=dict)
    buckets: Mapping[str, frozenset[str]] = field(default_factory=dict)
    send_mail: bool = False
    push_live: bool = False  # post to WebSocket connections (execute-api:ManageConnections)
    # The app's queues it hands work to (sqs:SendMessage), by short name (`account-mail`).
    send_to_queues: frozenset[str] = frozenset()
    # Secrets Manager secrets it reads at run time (GetSecretValue), by a name prefix under
    # `parley/<stage>/`: "oidc/" is the OpenID providers' client secrets, named by reference in
    # the portal settings (chalicelib/services/oidc_config.py refuses any other name).
    read_secrets: str = ""
    memory_mb: int = 512
    timeout_s: int = 30


def levels(spec: str) -> frozenset[str]:
    return frozenset(spec.split())


# The inbound bucket as the mail handlers use it: read what SES stored (raw/, and the kept
# copies), and copy a quarantined message under quarantine/ (adapters/inbound_mail.py keep_raw),
# never anywhere else: raw/ is the record of what arrived.
QUARANTINE_COPY = "read write:quarantine/"

# What sending one mail reads and writes (chalicelib/services/mailer.py, outbox.py).
MAIL = {
    "mail-threads": levels("read write"),
    "suppressions": levels("read"),
    "users": levels("read"),
    "settings": levels("read"),
}

PROFILES: dict[str, FunctionAccess] = {
    # Every HTTP route runs in this one function: it reads and writes every table but the audit
    # trail, which it appends to (services/audit.py record) and pages through for the admin's
    # audit page (Query), signs presigned POST / GET for documents, reads stored raw mail (and
    # copies it under quarantine/ when a staff retry ends in quarantine: the only key it writes
    # there, services/inbound/deliveries.py KEPT_PREFIX) and sends mail.
    "api_handler": FunctionAccess(
        # No Scan: request paths Query and Get.
        tables={ALL_TABLES: levels("read write"), "audit": levels("read append")},
        buckets={
            "documents": levels("read write delete"),
            "inbound": levels(QUARANTINE_COPY),
        },
        send_mail=True,
        # Password reset and registration queue their mail (services/users.py).
        send_to_queues=frozenset({"account-mail"}),
        # The OpenID providers' client secrets (services/oidc.py), and no other secret.
        read_secrets="oidc/",
        timeout_s=29,  # API Gateway gives up at 29 s
    ),
    # Account mail the API queued: looks the address up, issues the single-use token, creates
    # a self-registered account, and sends the mail; audits each.
    "account_mail": FunctionAccess(
        tables={
            **MAIL,
            "users": levels("read write"),
            "user-emails": levels("read write"),
            "tokens": levels("read write"),
            "audit": levels("append"),
        },
        send_mail=True,
        timeout_s=60,  # the queue's visibility is six times it (MAX_CONSUMER_TIMEOUT_S)
    ),
    # The session check on every request: reads and touches the session, reads timeouts.
    "session_authorizer": FunctionAccess(
        tables={"sessions": levels("read write"), "settings": levels("read")},
        memory_mb=256,
        timeout_s=10,
    ),
    # Schedules (chalicelib/events/sessions.py, housekeeping.py, notifications.py).
    "purge_sessions": FunctionAccess(
        tables={"sessions": levels("read write"), "settings": levels("read")},
        memory_mb=256,
        timeout_s=300,
    ),
    "purge_trash": FunctionAccess(
        tables={"mailbox": levels("read write"), "settings": levels("read")},
        memory_mb=256,
        timeout_s=300,
    ),
    "auto_close": FunctionAccess(
        tables={
            "tickets": levels("read write"),
            "messages": levels("read write"),
            "mailbox": levels("read write"),
            "settings": levels("read"),
        },
        memory_mb=256,
        timeout_s=300,
    ),
    # Uploads nobody confirmed: the pending record (and the ticket's slot it held, a counter in
    # the counters table) and the object, if it ever arrived.
    "purge_uploads": FunctionAccess(
        tables={
            "attachments": levels("read write"),
            "counters": levels("read write"),
            "settings": levels("read"),
        },
        buckets={"documents": levels("delete")},
        memory_mb=256,
        timeout_s=300,
    ),
    "flush_mail_digests": FunctionAccess(
        tables={
            **MAIL,
            "outbox": levels("read write"),
            "mail-windows": levels("read write"),
            "tickets": levels("read"),
        },
        send_mail=True,
        timeout_s=300,
    ),
    # The messages table's stream: notifications, secure notification mail, live pushes.
    "notify_messages": FunctionAccess(
        tables={
            **MAIL,
            "notifications": levels("read write"),
            "outbox": levels("read write"),
            "mail-windows": levels("read write"),
            "live-connections": levels("read write"),
            "messages": levels("read"),
            "tickets": levels("read"),
            "teams": levels("read"),
            # Followers hear of the team's answers; a live push checks who may still see it.
            "followers": levels("read"),
            # An answer the reader's open page already read is a feed item written read.
            "mailbox": levels("read"),
        },
        send_mail=True,
        push_live=True,
        timeout_s=60,
    ),
    # The messages table's stream again: the search index (services/search.py). Each message
    # reads its ticket, requester and organization, and writes its postings.
    "index_messages": FunctionAccess(
        tables={
            "search": levels("write"),
            "tickets": levels("read"),
            "users": levels("read"),
            "orgs": levels("read"),
        },
        memory_mb=256,
        timeout_s=60,
    ),
    # Received mail (SES -> S3 + SNS -> SQS): reads the raw message, threads it onto a ticket or
    # opens one (creating the customer when allowed), stores its attachments as documents and
    # acknowledges by mail; a quarantined message's raw mail is copied under quarantine/, which
    # does not expire (chalicelib/services/inbound/deliveries.py).
    "inbound_mail": FunctionAccess(
        tables={
            **MAIL,
            "inbound-mail": levels("read write"),
            "tickets": levels("read write"),
            "messages": levels("read write"),
            "mailbox": levels("read write"),
            "reads": levels("read write"),
            "counters": levels("read write"),
            "attachments": levels("read write"),
            "users": levels("read write"),
            "user-emails": levels("read write"),
            # Customers created from mail get an organization of their own (and its name claim).
            "orgs": levels("read write"),
            # ...and their words in the console's customer directory (services/customers.py).
            "customer-terms": levels("write"),
            "teams": levels("read"),
            "outbox": levels("read write"),
            "mail-windows": levels("read write"),
            "audit": levels("append"),
            # A returned-mail report about a message we sent suppresses the failed address.
            "suppressions": levels("read write"),
            # A follower's mail lands on the ticket they follow; one added by address follows
            # as the account their mail made (services/followers.py link_account).
            "followers": levels("read write"),
        },
        buckets={"inbound": levels(QUARANTINE_COPY), "documents": levels("write")},
        send_mail=True,
        # At most MAX_CONSUMER_TIMEOUT_S (the queue's visibility is six times it), and what the
        # app's delivery lease is built on (FUNCTION_TIMEOUT_SECONDS in
        # services/inbound/deliveries.py).
        timeout_s=60,
    ),
    # Deliveries left `processing` by an attempt that died, that no receive will bring back:
    # quarantined with the reason, their raw mail copied under quarantine/.
    "sweep_inbound": FunctionAccess(
        tables={"inbound-mail": levels("read write")},
        buckets={"inbound": levels(QUARANTINE_COPY)},
        memory_mb=256,
        timeout_s=300,
    ),
    # SES bounces and complaints (SNS): the suppression list.
    "mail_feedback": FunctionAccess(
        tables={"suppressions": levels("read write")}, memory_mb=256, timeout_s=30
    ),
    # The WebSocket API of live updates (chalicelib/events/live.py).
    "websocket_connect": FunctionAccess(
        tables={
            "live-connections": levels("read write"),
            "sessions": levels("read write"),
            "settings": levels("read"),
            "users": levels("read"),
            "tickets": levels("read"),
            "followers": levels("read"),  # followers may follow a ticket live too
        },
        memory_mb=256,
        timeout_s=10,
    ),
    "websocket_message": FunctionAccess(
        tables={
            "live-connections": levels("read write"),
            "sessions": levels("read"),
            "settings": levels("read"),
            "tickets": levels("read"),
            "messages": levels("read"),
            "followers": levels("read"),
        },
        push_live=True,
        memory_mb=256,
        timeout_s=10,
    ),
    "websocket_disconnect": FunctionAccess(
        tables={"live-connections": levels("read write")}, memory_mb=256, timeout_s=10
    ),
}

# Deployed for a handler with no entry above: logs only, so a forgotten entry fails closed.
NO_ACCESS = FunctionAccess(memory_mb=256, timeout_s=60)

"""Who hears of each new message, and the in-portal notification feed.

Every ticket change writes one message (see services/tickets/commit.py); the messages table's
stream brings each new one here. The rules:

- an agent's public reply: the requester and the ticket's followers get a secure notification
  (mail that a message is waiting, with a link, never its text), each in their own language,
  and those with an account a feed item (services/followers.py);
- a customer's message: the author gets an acknowledgement (a setting), and support gets an
  alert: the assignee, else the team's address, else the portal's support address; the
  assignee also gets a feed item;
- internal notes, silent resolutions and system events reach nobody outside the team by mail;
  an assignment gives the new assignee a feed item;
- a change of the status the requester sees (an agent's send resolving the ticket, a reopen,
  closing) gives the requester one `status` item, read off the change the message records
  (an answer that made it carries it on its `reply` item instead: one item per answer, as the
  Inbox has one entry); never for a silent resolution, nor for a change the requester made;
- a ticket the admin's visibility rules hide is not the customer's: they hear nothing of it,
  neither feed nor mail (live pushes run the portal's own access check);
- an acknowledgement goes only to someone we know wrote: a mail whose sender SES could not
  prove is recorded as such and gets no mail back (it could be a forged address).

Feed items first (idempotent by key), live pushes next (best effort), mail last (exactly once
through the outbox). A failure in any mail is raised after the others were tried, so the stream
record is delivered again and only what failed is retried.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Literal

from chalicelib import clock
from chalicelib.data import followers as follower_store
from chalicelib.data import mailbox as mailbox_store
from chalicelib.data import notifications as store
from chalicelib.data import teams as team_store
from chalicelib.data import tickets as ticket_store
from chalicelib.data import users as user_store
from chalicelib.data.base import expiry
from chalicelib.data.messages import PUBLIC, MessageModel
from chalicelib.data.notifications import NotificationModel
from chalicelib.data.streams import message_from_image
from chalicelib.data.tickets import OPEN_STATUSES, TicketModel
from chalicelib.errors import InvalidInput
from chalicelib.observability import append_log_keys, get_logger
from chalicelib.services import live, outbox
from chalicelib.services.principal import CUSTOMER, Principal
from chalicelib.services.settings import PortalSettings, get_portal_settings
from chalicelib.services.tickets.access import MAX_FOLLOWERS, follower_admitted
from chalicelib.services.tickets.views import agent_shown_as
from chalicelib.shapes.notifications import MarkedRead, Notification, NotificationFeed, UnreadCount

# Message kinds (services/tickets/drafts.py names them)
CUSTOMER_MESSAGE = "customer_message"
AGENT_REPLY = "agent_reply"
RESOLVE_NOTE = "resolve_note"
SYSTEM_EVENT = "system_event"

# What a merge writes (services/tickets/merge.py names them)
MOVED_FROM = "moved_from"
MERGED_INTO = "merged_into"

# Feed item kinds
REPLY = "reply"
STATUS = "status"
CUSTOMER_WROTE = "customer_message"
ASSIGNED = "assigned"

UNREAD_CAP = store.UNREAD_CAP
MARK_ALL_BATCH = 200
MARK_ALL_BATCHES = 5


@dataclass
class Plan:
    feed: list[NotificationModel] = field(default_factory=list)
    mails: list[outbox.Delivery] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# The stream


def on_stream_record(record: dict[str, Any]) -> None:
    """One record of the messages table's stream. Messages are only ever inserted; anything
    else is not news. A record that cannot be read raises, and is reported as failed."""
    if record.get("eventName") != "INSERT":
        return
    notify(message_from_image(record["dynamodb"]["NewImage"]))


def notify(message: MessageModel) -> None:
    append_log_keys(ticket_id=str(message.ticket_id))
    if isinstance(message.details, dict) and MOVED_FROM in message.details:
        # A message a merge copied to the survivor (tickets/merge.py): everyone heard of it on
        # its own ticket. No mail, feed item or live push again.
        return
    ticket = ticket_store.get_ticket(str(message.ticket_id))
    if ticket is None:
        get_logger().warning("message of a missing ticket", extra={"ticket_id": message.ticket_id})
        return
    plan = plan_for(message, ticket, get_portal_settings())
    for item in plan.feed:
        store.add_item(item)
    try:
        live.push_message(message)
    except Exception:
        # Live updates are a convenience: the pages poll as well. Never hold mail back for them.
        get_logger().exception("live push failed", extra={"ticket_id": ticket.ticket_id})
    failure: Exception | None = None
    for delivery in plan.mails:
        try:
            outbox.deliver(delivery)
        except Exception as exc:
            get_logger().exception(
                "notification mail failed", extra={"template": delivery.template}
            )
            failure = failure or exc
    if failure is not None:
        raise failure


def plan_for(message: MessageModel, ticket: TicketModel, settings: PortalSettings) -> Plan:
    plan = Plan()
    details = message.details if isinstance(message.details, dict) else {}
    public = message.visibility == PUBLIC
    # Customers hear of a ticket only while the portal would show it to them.
    for_customers = not settings.hides(ticket.topic, ticket.channel)
    people = user_store.get_users(
        [u for u in (ticket.requester_id, ticket.assignee_id, message.author_id,
                     details.get("assignee_id")) if u]
    )
    requester = _active(people.get(str(ticket.requester_id))) if for_customers else None
    if message.kind == AGENT_REPLY and public:
        followers, addresses = _followers(ticket, settings) if for_customers else ([], [])
        for reader in [r for r in (requester, *followers) if r is not None]:
            # The agent's own name, shown as the author display says when the feed is read;
            # the status the answer set rides on its item (one item per answer, as the Inbox
            # has one entry: the bell and the Inbox count alike).
            plan.feed.append(_item(reader.user_id, REPLY, message, ticket, CUSTOMER,
                                   actor=str(message.author_name or ""),
                                   status=_status_shown(details.get("status_change"), settings),
                                   read=_read_already(reader.user_id, message)))
            if _mailed(reader):
                plan.mails.append(_paced(reader, _mail(
                    "secure_notification", outbox.CUSTOMER, reader.email, reader.name,
                    reader.language, message, ticket)))
        for address in addresses:
            # Followers without an account: the mail only, in the portal's language.
            plan.mails.append(_mail("secure_notification", outbox.CUSTOMER, address, address,
                                    settings.default_language, message, ticket))
    elif message.kind == CUSTOMER_MESSAGE and public:
        author = _active(people.get(str(message.author_id or "")))
        acknowledge = (
            settings.acknowledge_customer_messages
            and for_customers
            # Mail from a sender SES could not prove may have a forged From: no mail back.
            and details.get("sender_proven") is not False
        )
        if acknowledge and author is not None and author.role == CUSTOMER and _mailed(author):
            plan.mails.append(_paced(author, _mail(
                "acknowledgement", outbox.CUSTOMER, author.email, author.name,
                author.language, message, ticket)))
        assignee = _active(people.get(str(ticket.assignee_id or "")))
        if assignee is not None and assignee.user_id != message.author_id:
            plan.feed.append(_item(assignee.user_id, CUSTOMER_WROTE, message, ticket, "staff",
                                   actor=str(message.author_name or "")))
        support = _support_recipient(ticket, assignee, settings)
        if support is not None:
            email, name, language = support
            plan.mails.append(_mail("support_alert", outbox.SUPPORT, email, name, language,
                                    message, ticket,
                                    {"requester_name": str(message.author_name or "")}))
    elif message.kind == SYSTEM_EVENT:
        event = details.get("event")
        new_assignee = _active(people.get(str(details.get("assignee_id") or "")))
        if event == "assigned" and new_assignee and new_assignee.user_id != message.author_id:
            plan.feed.append(_item(new_assignee.user_id, ASSIGNED, message, ticket, "staff",
                                   actor=str(message.author_name or "")))
    # Internal notes and silent resolutions: nothing leaves the team. Any other message that
    # changed what the requester sees as the status tells them, once (the item's key is the
    # message's); an answer told it on its own item.
    answered = message.kind == AGENT_REPLY and public
    # A merged ticket closes into its survivor, which the customer keeps: not news to them.
    merged = details.get("event") == MERGED_INTO
    if requester is not None and message.kind != RESOLVE_NOTE and not answered and not merged:
        shown = _status_shown(details.get("status_change"), settings)
        if shown is not None and message.author_id != requester.user_id:
            plan.feed.append(_item(requester.user_id, STATUS, message, ticket, CUSTOMER,
                                   status=shown))
    return plan


def _followers(
    ticket: TicketModel, settings: PortalSettings
) -> tuple[list[user_store.UserModel], list[str]]:
    """Who follows the ticket (services/followers.py) and hears of the team's answers as the
    requester does: the active customer accounts, and the addresses without one, each only
    while the rule still admits them (access.follower_admitted)."""
    followers = follower_store.list_followers(ticket.ticket_id, MAX_FOLLOWERS)
    users = user_store.get_users(f.user_id for f in followers if f.user_id)
    accounts = [_active(users.get(str(f.user_id))) for f in followers if f.user_id]
    return ([u for u in accounts if u is not None and u.role == CUSTOMER
             and follower_admitted(u.org_id, ticket, settings)],
            [str(f.email) for f in followers
             if not f.user_id and follower_admitted(None, ticket, settings)])


def _status_shown(change: Any, settings: PortalSettings) -> str | None:
    """The status to tell the requester of, from the change a message records (see
    tickets/commit.py): a ticket resolved or closed, or reopened. Customers see Open / Closed
    unless the admin shows them every status; then a resolved ticket being closed is news too,
    while moving on within the open statuses (new → open) is not."""
    if not isinstance(change, dict):
        return None
    before, after = str(change.get("from", "")), str(change.get("to", ""))
    crossed = (before in OPEN_STATUSES) != (after in OPEN_STATUSES)
    if settings.status_display != "full":
        return ("open" if after in OPEN_STATUSES else "closed") if crossed else None
    return after if before != after and (crossed or after == "closed") else None


def _active(user: user_store.UserModel | None) -> user_store.UserModel | None:
    return user if user is not None and user.status == "active" else None


def _mailed(customer: user_store.UserModel) -> bool:
    """Whether the customer wants ticket mail: not when they chose the portal only (profile
    page). The feed item is written either way."""
    return str(customer.notifications or "every") != "portal"


def _paced(customer: user_store.UserModel, delivery: outbox.Delivery) -> outbox.Delivery:
    """A customer who chose a daily digest: their ticket mail waits for one mail a day."""
    if str(customer.notifications or "every") != "digest":
        return delivery
    return dataclasses.replace(delivery, window=outbox.DAY_SECONDS, limit=0)


def _support_recipient(
    ticket: TicketModel, assignee: user_store.UserModel | None, settings: PortalSettings
) -> tuple[str, str, str] | None:
    if assignee is not None:
        return assignee.email, assignee.name, assignee.language
    team = team_store.get_team(str(ticket.team_id))
    if team is not None and team.email:
        return team.email, team.name, settings.default_language
    if settings.support_address:
        return settings.support_address, settings.team_display_name, settings.default_language
    return None


def _mail(
    template: str, audience: str, to: str, name: str, language: str, message: MessageModel,
    ticket: TicketModel, context: dict[str, Any] | None = None,
) -> outbox.Delivery:
    return outbox.Delivery(
        source_id=str(message.message_id), template=template, audience=audience, to=to,
        name=name, language=language, ticket=ticket, context=context or {},
    )


def _read_already(user_id: str, message: MessageModel) -> bool:
    """Whether the reader has read the answer before its item is written: a page that had the
    ticket open showed it and said so (tickets/portal.py customer_read), or its Inbox entry was
    marked read. The item is then written read, so the bell counts what the Inbox counts."""
    entry = mailbox_store.get_entry(
        user_id, mailbox_store.entry_key(str(message.ticket_id), int(message.seq)))
    return entry is not None and bool(entry.read)


def _item(
    user_id: str, kind: str, message: MessageModel, ticket: TicketModel,
    audience: str, *, actor: str | None = None, status: str | None = None, read: bool = False,
) -> NotificationModel:
    created_at = float(message.created_at)
    customer = audience == CUSTOMER
    return NotificationModel(
        user_id=user_id,
        item_key=store.item_key(created_at, str(message.message_id), kind),
        kind=kind,
        ticket_id=str(ticket.ticket_id),
        ticket_number=int(ticket.number),
        # Customers know the ticket by its subject; the console's title is the agents' own.
        title=str(ticket.subject if customer else ticket.title),
        actor_name=actor or None,
        status=status,
        link=f"/tickets/{ticket.ticket_id}" if customer else f"/console/tickets/{ticket.ticket_id}",
        created_at=created_at,
        read=read,
        unread_at=None if read else created_at,
        expires_at=expiry(created_at + store.KEEP_SECONDS),
        topic=str(ticket.topic),
        channel=str(ticket.channel),
    )


# ---------------------------------------------------------------------------------------------
# The feed, as its owner reads it


def list_feed(principal: Principal, *, limit: int, cursor: str | None) -> NotificationFeed:
    page = store.list_items(principal.user_id, limit=limit, cursor=cursor, **_hidden(principal))
    settings = get_portal_settings() if principal.role == CUSTOMER else None
    return {
        "items": [_view(item, settings) for item in page.items],
        "next_cursor": page.cursor,
        **unread_count(principal),
    }


def unread_count(principal: Principal) -> UnreadCount:
    unread, capped = store.count_unread(principal.user_id, UNREAD_CAP, **_hidden(principal))
    return {"unread": unread, "unread_capped": capped}


def _hidden(principal: Principal) -> dict[str, list[str]]:
    """What a customer's feed leaves out: items about tickets the visibility rules hide now
    (the items were written while the ticket was visible)."""
    if principal.role != CUSTOMER:
        return {}
    settings = get_portal_settings()
    return {"hidden_topics": list(settings.hidden_topics),
            "hidden_channels": list(settings.hidden_channels)}


def mark_read(principal: Principal, ids: list[str] | Literal["all"]) -> MarkedRead:
    """Ids are the owner's own item keys; anyone else's simply match nothing."""
    if ids == "all":
        marked = 0
        # Bounded per request; the answer's unread count tells the page if any are left.
        for _ in range(MARK_ALL_BATCHES):
            keys = store.unread_keys(principal.user_id, MARK_ALL_BATCH)
            if not keys:
                break
            done = store.mark_read(principal.user_id, keys)
            marked += done
            if done == 0:
                break  # only items someone else marked meanwhile: nothing left to do
    else:
        if not ids:
            raise InvalidInput("Give the ids to mark read, or \"all\".", code="no_ids")
        marked = store.mark_read(principal.user_id, list(ids))
    return {"marked": marked, **unread_count(principal)}


def _view(item: NotificationModel, settings: PortalSettings | None) -> Notification:
    """`settings` for a customer's feed: the agent on a reply is shown as the thread shows them
    (tickets/views.py:agent_shown_as), by the setting as it is now; an item written before it
    kept the name has none, and the page says "Support"."""
    actor: str | None = item.actor_name
    if settings is not None and item.kind == REPLY:
        actor = agent_shown_as(str(actor or ""), settings) or None
    return {
        "id": item.item_key,
        "kind": item.kind,
        "ticket_id": item.ticket_id,
        "ticket_number": int(item.ticket_number),
        "title": item.title,
        "actor": actor,
        "status": item.status,
        "link": item.link,
        "created_at": clock.iso(float(item.created_at)),
        "read": item.unread_at is None,
    }

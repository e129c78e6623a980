"""Per-recipient, per-ticket sending windows: the rate cap and the digest of what it held back.

One item per (ticket, recipient). A window opens with the first mail and lasts a fixed time;
inside it, `sent` counts the mails let through. Once the cap is reached the rest are only
counted (`held`) and the item joins the sparse due-index at the window's end, where the
scheduled flush finds it and sends one digest. A new window opens only once the old one has
closed and its digest has gone, so nothing held is ever forgotten.
"""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist, UpdateError
from pynamodb.expressions.update import Action
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.data.base import REGION, condition_failed, expiry, table_name

DUE = "due"  # the one partition of the due-index: only windows holding mail are in it
KEEP_SECONDS = 7 * 86400


class DueIndex(GlobalSecondaryIndex["MailWindowModel"]):
    class Meta:
        index_name = "due-index"
        projection = AllProjection()

    due_key = UnicodeAttribute(hash_key=True)
    due_at = NumberAttribute(range_key=True)


class MailWindowModel(Model):
    class Meta:
        table_name = table_name("mail-windows")
        region = REGION
        billing_mode = "PAY_PER_REQUEST"

    window_key = UnicodeAttribute(hash_key=True)  # "<ticket id>#<recipient>"
    ticket_id = UnicodeAttribute()
    recipient = UnicodeAttribute()
    window_start = NumberAttribute()
    sent = NumberAttribute(default=0)
    held = NumberAttribute(default=0)
    digests_sent = NumberAttribute(default=0)
    # Who the digest is for, as the last held mail knew them.
    audience = UnicodeAttribute(null=True)  # customer | support
    language = UnicodeAttribute(null=True)
    name = UnicodeAttribute(null=True)
    due_key = UnicodeAttribute(null=True)
    due_at = NumberAttribute(null=True)
    expires_at = TTLAttribute()

    due_index = DueIndex()


def window_key(ticket_id: str, recipient: str) -> str:
    return f"{ticket_id}#{recipient}"


def admit(
    ticket_id: str,
    recipient: str,
    *,
    now: float,
    window: float,
    limit: int,
    audience: str,
    language: str,
    name: str,
) -> bool:
    """True: send now (counted in the window). False: held for the window's digest.
    A limit of 0 sends nothing at once: every mail is held for the digest when the window,
    opened by the first, closes (the customers who chose a daily digest)."""
    item = MailWindowModel(window_key(ticket_id, recipient))
    keep = MailWindowModel.expires_at.set(expiry(now + max(KEEP_SECONDS, 2 * window)))
    if limit <= 0:
        return _hold(item, now=now, window=window, audience=audience, language=language,
                     name=name, keep=keep)
    try:
        item.update(
            actions=[MailWindowModel.sent.add(1), keep],
            condition=(MailWindowModel.window_start > now - window)
            & (MailWindowModel.sent < limit),
        )
        return True
    except UpdateError as exc:
        if not condition_failed(exc):
            raise
    try:
        # No window yet, or the last one closed and its digest (if any) went out.
        item.update(
            actions=[
                MailWindowModel.ticket_id.set(ticket_id),
                MailWindowModel.recipient.set(recipient),
                MailWindowModel.window_start.set(now),
                MailWindowModel.sent.set(1),
                MailWindowModel.held.set(0),
                keep,
            ],
            condition=MailWindowModel.window_key.does_not_exist()
            | (
                (MailWindowModel.window_start <= now - window)
                & MailWindowModel.due_key.does_not_exist()
            ),
        )
        return True
    except UpdateError as exc:
        if not condition_failed(exc):
            raise
    # Over the cap in an open window, or its digest is still to go: hold this one.
    return _hold(item, now=now, window=window, audience=audience, language=language, name=name,
                 keep=keep)


def _hold(item: MailWindowModel, *, now: float, window: float, audience: str, language: str,
          name: str, keep: Action) -> bool:
    """Count one more mail for the window's digest, opening the window if there is none (or
    the last one closed with its digest sent). Always False: nothing is sent now."""
    try:
        item.update(
            actions=[
                MailWindowModel.ticket_id.set(str(item.window_key).split("#", 1)[0]),
                MailWindowModel.recipient.set(str(item.window_key).split("#", 1)[1]),
                MailWindowModel.window_start.set(now),
                MailWindowModel.sent.set(0),
                MailWindowModel.held.set(1),
                MailWindowModel.due_key.set(DUE),
                MailWindowModel.due_at.set(now + window),
                MailWindowModel.audience.set(audience),
                MailWindowModel.language.set(language),
                MailWindowModel.name.set(name),
                keep,
            ],
            condition=MailWindowModel.window_key.does_not_exist()
            | (
                (MailWindowModel.window_start <= now - window)
                & MailWindowModel.due_key.does_not_exist()
            ),
        )
        return False
    except UpdateError as exc:
        if not condition_failed(exc):
            raise
    current = MailWindowModel.get(item.window_key, consistent_read=True)
    item.update(
        actions=[
            MailWindowModel.held.add(1),
            MailWindowModel.due_key.set(DUE),
            MailWindowModel.due_at.set(
                MailWindowModel.due_at | float(current.window_start) + window
            ),
            MailWindowModel.audience.set(audience),
            MailWindowModel.language.set(language),
            MailWindowModel.name.set(name),
            keep,
        ],
        condition=MailWindowModel.window_key.exists(),
    )
    return False


def due_windows(now: float, limit: int) -> list[MailWindowModel]:
    """Windows whose time is up and that hold mail: the digests to send."""
    return list(
        MailWindowModel.due_index.query(DUE, MailWindowModel.due_at <= now, limit=limit)
    )


def get_window(ticket_id: str, recipient: str) -> MailWindowModel | None:
    try:
        return MailWindowModel.get(window_key(ticket_id, recipient), consistent_read=True)
    except DoesNotExist:
        return None


def settle_digest(key: str, *, count: int, digests_sent: int) -> None:
    """The digest of `count` held mails went out. Mail held meanwhile stays due for the next."""
    item = MailWindowModel(key)
    settled: list[Action] = [MailWindowModel.held.add(-count), MailWindowModel.digests_sent.add(1)]
    unsettled = MailWindowModel.digests_sent == digests_sent
    if digests_sent == 0:
        unsettled = unsettled | MailWindowModel.digests_sent.does_not_exist()
    try:
        item.update(
            actions=[*settled, MailWindowModel.due_key.remove(), MailWindowModel.due_at.remove()],
            condition=(MailWindowModel.held == count) & unsettled,
        )
        return
    except UpdateError as exc:
        if not condition_failed(exc):
            raise
    try:
        item.update(actions=settled, condition=unsettled)
    except UpdateError as exc:
        if not condition_failed(exc):
            raise
        # Another flush settled this digest already.

"""Sessions: keyed by the SHA-256 of the token, so a leaked table holds no usable credential."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from pynamodb.attributes import BooleanAttribute, NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.exceptions import DeleteError, DoesNotExist, UpdateError
from pynamodb.indexes import GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

from chalicelib.data.base import REGION, condition_failed, expiry, table_name

EVERY = "session"  # the one partition of the cleanup indexes (a handful of writes per second)
# Ended sessions leave a marker under their own partition of the same indexes, so the cleanup
# finds the old ones with a key condition too. The "ended#" key prefix is never a SHA-256 hex
# digest: no presented token can ever name a marker as its session.
ENDED = "ended"
ENDED_PREFIX = "ended#"


class UserSessionsIndex(GlobalSecondaryIndex["SessionModel"]):
    class Meta:
        index_name = "user-index"
        projection = KeysOnlyProjection()

    user_id = UnicodeAttribute(hash_key=True)


class IdleIndex(GlobalSecondaryIndex["SessionModel"]):
    """Every session by last activity: the cleanup finds idle ones with a key condition."""

    class Meta:
        index_name = "idle-index"
        projection = KeysOnlyProjection()

    every = UnicodeAttribute(hash_key=True)
    last_seen_at = NumberAttribute(range_key=True)


class AgeIndex(GlobalSecondaryIndex["SessionModel"]):
    """Every session by creation: the cleanup finds those past the absolute lifetime."""

    class Meta:
        index_name = "age-index"
        projection = KeysOnlyProjection()

    every = UnicodeAttribute(hash_key=True)
    created_at = NumberAttribute(range_key=True)


class SessionModel(Model):
    class Meta:
        table_name = table_name("sessions")
        region = REGION
        billing_mode = "PAY_PER_REQUEST"

    session_hash = UnicodeAttribute(hash_key=True)
    user_id = UnicodeAttribute()
    role = UnicodeAttribute()
    org_id = UnicodeAttribute(null=True)
    org_view = BooleanAttribute(default=False)
    must_change_password = BooleanAttribute(default=False)
    csrf_token = UnicodeAttribute()
    every = UnicodeAttribute(default=EVERY)
    created_at = NumberAttribute()
    last_seen_at = NumberAttribute()
    # On an ended session's marker only: why it ended ("idle", "expired",
    # "signed_out", "password_changed", "account_disabled").
    ended_reason = UnicodeAttribute(null=True)
    # The browser's User-Agent at sign-in (cut to 512 characters): the profile page names the
    # device from it. Absent on sessions begun before it was kept.
    user_agent = UnicodeAttribute(null=True)
    # Only a backstop: expiry is enforced on every request and by the cleanup job.
    expires_at = TTLAttribute()

    user_index = UserSessionsIndex()
    idle_index = IdleIndex()
    age_index = AgeIndex()


def put_session(session: SessionModel) -> None:
    session.save(condition=SessionModel.session_hash.does_not_exist())


def get_session(session_hash: str) -> SessionModel | None:
    try:
        return SessionModel.get(session_hash, consistent_read=True)
    except DoesNotExist:
        return None


def touch_session(session: SessionModel, seen_at: float, stale_before: float) -> None:
    """Refresh the idle clock at most once a minute, and never resurrect a deleted session."""
    try:
        session.update(
            actions=[SessionModel.last_seen_at.set(seen_at)],
            condition=SessionModel.session_hash.exists()
            & (SessionModel.last_seen_at < stale_before),
        )
    except UpdateError as exc:
        if not condition_failed(exc):
            raise


def refresh_session(session: SessionModel, seen_at: float) -> bool:
    """The explicit keep-alive: moves the idle clock now, whenever it last moved. False when the
    session ended meanwhile."""
    try:
        session.update(
            actions=[SessionModel.last_seen_at.set(seen_at)],
            condition=SessionModel.session_hash.exists(),
        )
    except UpdateError as exc:
        if not condition_failed(exc):
            raise
        return False
    return True


def end_session(session: SessionModel, reason: str, ended_at: float, keep_for: int) -> None:
    """Replace a session by a marker that says why it ended, so the browser still holding the
    token can be told (idle, expired, signed out elsewhere...) instead of a bare "signed out".
    The marker holds no credential, and its `last_seen_at` is when it ended, for the cleanup."""
    SessionModel(
        session_hash=ENDED_PREFIX + session.session_hash,
        user_id=session.user_id,
        role=session.role,
        csrf_token="-",  # noqa: S106 - a marker accepts no request
        every=ENDED,
        created_at=session.created_at,
        last_seen_at=ended_at,
        ended_reason=reason,
        expires_at=expiry(ended_at + keep_for),
    ).save()
    delete_session(session.session_hash)


def get_ended_session(session_hash: str) -> SessionModel | None:
    """The marker a session left when it ended, if it has not been cleaned up yet."""
    try:
        return SessionModel.get(ENDED_PREFIX + session_hash, consistent_read=True)
    except DoesNotExist:
        return None


def clear_password_flag(session: SessionModel) -> None:
    try:
        session.update(
            actions=[SessionModel.must_change_password.set(False)],
            condition=SessionModel.session_hash.exists(),
        )
    except UpdateError as exc:
        if not condition_failed(exc):
            raise


def delete_session(session_hash: str) -> None:
    with contextlib.suppress(DeleteError):
        SessionModel(session_hash=session_hash).delete()


def session_hashes_of_user(user_id: str) -> list[str]:
    """The user's live sessions (the markers of ended ones share the index, not the prefix)."""
    return [
        s.session_hash for s in SessionModel.user_index.query(user_id)
        if not s.session_hash.startswith(ENDED_PREFIX)
    ]


def sessions_of_user(user_id: str) -> list[SessionModel]:
    """The user's live sessions, read in full: one key-condition query on the user's partition
    of the index, then one batch read. Only sessions of this user can be among them."""
    hashes = session_hashes_of_user(user_id)
    if not hashes:
        return []
    return [s for s in SessionModel.batch_get(hashes, consistent_read=True) if s.user_id == user_id]


def expired_session_hashes(idle_before: float, created_before: float) -> Iterator[str]:
    """Sessions idle since before `idle_before` or created before `created_before`: two key
    condition queries, so the cleanup costs what it deletes, not the size of the table."""
    yield from (
        s.session_hash for s in SessionModel.idle_index.query(
            EVERY, SessionModel.last_seen_at < idle_before
        )
    )
    yield from (
        s.session_hash for s in SessionModel.age_index.query(
            EVERY, SessionModel.created_at < created_before
        )
    )


def old_ended_session_keys(ended_before: float) -> Iterator[str]:
    """The keys of markers of sessions that ended before `ended_before`: one key condition."""
    yield from (
        s.session_hash for s in SessionModel.idle_index.query(
            ENDED, SessionModel.last_seen_at < ended_before
        )
    )

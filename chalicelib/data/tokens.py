"""Single-use tokens (password reset, invite, email verification), stored only as hashes."""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist, PutError, UpdateError
from pynamodb.models import Model

from chalicelib.data.base import REGION, condition_failed, expiry, table_name


class TokenModel(Model):
    class Meta:
        table_name = table_name("tokens")
        region = REGION
        billing_mode = "PAY_PER_REQUEST"

    token_hash = UnicodeAttribute(hash_key=True)
    purpose = UnicodeAttribute()  # reset | invite | verify | live_ticket | ... | sign_in_pending
    user_id = UnicodeAttribute()
    valid_until = NumberAttribute()
    issued_at = NumberAttribute(null=True)
    used_at = NumberAttribute(null=True)
    # sign_in_pending (services/second_factor.py): the first factor's method and device, JSON
    # magic_link (services/magic_links.py): the hash of the asking browser's cookie, JSON
    details = UnicodeAttribute(null=True)
    expires_at = TTLAttribute()


def put_token(token: TokenModel) -> None:
    token.save(condition=TokenModel.token_hash.does_not_exist())


def consume_token(token_hash: str, purpose: str, at: float) -> TokenModel | None:
    """Mark used in the same conditional write that checks it: two racing confirms, one wins."""
    try:
        token = TokenModel.get(token_hash, consistent_read=True)
    except DoesNotExist:
        return None
    if token.purpose != purpose:
        return None
    try:
        token.update(
            actions=[TokenModel.used_at.set(at)],
            condition=TokenModel.used_at.does_not_exist() & (TokenModel.valid_until > at),
        )
    except UpdateError as exc:
        if condition_failed(exc):
            return None
        raise
    return token


def spend_token(token_hash: str, purpose: str, at: float) -> bool:
    """consume_token for a caller that has read the token already: one conditional write."""
    try:
        TokenModel(token_hash=token_hash).update(
            actions=[TokenModel.used_at.set(at)],
            condition=(TokenModel.purpose == purpose) & TokenModel.used_at.does_not_exist()
            & (TokenModel.valid_until > at),
        )
    except UpdateError as exc:
        if condition_failed(exc):
            return False
        raise
    return True


def get_valid_token(token_hash: str, purpose: str, at: float) -> TokenModel | None:
    try:
        token = TokenModel.get(token_hash)
    except DoesNotExist:
        return None
    if token.purpose != purpose or token.used_at is not None or token.valid_until <= at:
        return None
    return token


def spend_once(token_hash: str, purpose: str, user_id: str, valid_until: float, at: float) -> bool:
    """Records the one use of a bearer value the server signed but never stored (a live
    ticket): False when it was spent before. The record lasts as long as the value is valid,
    so a replay within that time finds it."""
    try:
        TokenModel(
            token_hash,
            purpose=purpose,
            user_id=user_id,
            valid_until=valid_until,
            issued_at=at,
            used_at=at,
            expires_at=expiry(valid_until + 3600),
        ).save(condition=TokenModel.token_hash.does_not_exist())
    except PutError as exc:
        if condition_failed(exc):
            return False
        raise
    return True

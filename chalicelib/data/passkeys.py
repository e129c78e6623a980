"""Passkeys (WebAuthn credentials) and the single-use challenges of their ceremonies.

A passkey lives in its owner's partition (`user_id`), keyed by the SHA-256 of its credential id:
a credential id may be up to 1,023 bytes, more than a sort key holds, and the hash is what the
pages name a passkey by. Passwordless sign-in finds one with a GetItem: the authenticator returns
the user handle given at registration (the user's id) with the credential id.

Challenges are their own table, keyed by the SHA-256 of what binds them (the session, the
browser's challenge cookie, the pending sign-in), and spent by one conditional update: a replay,
a late answer and a challenge of another ceremony all find nothing to spend.
"""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
)
from pynamodb.exceptions import DeleteError, DoesNotExist, UpdateError
from pynamodb.expressions.update import Action
from pynamodb.models import Model

from chalicelib.data.base import REGION, condition_failed, expiry, query_page, table_name, translate
from chalicelib.errors import Conflict

# More than anyone registers (a phone, a laptop, two security keys...): the list and the second
# factor's allowed credentials are one page of the owner's partition.
MAX_PASSKEYS = 20


class PasskeyModel(Model):
    class Meta:
        table_name = table_name("passkeys")
        region = REGION
        billing_mode = "PAY_PER_REQUEST"

    user_id = UnicodeAttribute(hash_key=True)
    credential_key = UnicodeAttribute(range_key=True)  # SHA-256 (hex) of the credential id
    credential_id = UnicodeAttribute()  # base64url, as the browser names it
    public_key = UnicodeAttribute()  # COSE key, base64url
    sign_count = NumberAttribute(default=0)
    name = UnicodeAttribute()
    transports = UnicodeSetAttribute(null=True)
    aaguid = UnicodeAttribute(null=True)
    backed_up = BooleanAttribute(default=False)  # a synced passkey (multi-device)
    created_at = NumberAttribute()
    last_used_at = NumberAttribute(null=True)


class ChallengeModel(Model):
    class Meta:
        table_name = table_name("passkey-challenges")
        region = REGION
        billing_mode = "PAY_PER_REQUEST"

    challenge_key = UnicodeAttribute(hash_key=True)
    purpose = UnicodeAttribute()  # register | sign_in | second_factor
    challenge = UnicodeAttribute()  # base64url
    user_id = UnicodeAttribute(null=True)  # whose ceremony (none for a passwordless sign-in)
    valid_until = NumberAttribute()
    used_at = NumberAttribute(null=True)
    expires_at = TTLAttribute()  # the backstop: valid_until is checked when spent


def passkeys_of(user_id: str) -> list[PasskeyModel]:
    """The owner's passkeys (in no useful order): one Query of their partition."""
    return query_page(
        PasskeyModel, PasskeyModel, user_id, scope=f"passkeys:{user_id}",
        limit=MAX_PASSKEYS, cursor=None, newest_first=False, consistent=True,
    ).items


def get_passkey(user_id: str, credential_key: str) -> PasskeyModel | None:
    try:
        return PasskeyModel.get(user_id, credential_key, consistent_read=True)
    except DoesNotExist:
        return None


def add_passkey(passkey: PasskeyModel) -> None:
    with translate(Conflict("This passkey is registered already.", code="passkey_exists")):
        passkey.save(condition=PasskeyModel.credential_key.does_not_exist())


def rename_passkey(passkey: PasskeyModel, name: str) -> bool:
    """False when it was removed meanwhile."""
    try:
        passkey.update(actions=[PasskeyModel.name.set(name)],
                       condition=PasskeyModel.credential_key.exists())
    except UpdateError as exc:
        if condition_failed(exc):
            return False
        raise
    return True


def record_use(passkey: PasskeyModel, sign_count: int, at: float) -> bool:
    """Store a use and the authenticator's counter, on condition that the counter moved forward
    from what this request read (two racing uses of a cloned key: one wins). A counter that
    stays at 0 is an authenticator without one. False when the condition failed."""
    actions: list[Action] = [
        PasskeyModel.last_used_at.set(at), PasskeyModel.sign_count.set(sign_count)]
    moved = PasskeyModel.sign_count < sign_count if sign_count else PasskeyModel.sign_count == 0
    try:
        passkey.update(actions=actions,
                       condition=PasskeyModel.credential_key.exists() & moved)
    except UpdateError as exc:
        if condition_failed(exc):
            return False
        raise
    return True


def remove_passkey(user_id: str, credential_key: str) -> bool:
    """False when there was none to remove."""
    try:
        PasskeyModel(user_id, credential_key).delete(
            condition=PasskeyModel.credential_key.exists())
    except DeleteError as exc:
        if condition_failed(exc):
            return False
        raise
    return True


def remove_all(user_id: str) -> list[PasskeyModel]:
    """Every passkey of the account, for an admin's reset: those removed. One Query of the
    owner's partition, then batched deletes."""
    passkeys = passkeys_of(user_id)
    with PasskeyModel.batch_write() as batch:
        for passkey in passkeys:
            batch.delete(passkey)
    return passkeys


def put_challenge(
    challenge_key: str, *, purpose: str, challenge: str, user_id: str | None, valid_until: float
) -> None:
    """A new challenge replaces the one the same binding held: only the latest options count."""
    ChallengeModel(
        challenge_key=challenge_key, purpose=purpose, challenge=challenge, user_id=user_id,
        valid_until=valid_until, expires_at=expiry(valid_until + 3600),
    ).save()


def spend_challenge(challenge_key: str, purpose: str, at: float) -> ChallengeModel | None:
    """The challenge, marked used in the same conditional write that checks it is unused, live
    and of this ceremony; None otherwise. One UpdateItem."""
    item = ChallengeModel(challenge_key=challenge_key)
    try:
        item.update(
            actions=[ChallengeModel.used_at.set(at)],
            condition=ChallengeModel.used_at.does_not_exist()
            & (ChallengeModel.valid_until > at)
            & (ChallengeModel.purpose == purpose),
        )
    except UpdateError as exc:
        if condition_failed(exc):
            return None
        raise
    return item


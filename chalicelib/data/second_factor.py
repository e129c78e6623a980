"""Second factors of an account: its TOTP enrolment (the secret encrypted) and its one-time
recovery codes (hashes only). One partition per user; `item` names what it holds:

- `totp`: the confirmed enrolment: the encrypted secret and the last time step a code was
  accepted for (a code is never accepted twice: conditional write);
- `totp-pending`: an enrolment started and not yet confirmed (the secret shown once);
- `recovery#<hash>`: one recovery code, spent by a conditional write.

Passkeys are not here: their own table (data/passkeys.py)."""

from __future__ import annotations

from collections.abc import Iterator

from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist, UpdateError
from pynamodb.expressions.update import Action
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.data.base import REGION, condition_failed, connection, expiry, table_name, translate
from chalicelib.errors import Conflict

TOTP = "totp"
PENDING = "totp-pending"
RECOVERY = "recovery#"
# Never more in a partition than one enrolment, one pending one and the codes of one set.
MAX_RECOVERY_CODES = 10


class SecondFactorModel(Model):
    class Meta:
        table_name = table_name("second-factors")
        region = REGION
        billing_mode = "PAY_PER_REQUEST"

    user_id = UnicodeAttribute(hash_key=True)
    item = UnicodeAttribute(range_key=True)
    secret = UnicodeAttribute(null=True)  # totp, totp-pending: encrypted (services/totp.py)
    last_step = NumberAttribute(null=True)  # totp: the last time step a code was accepted for
    created_at = NumberAttribute()
    valid_until = NumberAttribute(null=True)  # totp-pending
    used_at = NumberAttribute(null=True)  # recovery#
    expires_at = TTLAttribute(null=True)  # totp-pending: a backstop; valid_until is the rule


def _conflict() -> Conflict:
    return Conflict("The second factor changed meanwhile; reload and try again.",
                    code="second_factor_changed")


def get_item(user_id: str, item: str) -> SecondFactorModel | None:
    try:
        return SecondFactorModel.get(user_id, item, consistent_read=True)
    except DoesNotExist:
        return None


def put_pending(user_id: str, secret: str, at: float, valid_until: float) -> None:
    """A new enrolment in progress replaces one started before."""
    SecondFactorModel(
        user_id=user_id, item=PENDING, secret=secret, created_at=at, valid_until=valid_until,
        expires_at=expiry(valid_until + 3600),
    ).save()


def recovery_items(user_id: str) -> list[SecondFactorModel]:
    return list(SecondFactorModel.query(
        user_id, SecondFactorModel.item.startswith(RECOVERY), consistent_read=True,
        limit=4 * MAX_RECOVERY_CODES,
    ))


def confirm_totp(user_id: str, secret: str, step: int, code_hashes: list[str], at: float) -> None:
    """The pending enrolment becomes the account's TOTP (the confirming code's step spent) and
    its recovery codes replace any before, in one transaction: of two confirmations, one wins."""
    old = recovery_items(user_id)
    with translate(_conflict()), TransactWrite(connection=connection()) as tx:
        tx.delete(SecondFactorModel(user_id=user_id, item=PENDING),
                  condition=SecondFactorModel.item.exists())
        tx.save(SecondFactorModel(user_id=user_id, item=TOTP, secret=secret, last_step=step,
                                  created_at=at),
                condition=SecondFactorModel.item.does_not_exist())
        _replace(tx, user_id, old, code_hashes, at)


def replace_recovery(user_id: str, code_hashes: list[str], at: float) -> None:
    old = recovery_items(user_id)
    with translate(_conflict()), TransactWrite(connection=connection()) as tx:
        _replace(tx, user_id, old, code_hashes, at)


def _replace(tx: TransactWrite, user_id: str, old: list[SecondFactorModel],
             code_hashes: list[str], at: float) -> None:
    new = {RECOVERY + h for h in code_hashes}
    for item in old:
        if item.item not in new:
            tx.delete(item)
    for key in sorted(new):
        tx.save(SecondFactorModel(user_id=user_id, item=key, created_at=at))


def remove_totp(user_id: str, *, with_recovery: bool) -> None:
    old = recovery_items(user_id) if with_recovery else []
    with translate(_conflict()), TransactWrite(connection=connection()) as tx:
        tx.delete(SecondFactorModel(user_id=user_id, item=TOTP),
                  condition=SecondFactorModel.item.exists())
        for item in old:
            tx.delete(item)


def spend_step(user_id: str, step: int, secret: str | None = None) -> bool:
    """Record that a code of `step` was accepted, only if no code of this step or a later one
    was: two sign-ins with the same code, one wins. `secret` re-encrypts it (key rotation)."""
    item = SecondFactorModel(user_id=user_id, item=TOTP)
    actions: list[Action] = [SecondFactorModel.last_step.set(step)]
    if secret:
        actions.append(SecondFactorModel.secret.set(secret))
    try:
        item.update(
            actions=actions,
            condition=SecondFactorModel.item.exists() & (
                SecondFactorModel.last_step.does_not_exist()
                | (SecondFactorModel.last_step < step)),
        )
    except UpdateError as exc:
        if condition_failed(exc):
            return False
        raise
    return True


def sealed_items() -> Iterator[SecondFactorModel]:
    """Every item holding a sealed secret (`totp`, `totp-pending`), the whole table over: a
    Scan, for the operator's re-seal after a signing-key rotation (services/totp.py
    `reseal_secrets`, run by `parley admin reseal-second-factors`). Never on a request path."""
    return iter(SecondFactorModel.scan(
        SecondFactorModel.item.is_in(TOTP, PENDING), consistent_read=True))


def replace_secret(user_id: str, item: str, before: str, after: str) -> bool:
    """The sealed secret of `item` replaced by `after`, only while it is still `before`: a
    confirmation, a removal or a use that re-sealed it meanwhile wins. False then."""
    try:
        SecondFactorModel(user_id=user_id, item=item).update(
            actions=[SecondFactorModel.secret.set(after)],
            condition=SecondFactorModel.secret == before,
        )
    except UpdateError as exc:
        if condition_failed(exc):
            return False
        raise
    return True


def remove_all(user_id: str) -> list[str]:
    """Everything of the account here (its TOTP, an enrolment in progress, its recovery codes),
    for an admin's reset: what was removed (its `item`s). One Query of the partition, then
    batched deletes."""
    items = list(SecondFactorModel.query(
        user_id, consistent_read=True, limit=4 * MAX_RECOVERY_CODES + 2))
    with SecondFactorModel.batch_write() as batch:
        for item in items:
            batch.delete(item)
    return [item.item for item in items]


def spend_recovery(user_id: str, code_hash: str, at: float) -> bool:
    """A recovery code used once: the conditional write that checks it also spends it."""
    item = SecondFactorModel(user_id=user_id, item=RECOVERY + code_hash)
    try:
        item.update(
            actions=[SecondFactorModel.used_at.set(at)],
            condition=SecondFactorModel.item.exists() & SecondFactorModel.used_at.does_not_exist(),
        )
    except UpdateError as exc:
        if condition_failed(exc):
            return False
        raise
    return True

"""Sign-in flows with an OpenID provider (services/oidc.py).

A flow lives in the tokens table, beside the other single-use secrets, keyed by the SHA-256 of
a random value that only the browser which began it holds (an HttpOnly cookie): its state,
nonce and PKCE verifier never leave the server but to the provider. Each step is one conditional
write, so a replayed state, or a second page finishing the same sign-in, finds it spent."""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.models import Model

from chalicelib.data.base import REGION, condition_failed, table_name

PURPOSE = "oidc_flow"


class FlowModel(Model):
    """The tokens table's items of purpose `oidc_flow` (data/tokens.py holds the others)."""

    class Meta:
        table_name = table_name("tokens")
        region = REGION
        billing_mode = "PAY_PER_REQUEST"

    token_hash = UnicodeAttribute(hash_key=True)  # SHA-256 of the browser's cookie value
    purpose = UnicodeAttribute(default=PURPOSE)
    provider_id = UnicodeAttribute()
    state = UnicodeAttribute()
    nonce = UnicodeAttribute()
    verifier = UnicodeAttribute()  # PKCE code_verifier
    next_path = UnicodeAttribute(null=True)  # where the person goes once signed in
    valid_until = NumberAttribute()
    used_at = NumberAttribute(null=True)  # the callback took the state: never again
    user_id = UnicodeAttribute(null=True)  # whom the provider proved, set by the callback
    verified_at = NumberAttribute(null=True)
    completed_at = NumberAttribute(null=True)  # the page started the session
    expires_at = TTLAttribute()  # a backstop; validity is checked by the code


def put_flow(flow: FlowModel) -> None:
    flow.save(condition=FlowModel.token_hash.does_not_exist())


def get_flow(token_hash: str) -> FlowModel | None:
    try:
        flow = FlowModel.get(token_hash, consistent_read=True)
    except DoesNotExist:
        return None
    return flow if flow.purpose == PURPOSE else None


def _update(flow: FlowModel, actions: list[Action], condition: Condition) -> bool:
    try:
        flow.update(actions=actions, condition=condition)
    except UpdateError as exc:
        if condition_failed(exc):
            return False
        raise
    return True


def take_state(flow: FlowModel, at: float) -> bool:
    """The callback's first step: the state is spent whatever follows, so a replay of the
    provider's answer (or two at once) finds it used."""
    return _update(flow, [FlowModel.used_at.set(at)],
                   FlowModel.used_at.does_not_exist() & (FlowModel.valid_until > at))


def mark_verified(flow: FlowModel, user_id: str, at: float) -> bool:
    return _update(flow, [FlowModel.user_id.set(user_id), FlowModel.verified_at.set(at)],
                   FlowModel.user_id.does_not_exist() & FlowModel.used_at.exists())


def take_verified(flow: FlowModel, at: float, not_before: float) -> bool:
    """The page's step: once, and soon after the callback proved who it is."""
    return _update(flow, [FlowModel.completed_at.set(at)],
                   FlowModel.completed_at.does_not_exist() & FlowModel.user_id.exists()
                   & (FlowModel.verified_at > not_before))

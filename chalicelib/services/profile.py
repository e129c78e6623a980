"""The signed-in user's own account: what /api/me says, and the edits they may make themselves
(name, language, how they hear of their tickets). Password change stays in users.py, sessions
in sessions.py."""

from __future__ import annotations

from typing import Any

from chalicelib.data import users as store
from chalicelib.errors import InvalidInput, Unauthenticated
from chalicelib.services import audit, customers, suppressions
from chalicelib.services.identity import public_user
from chalicelib.services.principal import Principal
from chalicelib.shapes.auth import Me

LANGUAGES = ("en", "fr", "pl")
# every: a mail for each update; digest: one mail a day gathering them; portal: none, the
# portal's feed and folders only. Account mail (resets, invitations) is sent whatever the choice.
NOTIFICATIONS = ("every", "digest", "portal")


def get_me(principal: Principal) -> Me:
    return _me(_own_user(principal))


def update_me(principal: Principal, changes: dict[str, Any]) -> Me:
    """Edits only the fields given; the rest stays as stored (a concurrent edit is a 409 from
    the version check, never a field lost)."""
    user = _own_user(principal)
    before = {"name": user.name, "language": user.language, "notifications": user.notifications}
    previous = public_user(user)  # the customer directory follows a new name
    if "name" in changes:
        name = " ".join(str(changes["name"]).split())
        if not name:
            raise InvalidInput("Your name cannot be empty.", code="invalid_input",
                               details=[{"field": "name", "code": "required",
                                         "message": "Field required"}])
        user.name = name
    if "language" in changes:
        user.language = _one_of(changes["language"], LANGUAGES, "language")
    if "notifications" in changes:
        user.notifications = _one_of(changes["notifications"], NOTIFICATIONS, "notifications")
    after = {"name": user.name, "language": user.language, "notifications": user.notifications}
    changed = sorted(k for k in after if after[k] != before[k])
    if changed:
        store.save_user(user)
        customers.changed(previous, user)
        audit.record("user.update", actor=principal, target=user.user_id, details={
            "changed": changed,
            "changes": audit.differences(
                {k: before[k] for k in changed}, {k: after[k] for k in changed}
            ),
            "by": "self",
        })
    return _me(user)


def _one_of(value: Any, allowed: tuple[str, ...], field: str) -> str:
    if value not in allowed:  # the route's model refuses these first; a service caller may not
        raise InvalidInput(f"{field} must be one of {', '.join(allowed)}.")
    return str(value)


def _own_user(principal: Principal) -> store.UserModel:
    user = store.get_user(principal.user_id, consistent=True)
    if user is None:
        raise Unauthenticated("Your account no longer exists.", code="session_expired")
    return user


def _me(user: store.UserModel) -> Me:
    return {
        "user": public_user(user),
        "mail_suppressed": suppressions.mail_suppression(user.email),
        "notifications": str(user.notifications or "every"),
    }

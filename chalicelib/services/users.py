"""Accounts: admin-created users, password change and reset, self-registration, disabling."""

from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from typing import Any

from chalicelib import clock
from chalicelib.adapters import queues
from chalicelib.config import get_settings
from chalicelib.data import orgs as org_store
from chalicelib.data import sessions as session_store
from chalicelib.data import tokens as token_store
from chalicelib.data import users as store
from chalicelib.data.base import expiry
from chalicelib.errors import Conflict, InvalidInput, NotFound, Unauthenticated
from chalicelib.observability import get_logger
from chalicelib.services import audit, customers, mailer, passwords, sessions, throttles
from chalicelib.services.identity import check_email, public_user
from chalicelib.services.principal import ADMIN, CUSTOMER, ROLES, Anonymous, Principal
from chalicelib.services.second_factor import SecondFactorNeeded, finish_sign_in
from chalicelib.services.settings import get_portal_settings
from chalicelib.shapes.users import User

PASSWORD_TOKEN_SECONDS = 30 * 60  # reset links
INVITE_TOKEN_SECONDS = 7 * 24 * 3600
VERIFY_TOKEN_SECONDS = 24 * 3600
_REGISTRATIONS = uuid.UUID("0c8f4f4e-6d1b-4f7a-9b1e-7d3c2a5e9f11")  # request id → account id
_BOOTSTRAPS = uuid.UUID("5b0d7e52-93c4-4d0e-8f2a-1e6b7c9d3a40")  # admins seen → account id
SPENT_LINK = "This link has expired or was already used. Ask for a new one."


def get_me(principal: Principal) -> User:
    user = store.get_user(principal.user_id)
    if user is None:
        raise Unauthenticated("Your account no longer exists.", code="session_expired")
    return public_user(user)


def create_user(
    actor: Principal,
    *,
    email: str,
    name: str,
    role: str,
    org_id: str | None,
    org_view: bool,
    team_ids: list[str],
    language: str,
    delivery: str,
) -> User:
    """An admin creates an account; the new user gets a temporary password or an invite link."""
    email = check_email(email)
    _check_place(role, org_id, org_view, team_ids, team_ids)
    user = store.UserModel(
        user_id=uuid.uuid4().hex,
        email=email,
        name=name.strip(),
        role=role,
        org_id=org_id if role == CUSTOMER else None,
        org_view=org_view if role == CUSTOMER else False,
        team_ids=set(team_ids) or None,
        language=language,
        created_at=clock.now(),
        must_change_password=True,
    )
    temporary = passwords.generate_temporary_password() if delivery == "password" else None
    if temporary:
        user.password_hash = passwords.hash_password(temporary)
    customers.added(store.create_user(user))  # "New on behalf" finds them before they write
    if temporary:
        mailer.send_to_user(user, "temporary_password", {"password": temporary})
    else:
        _send_invite(user)
    audit.record(
        "user.create", actor=actor, target=user.user_id, details={"role": role, "via": delivery}
    )
    return public_user(user)


def _send_invite(user: store.UserModel) -> None:
    link = _issue_token(user.user_id, "password", INVITE_TOKEN_SECONDS)
    mailer.send_to_user(user, "invite", {"link": mailer.link(f"/reset-password?token={link}")})


class AdminExists(Conflict):
    """`bootstrap_admin` refused: an admin (not disabled) exists. Never an API answer."""


def bootstrap_admin(*, email: str, name: str, language: str, operator: str) -> User:
    """The first admin of a deployed portal (`parley admin bootstrap`, run with the operator's
    AWS credentials); refused (AdminExists) while an admin who is not disabled exists. The
    account's id is derived from the admins seen, so runs at once that saw the same admins race
    for one conditional put and create one account between them. The invitation is queued for
    the account_mail handler like all account mail: the operator's machine issues no token and
    sends no mail."""
    email = check_email(email)
    admins, cursor = [], None
    while True:  # the staff index's one partition holds agents and admins; no index has roles
        page = store.list_staff("", 100, cursor)
        admins += [u for u in page.items if u.role == ADMIN]
        if not (cursor := page.cursor):
            break
    if any(admin.status != "disabled" for admin in admins):
        raise AdminExists("The portal already has an admin.")
    seen = ",".join(sorted(admin.user_id for admin in admins))
    user = store.UserModel(
        user_id=uuid.uuid5(_BOOTSTRAPS, seen).hex, email=email,
        name=name.strip()[:120] or email.split("@")[0], role=ADMIN, language=language,
        created_at=clock.now(), must_change_password=True,
    )
    store.create_user(user)  # Conflict: a concurrent run won, or the address has an account
    _queue_account_mail({"kind": "invite", "user_id": user.user_id})
    audit.record("user.create", actor=None, target=user.user_id,
                 details={"role": ADMIN, "via": "bootstrap", "operator": operator[:200]})
    return public_user(user)


def update_user(actor: Principal, user_id: str, changes: dict[str, Any]) -> User:
    """Admin edits: name, language, role, organization, organization view, teams, status.
    Sessions carry the role, the organization and its view, so a change to any of them, a team
    taken away or the account disabled ends the user's sessions: no request keeps rights the
    admin removed."""
    user = store.get_user(user_id)
    if user is None:
        raise NotFound("No such user.")
    before: dict[str, Any] = dict(public_user(user))  # compared with `after` field by field
    role = changes.get("role", user.role)
    if user_id == actor.user_id and role != user.role:
        raise Conflict("You cannot change your own role.", code="own_role")
    if user_id == actor.user_id and changes.get("status") == "disabled":
        raise Conflict("You cannot disable your own account.")
    customer = role == CUSTOMER
    # A customer moving to staff leaves the organization; staff becoming a customer leaves the
    # teams. Only what belongs to the new role is kept.
    if customer:
        org_id = changes.get("org_id", user.org_id)
        org_view = changes.get("org_view", user.org_view)
        team_ids = changes.get("team_ids", [])
    else:
        org_id, org_view = changes.get("org_id"), changes.get("org_view", False)
        team_ids = changes.get("team_ids", sorted(user.team_ids or []))
    # Only what changes is checked: a customer without an organization (self-registered) can
    # still be disabled, and a team since deleted does not block renaming its member.
    moved = role != user.role or org_id != user.org_id
    added = sorted(set(team_ids) - set(user.team_ids or []))
    _check_place(role, org_id, bool(org_view), team_ids, added, org_checked=moved)
    for field in ("name", "language"):
        if field in changes:
            setattr(user, field, changes[field].strip() if field == "name" else changes[field])
    user.role, user.org_id, user.org_view = role, org_id if customer else None, bool(org_view)
    user.team_ids = set(team_ids) or None
    if "status" in changes:
        user.status = changes["status"]
    store.save_user(user)
    answer = public_user(customers.changed(before, user))  # the customer directory too
    after: dict[str, Any] = dict(answer)
    changed = sorted(k for k in after if after[k] != before[k])
    lost_teams = set(before["team_ids"]) - set(after["team_ids"])
    ended = 0
    if lost_teams or {"status", "org_id", "org_view", "role"} & set(changed):
        ended = sessions.end_sessions(user_id)
    action = "user.disable" if after["status"] == "disabled" != before["status"] else "user.update"
    audit.record(action, actor=actor, target=user_id, details={
        "changed": changed,
        "changes": audit.differences(
            {k: before[k] for k in changed}, {k: after[k] for k in changed}
        ),
        "sessions_ended": ended,
    })
    return answer


def _check_place(
    role: str,
    org_id: str | None,
    org_view: bool,
    team_ids: list[str],
    added: list[str],
    *,
    org_checked: bool = True,
) -> None:
    """Where a user of this role may be: a customer in one existing organization and no team;
    agents and admins in no organization, and only in teams that exist (picked from the list:
    a misspelt team would route nothing to them, silently)."""
    if role not in ROLES:
        raise InvalidInput(f"role must be one of {', '.join(ROLES)}.")
    if role == CUSTOMER:
        if org_checked and (not org_id or org_store.get_org(org_id) is None):
            raise InvalidInput("A customer needs an existing organization.", code="unknown_org")
        if team_ids:
            raise InvalidInput("Customers do not belong to teams.", code="customer_teams")
        return
    if org_id or org_view:
        raise InvalidInput("Agents and admins do not belong to a customer organization.")
    if added:
        from chalicelib.data import teams as team_store

        known = {team.team_id for team in team_store.list_teams()}
        unknown = sorted(set(added) - known)
        if unknown:
            raise InvalidInput(
                f"No such team: {', '.join(unknown)}.", code="unknown_team",
                details=[{"field": "team_ids", "message": f"No such team: {team}"}
                         for team in unknown],
            )


def change_password(principal: Principal, current: str, new: str) -> str:
    """Returns a device cookie for the new password: the change revoked the old ones, and this
    browser has just proved it knows the password."""
    user = store.get_user(principal.user_id)
    if user is None or not passwords.verify_password(user.password_hash, current):
        audit.record("auth.password_change", actor=principal, outcome="failure")
        raise InvalidInput("The current password is wrong.", code="wrong_password")
    if new == current:
        raise InvalidInput(
            "Choose a password different from the current one.", code="weak_password"
        )
    passwords.check_new_password(new, email=user.email, name=user.name)
    user.password_hash = passwords.hash_password(new)
    user.must_change_password = False
    user.password_changed_at = clock.now()
    store.save_user(user)
    sessions.end_sessions(user.user_id, keep=principal.session_hash)
    current_session = session_store.get_session(principal.session_hash)
    if current_session:
        session_store.clear_password_flag(current_session)
    audit.record("auth.password_change", actor=principal, target=user.user_id)
    return throttles.device_cookie_for(user.email, user.password_changed_at)


def request_password_reset(email: str, caller: Anonymous) -> None:
    """The request path does the same work whether or not the account exists (the same calls
    in the same order: the source's and the address's mail caps, one queued message), so
    neither its answer nor its time tells them apart. Whether a link is sent is decided
    after the answer, by `send_account_mail`."""
    throttles.check_mail_request(caller.source_ip)
    try:
        email = check_email(email)
    except InvalidInput:
        return
    if not throttles.allow_account_mail("reset", email, PASSWORD_TOKEN_SECONDS):
        audit.record("auth.reset_request", actor=caller, actor_email=email, outcome="capped")
        return
    _queue_account_mail({"kind": "reset", "email": email, "source_ip": caller.source_ip})


def _send_reset_link(email: str, caller: Anonymous) -> None:
    user = store.find_user_by_email(email)
    if user is None or user.status == "disabled":
        audit.record("auth.reset_request", actor=caller, actor_email=email, outcome="unknown")
        return
    token = _issue_token(user.user_id, "password", PASSWORD_TOKEN_SECONDS)
    mailer.send_to_user(
        user, "password_reset", {"link": mailer.link(f"/reset-password?token={token}")}
    )
    audit.record("auth.reset_request", actor=caller, actor_email=email, target=user.user_id)


def check_password_link(token: str) -> None:
    """Whether a reset or invite link would still set a password, without spending it: the
    page says a spent or expired one is of no use before asking for a new password. Answers
    no more than confirming would (usable or not, never whose), for a token nobody can guess."""
    pending = token_store.get_valid_token(_hash(token), "password", clock.now())
    if _link_owner(pending) is None:
        raise InvalidInput(SPENT_LINK, code="invalid_token")


def _link_owner(token: token_store.TokenModel | None) -> store.UserModel | None:
    """The account a password link may still set the password of: none once the account is
    disabled, or when the link was sent before the password last changed (it must not undo
    that change)."""
    user = store.get_user(token.user_id) if token else None
    if user is None or token is None or user.status == "disabled":
        return None
    return None if _issued_before_last_change(token, user) else user


def confirm_password_reset(token: str, new: str, caller: Anonymous) -> str:
    """Reset links and invite links end here: set the password, end every session. Returns a
    device cookie for the new password: the reset revoked the old ones, and this browser has
    proved it reads the mailbox, so a lock someone keeps on the account must not shut it out."""
    token_hash = _hash(token)
    pending = token_store.get_valid_token(token_hash, "password", clock.now())
    preview = store.get_user(pending.user_id) if pending else None
    if preview is not None:
        passwords.check_new_password(new, email=preview.email, name=preview.name)
    consumed = token_store.consume_token(token_hash, "password", clock.now())
    user = _link_owner(consumed)
    if user is None:
        audit.record("auth.reset", actor=caller, outcome="failure")
        raise InvalidInput(SPENT_LINK, code="invalid_token")
    user.password_hash = passwords.hash_password(new)
    user.must_change_password = False
    user.password_changed_at = clock.now()
    if user.status == "unverified":
        # The link reached the mailbox, as a confirmation link would have; without this, an
        # account whose confirmation link expired (or that a stranger registered) is stuck.
        user.status = "active"
    store.save_user(user)
    sessions.end_sessions(user.user_id)
    audit.record("auth.reset", actor=caller, actor_email=user.email, target=user.user_id)
    return throttles.device_cookie_for(user.email, user.password_changed_at)


def register(email: str, name: str, password: str, language: str, caller: Anonymous) -> None:
    """Self-registration (off unless the admin enables it). The answer never says whether the
    address already had an account: the mailbox owner learns it by email. The request path
    does the same work either way (the password is hashed for both, then queued), so its time
    says nothing either; `send_account_mail` creates the account or mails its owner."""
    if not get_portal_settings().self_registration:
        raise NotFound("Self-registration is not enabled on this portal.", code="not_enabled")
    email = check_email(email)
    passwords.check_new_password(password, email=email, name=name)
    throttles.check_mail_request(caller.source_ip)
    if not throttles.allow_account_mail("register", email, throttles.HOUR):
        # Whether or not the address has an account: a capped address gets no mail either way
        audit.record("auth.register", actor=caller, actor_email=email, outcome="capped")
        return
    # Only the hash travels through the queue, never the password.
    _queue_account_mail({
        "kind": "register", "email": email, "name": name.strip()[:120], "language": language,
        "password_hash": passwords.hash_password(password), "source_ip": caller.source_ip,
        "request_id": uuid.uuid4().hex,
    })


def _finish_registration(request: dict[str, Any], caller: Anonymous) -> None:
    email = str(request["email"])
    # The account's id comes from the request: a repeated delivery recognises its own account.
    user_id = uuid.uuid5(_REGISTRATIONS, str(request.get("request_id") or email)).hex
    existing = store.find_user_by_email(email)
    if existing is not None and existing.user_id == user_id:
        if existing.status == "unverified":
            # An earlier delivery made the account and may have failed before its mail went:
            # a fresh link (each is single-use; the last one mailed works).
            _send_verification(existing)
        return
    if existing is not None:
        mailer.send_to_user(existing, "already_registered", {"link": mailer.link("/login")})
        audit.record("auth.register", actor=caller, actor_email=email, outcome="duplicate")
        return
    user = store.UserModel(
        user_id=user_id,
        email=email,
        name=str(request.get("name") or ""),
        role=CUSTOMER,
        status="unverified",
        language=str(request.get("language") or "en"),
        password_hash=str(request["password_hash"]),
        created_at=clock.now(),
    )
    try:
        store.create_user(user)
    except Conflict:
        return  # a concurrent registration of the same address won; same answer
    _send_verification(user)
    audit.record("auth.register", actor=caller, actor_email=email, target=user.user_id)


def _send_verification(user: store.UserModel) -> None:
    token = _issue_token(user.user_id, "verify", VERIFY_TOKEN_SECONDS)
    mailer.send_to_user(user, "verify_email", {"link": mailer.link(f"/verify?token={token}")})


def send_account_mail(body: str) -> None:
    """One queued account-mail request (the queue handler's record): decide, now that the
    caller has had its answer, whether and what to send. A repeated delivery of a reset
    sends a second link (harmless: each is single-use); of a registration, finds the account
    the first one made and does nothing more."""
    request = json.loads(body)
    caller = Anonymous(source_ip=request.get("source_ip"))
    if request.get("kind") == "reset":
        _send_reset_link(str(request["email"]), caller)
    elif request.get("kind") == "register":
        _finish_registration(request, caller)
    elif request.get("kind") == "invite":
        # A bootstrapped admin's invitation; once a password is chosen a repeat sends nothing.
        user = store.get_user(str(request["user_id"]), consistent=True)
        if user is not None and user.status != "disabled" and not user.password_hash:
            _send_invite(user)
    else:
        get_logger().warning("unknown account mail request", extra={"kind": request.get("kind")})


def _queue_account_mail(request: dict[str, Any]) -> None:
    queues.send(get_settings().account_mail_queue, request)


def verify_email(
    token: str, password: str, caller: Anonymous, user_agent: str | None = None
) -> sessions.SignedIn | SecondFactorNeeded:
    """Confirm a self-registered address, and sign in (with the second step, when required).
    The link proves the mailbox; the password the person who registered: else a stranger could
    register someone's address with a password of their own, and the owner's click would hand
    the stranger the account. Having proved both, the password is not asked again."""
    token_hash = _hash(token)
    pending = token_store.get_valid_token(token_hash, "verify", clock.now())
    user = store.get_user(pending.user_id) if pending else None
    if user is not None:
        # The locks of signing in: the link, valid for a day, must not be a way to guess the
        # password that now signs one in.
        throttles.check_allowed(user.email, caller.source_ip, False)
    if user is None or not passwords.verify_password(user.password_hash, password):
        if user is not None:
            throttles.record_failure(user.email, caller.source_ip)
        audit.record("auth.verify_email", actor=caller, outcome="failure")
        raise InvalidInput(
            "This link has expired, was already used, or the password does not match the one "
            "chosen at registration.",
            code="invalid_token",
        )
    if token_store.consume_token(token_hash, "verify", clock.now()) is None:
        raise InvalidInput("This link has expired or was already used.", code="invalid_token")
    if user.status == "unverified":
        user.status = "active"
        store.save_user(user)
    throttles.record_success(user.email)
    audit.record("auth.verify_email", actor=caller, actor_email=user.email, target=user.user_id)
    return finish_sign_in(user, caller, user_agent, method="password")


def _issued_before_last_change(token: token_store.TokenModel, user: store.UserModel) -> bool:
    issued = token.issued_at if token.issued_at is not None else 0.0
    return user.password_changed_at is not None and issued < user.password_changed_at


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _issue_token(user_id: str, purpose: str, seconds: int) -> str:
    token = secrets.token_urlsafe(32)
    now = clock.now()
    token_store.put_token(
        token_store.TokenModel(
            token_hash=_hash(token),
            purpose=purpose,
            user_id=user_id,
            issued_at=now,
            valid_until=now + seconds,
            expires_at=expiry(now + seconds + 86400),
        )
    )
    return token


def find_or_create_mail_customer(
    email: str, name: str, org_id: str, language: str, *, invite: bool
) -> store.UserModel:
    """The account of someone who wrote to the support address without having one (when the
    portal creates accounts for unknown senders): an unverified customer without a password,
    invited to choose one (the invitation link verifies the address). A repeated delivery, or
    two mails at once, find the account the first one created."""
    email = check_email(email)
    user = store.UserModel(
        user_id=uuid.uuid4().hex,
        email=email,
        name=(name or "").strip()[:120] or email.split("@")[0],
        role=CUSTOMER,
        status="unverified",
        org_id=org_id,
        language=language,
        created_at=clock.now(),
    )
    try:
        customers.added(store.create_user(user))
    except Conflict:
        existing = store.find_user_by_email(email)
        if existing is None:
            raise
        return existing
    if invite:
        link = _issue_token(user.user_id, "password", INVITE_TOKEN_SECONDS)
        mailer.send_to_user(user, "invite", {"link": mailer.link(f"/reset-password?token={link}")})
    audit.record("user.create", actor=None, target=user.user_id,
                 details={"role": CUSTOMER, "via": "inbound_mail"})
    return user


def get_user(user_id: str) -> User:
    user = store.get_user(user_id)
    if user is None:
        raise NotFound("No such user.")
    return public_user(user)


def list_users(
    *, org_id: str | None, name_prefix: str, limit: int, cursor: str | None
) -> tuple[list[User], str | None]:
    """Customers of one organization, or staff (agents and admins) by name prefix."""
    if org_id:
        page = store.list_org_users(org_id, limit, cursor)
    else:
        page = store.list_staff(name_prefix, limit, cursor)
    return [public_user(u) for u in page.items], page.cursor

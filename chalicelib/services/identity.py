"""Who an account is: its address, written one way, and what a client is shown of it.

Sign-in (sessions.py) and the account rules (users.py) both need these, and users.py ends
sessions: kept apart so that neither imports the other back."""

from __future__ import annotations

import re

from chalicelib.data import users as store
from chalicelib.errors import InvalidInput
from chalicelib.shapes.users import User

_EMAIL = re.compile(r"^[^@\s<>\"(),;:]+@[^@\s<>\"(),;:]+\.[^@\s<>\"(),;:]+$")


def normalize_email(email: str) -> str:
    return email.strip().casefold()


def check_email(email: str) -> str:
    email = normalize_email(email)
    if len(email) > 254 or not _EMAIL.match(email):
        raise InvalidInput("This is not a valid email address.", code="invalid_email")
    return email


def language_of(user: store.UserModel | None) -> str:
    """The language an account reads the portal and its mail in."""
    return str(user.language or "en") if user is not None else "en"


def reading_language(user_id: str) -> str:
    """The caller's language, for answers that name what the admin translated (topics,
    troubleshooters): one read of the account, which the profile keeps current."""
    return language_of(store.get_user(user_id))


def public_user(user: store.UserModel) -> User:
    return {
        "id": user.user_id,
        "email": user.email,
        "name": user.name,
        "role": user.role,
        "org_id": user.org_id,
        "org_view": user.org_view,
        "team_ids": sorted(user.team_ids or []),
        "language": user.language,
        "status": user.status,
        "must_change_password": user.must_change_password,
        "second_factors": sorted(user.second_factors or []),
    }

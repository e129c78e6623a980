"""Password hashing (argon2id) and the rules a new password must meet."""

from __future__ import annotations

import secrets
from functools import lru_cache
from typing import TYPE_CHECKING

from chalicelib.errors import InvalidInput

if TYPE_CHECKING:
    from argon2 import PasswordHasher

MIN_LENGTH = 10
MAX_LENGTH = 256  # argon2 handles more, but an unbounded body is a cheap denial of service

# OWASP Password Storage Cheat Sheet minimum for argon2id: m=19 MiB, t=2, p=1.
TIME_COST = 2
MEMORY_COST_KIB = 19 * 1024
PARALLELISM = 1


@lru_cache(maxsize=1)
def _hasher() -> PasswordHasher:
    from argon2 import PasswordHasher, Type

    return PasswordHasher(
        time_cost=TIME_COST, memory_cost=MEMORY_COST_KIB, parallelism=PARALLELISM, type=Type.ID
    )


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Always does one argon2 verification, so an unknown account costs the same time."""
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return _hasher().verify(stored_hash or _dummy_hash(), password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _hasher().check_needs_rehash(stored_hash)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher().hash(secrets.token_urlsafe(16))


def generate_temporary_password() -> str:
    # 16 URL-safe characters: ~96 bits, well clear of every common-password list.
    return secrets.token_urlsafe(12)


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def check_new_password(password: str, *, email: str = "", name: str = "") -> None:
    if len(password) < MIN_LENGTH:
        raise InvalidInput(
            f"The password must have at least {MIN_LENGTH} characters.", code="weak_password"
        )
    if len(password) > MAX_LENGTH:
        raise InvalidInput(
            f"The password must have at most {MAX_LENGTH} characters.", code="weak_password"
        )
    if password.casefold() in _common_passwords():
        raise InvalidInput("This password is too common; choose another.", code="weak_password")
    from zxcvbn import zxcvbn

    personal = [part for part in (email, email.split("@")[0], name, "parley") if part]
    # zxcvbn refuses input past 72 characters; a passphrase that long is strong by its length.
    if len(password) <= 72 and zxcvbn(password, user_inputs=personal)["score"] < 2:
        raise InvalidInput(
            "This password is too easy to guess; add unrelated words or characters.",
            code="weak_password",
        )

"""The rules a new password must meet, and how passwords are hashed."""

from __future__ import annotations

import argon2
import pytest

from chalicelib.errors import InvalidInput
from chalicelib.services import passwords

pytestmark = pytest.mark.unit


def refused(password: str, **personal: str) -> bool:
    try:
        passwords.check_new_password(password, **personal)
    except InvalidInput as exc:
        assert exc.code == "weak_password"
        return True
    return False


def test_ten_characters_is_the_minimum():
    assert refused("Zq8#wL1!x")
    assert not refused("Zq8#wL1!xT")


def test_an_unbounded_password_is_refused():
    assert refused("violet tractor " * 20)  # 300 characters
    assert not refused("violet tractor lantern quay")


@pytest.mark.parametrize("common", ["password123", "PASSWORD123", "1234567890", "qwertyuiop"])
def test_common_passwords_are_refused_in_any_case(common):
    assert refused(common)


def test_a_password_made_of_the_users_own_details_is_refused():
    personal = {"email": "nina.newcomer1@example.test", "name": "Nina Newcomer"}
    assert refused("nina.newcomer1", **personal)
    assert refused("nina.newcomer1@example.test", **personal)


def test_hashes_are_argon2id_at_or_above_the_owasp_minimums():
    parameters = argon2.extract_parameters(passwords.hash_password("violet tractor lantern quay"))
    assert parameters.type is argon2.Type.ID
    assert parameters.memory_cost >= 19456
    assert parameters.time_cost >= 2
    assert parameters.parallelism >= 1


def test_verification_accepts_only_the_right_password():
    stored = passwords.hash_password("violet tractor lantern quay")
    assert passwords.verify_password(stored, "violet tractor lantern quay")
    assert not passwords.verify_password(stored, "violet tractor lantern quaY")
    assert not passwords.verify_password(None, "violet tractor lantern quay")
    assert not passwords.verify_password("not a hash", "violet tractor lantern quay")
    assert not passwords.needs_rehash(stored)


def test_temporary_passwords_are_long_random_and_acceptable():
    issued = {passwords.generate_temporary_password() for _ in range(20)}
    assert len(issued) == 20
    for temporary in issued:
        assert len(temporary) >= 16
        assert not refused(temporary)

"""Passwords: one answer for a wrong email and a wrong password (both paying for argon2), argon2id
at or above the OWASP minimums, rehashing when the parameters change, and the rules a new
password must meet."""

from __future__ import annotations

import argon2
import pytest

from tests.conftest import PASSWORD
from tests.functional.auth_support import STRONG_PASSWORD

pytestmark = pytest.mark.functional

OWASP_MIN_MEMORY_KIB = 19456
OWASP_MIN_TIME_COST = 2
OWASP_MIN_PARALLELISM = 1


def stored_hash(user_id):
    from chalicelib.data.users import UserModel

    return UserModel.get(user_id, consistent_read=True).password_hash


@pytest.fixture
def argon2_verifications(monkeypatch):
    calls = []
    original = argon2.PasswordHasher.verify

    def counting(self, hash, password):
        calls.append(hash)
        return original(self, hash, password)

    monkeypatch.setattr(argon2.PasswordHasher, "verify", counting)
    return calls


@pytest.fixture
def stronger_hasher(monkeypatch):
    """The deployment raised the argon2 cost; put back the real hasher afterwards."""
    from chalicelib.services import passwords

    def raise_cost():
        monkeypatch.setattr(passwords, "MEMORY_COST_KIB", passwords.MEMORY_COST_KIB + 1024)
        monkeypatch.setattr(passwords, "TIME_COST", passwords.TIME_COST + 1)
        passwords._hasher.cache_clear()

    yield raise_cost
    monkeypatch.undo()
    passwords._hasher.cache_clear()
    passwords._dummy_hash.cache_clear()


def test_a_wrong_email_and_a_wrong_password_look_the_same_and_cost_the_same(
    api, make_user, argon2_verifications, fake_clock
):
    # Given a customer, and an agent invited by the admin who has no password yet
    email = make_user("customer")["email"]
    admin_token = api.login(make_user("admin")["email"])
    invited = {"email": "ivan@example.test", "name": "Ivan", "role": "agent"}
    assert api.call("POST", "/api/admin/users", invited, token=admin_token)[0] == 201

    answers = {}
    for label, attempt in {
        "wrong password": {"email": email, "password": "not the password"},
        "unknown email": {"email": "nobody@example.test", "password": "not the password"},
        "no password yet": {"email": invited["email"], "password": "not the password"},
    }.items():
        # When someone signs in with it
        argon2_verifications.clear()
        status, body, headers = api.call("POST", "/api/auth/login", attempt)
        answers[label] = (status, body, headers)
        # Then exactly one argon2 verification ran, so the time does not tell them apart
        assert len(argon2_verifications) == 1, label

    # And status, body and headers are identical
    first = answers["wrong password"]
    assert first[0] == 401 and first[1]["error"]["code"] == "invalid_credentials"
    for label, answer in answers.items():
        assert answer == first, label


def test_stored_hashes_are_argon2id_at_or_above_the_owasp_minimums(api, make_user, fake_clock):
    # Given a customer who chose a new password
    user = make_user("customer")
    token = api.login(user["email"])
    status, body, _ = api.call(
        "POST",
        "/api/auth/password",
        {"current_password": PASSWORD, "new_password": STRONG_PASSWORD},
        token=token,
    )
    assert status == 200, body

    # Then the stored hash is argon2id with at least the OWASP parameters
    stored = stored_hash(user["id"])
    assert STRONG_PASSWORD not in stored
    parameters = argon2.extract_parameters(stored)
    assert parameters.type is argon2.Type.ID
    assert parameters.memory_cost >= OWASP_MIN_MEMORY_KIB
    assert parameters.time_cost >= OWASP_MIN_TIME_COST
    assert parameters.parallelism >= OWASP_MIN_PARALLELISM


def test_signing_in_rehashes_a_password_stored_with_older_parameters(
    api, make_user, stronger_hasher, fake_clock
):
    # Given a customer whose password was hashed with the current parameters
    user = make_user("customer")
    before = stored_hash(user["id"])
    api.login(user["email"])
    assert stored_hash(user["id"]) == before  # with unchanged parameters, no rewrite

    # When the deployment raises the cost and the customer signs in
    stronger_hasher()
    api.login(user["email"])

    # Then the stored hash carries the new parameters and still opens the account
    after = argon2.extract_parameters(stored_hash(user["id"]))
    old = argon2.extract_parameters(before)
    assert (after.memory_cost, after.time_cost) == (old.memory_cost + 1024, old.time_cost + 1)
    api.login(user["email"])
    assert stored_hash(user["id"]) != before


@pytest.mark.parametrize(
    "weak",
    ["Zq8#wL1!x", "password123", "1234567890", "Qwertyuiop", "customer1@example.test"],
    ids=["nine characters", "common", "digits", "keyboard row", "own email"],
)
def test_weak_new_passwords_are_refused(api, make_user, weak, fake_clock):
    # Given a signed-in customer
    user = make_user("customer", email="customer1@example.test")
    token = api.login(user["email"])

    # When they choose a weak password
    status, body, _ = api.call(
        "POST",
        "/api/auth/password",
        {"current_password": PASSWORD, "new_password": weak},
        token=token,
    )

    # Then it is refused and the old password still works
    assert status == 400 and body["error"]["code"] == "weak_password", body
    api.login(user["email"])


def test_ten_characters_that_are_hard_to_guess_are_enough(api, make_user, fake_clock):
    user = make_user("customer")
    token = api.login(user["email"])

    status, body, _ = api.call(
        "POST",
        "/api/auth/password",
        {"current_password": PASSWORD, "new_password": "Zq8#wL1!xT"},
        token=token,
    )

    assert status == 200, body
    api.login(user["email"], "Zq8#wL1!xT")

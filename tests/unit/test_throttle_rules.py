"""How long a lock lasts after n failures, and which browsers count as known devices."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from chalicelib.config import get_settings
from chalicelib.services.throttles import (
    ACCOUNT,
    ADDRESS,
    WINDOW_SECONDS,
    device_cookie_for,
    device_version,
    is_current_device,
)

pytestmark = pytest.mark.unit


def test_an_account_gets_four_free_mistakes_then_a_30_second_lock():
    assert [ACCOUNT.lock_seconds(n) for n in range(1, 5)] == [0, 0, 0, 0]
    assert ACCOUNT.lock_seconds(5) == 30


def test_account_locks_double_up_to_the_window_and_stay_there():
    locks = [ACCOUNT.lock_seconds(n) for n in range(5, 30)]
    assert locks[:4] == [30, 60, 120, 240]
    assert max(locks) == 15 * 60 == locks[-1]
    # never longer than the window, so the owner is never locked out for longer than that
    assert max(locks) <= WINDOW_SECONDS


def test_an_address_gets_more_room_and_a_longer_ceiling():
    assert ADDRESS.lock_seconds(19) == 0
    assert ADDRESS.lock_seconds(20) == 60
    assert ADDRESS.lock_seconds(40) == 60 * 60


def test_a_device_cookie_is_bound_to_its_account_and_password():
    changed_at = 1_795_000_000.25
    mine = device_cookie_for("owner@example.test", changed_at)
    version = device_version("owner@example.test", mine)
    assert version is not None and is_current_device(version, changed_at)
    # Another account's cookie, or a cookie for an earlier password, is not this device
    assert device_version("other@example.test", mine) is None
    assert not is_current_device(version, changed_at + 1)
    assert not is_current_device(version, None)
    assert not is_current_device(None, changed_at)
    # Nor is a made-up, tampered or re-versioned cookie
    for forged in (None, "", "0" * 32, mine[:-1] + ("0" if mine[-1] != "0" else "1"),
                   "1" + mine, mine.split(".")[1]):
        assert device_version("owner@example.test", forged) is None, forged


@pytest.fixture
def signing_keys(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    def configure(current: str, previous: str = "") -> None:
        monkeypatch.setenv("PARLEY_SIGNING_KEY", current)
        monkeypatch.setenv("PARLEY_SIGNING_KEY_PREVIOUS", previous)
        get_settings.cache_clear()

    yield configure
    monkeypatch.undo()
    get_settings.cache_clear()


def test_a_device_cookie_from_before_a_key_rotation_counts_until_the_previous_key_is_cleared(
    signing_keys,
):
    # Given a browser that earned its device cookie before the signing key was rotated
    changed_at = 1_795_000_000.25
    signing_keys("the-old-key")
    earned = device_cookie_for("owner@example.test", changed_at)

    # When the key is rotated, the old one kept as the previous key
    signing_keys("the-new-key", previous="the-old-key")

    # Then the browser is still the owner's known device (the account lock spares it)
    version = device_version("owner@example.test", earned)
    assert version is not None and is_current_device(version, changed_at)
    # And the cookie it gets at its next sign-in is signed with the new key
    renewed = device_cookie_for("owner@example.test", changed_at)
    assert renewed != earned

    # When the previous key is cleared
    signing_keys("the-new-key")

    # Then the old cookie is no device any more, and the renewed one still is
    assert device_version("owner@example.test", earned) is None
    assert device_version("owner@example.test", renewed) is not None

"""`make bench`: how long password reset and registration take for an address with an account
and one without, through the Chalice test client on moto. The two medians should be alike:
the request path does the same work for both (services/users.py), and the mail is sent later
by the queue's handler. moto's milliseconds are the emulator's; the comparison is the point."""

from __future__ import annotations

import statistics
import time
from typing import Any

import tests.conftest  # noqa: F401 - test environment (fake credentials, stage) before app imports

STRONG_PASSWORD = "violet tractor lantern quay"


def medians(rounds: int = 30) -> dict[str, tuple[float, float]]:
    """{"reset" | "register": (known ms, unknown ms)}, medians over `rounds` each, the two
    kinds of address alternating so that drift in the machine touches both alike."""
    from chalice.test import Client
    from moto import mock_aws

    import app as app_module
    from chalicelib.adapters.aws import reset_clients
    from chalicelib.data import users as user_store
    from chalicelib.services import settings, throttles
    from chalicelib.services.passwords import hash_password
    from parley_dev.local.resources import create_resources
    from tests.conftest import Api

    # Each address is asked once, but every request comes from the one test client's address:
    # lift the per-source cap for the measurement only.
    throttles.MAIL_REQUESTS_PER_SOURCE_PER_HOUR = 10**9
    with mock_aws():
        reset_clients()
        settings.forget_cached_settings()
        create_resources()
        with Client(app_module.app, stage_name="test") as client:
            api = Api(client)
            password_hash = hash_password(STRONG_PASSWORD)
            known = [f"known{n}@bench.test" for n in range(rounds + 1)]
            for n, email in enumerate(known):
                user_store.create_user(user_store.UserModel(
                    user_id=f"bench-known-{n}", email=email, name="Known", role="customer",
                    password_hash=password_hash, created_at=time.time()))
            admin_hash = password_hash
            user_store.create_user(user_store.UserModel(
                user_id="bench-admin", email="admin@bench.test", name="Admin", role="admin",
                password_hash=admin_hash, created_at=time.time()))
            admin = api.login("admin@bench.test", STRONG_PASSWORD)
            api.call("PATCH", "/api/admin/settings", {"self_registration": True}, token=admin)
            results = {}
            for kind, path in (("reset", "/api/auth/password-reset"),
                               ("register", "/api/auth/register")):
                timings: dict[str, list[float]] = {"known": [], "unknown": []}
                _timed(api, path, _body(kind, known[-1]))  # warm: the queue's URL, settings
                for n in range(rounds):
                    for side, email in (("known", known[n]),
                                        ("unknown", f"{kind}-unknown{n}@bench.test")):
                        timings[side].append(_timed(api, path, _body(kind, email)))
                results[kind] = (statistics.median(timings["known"]),
                                 statistics.median(timings["unknown"]))
            return results


def _body(kind: str, email: str) -> dict[str, Any]:
    if kind == "reset":
        return {"email": email}
    return {"email": email, "name": "Nina Newcomer", "password": STRONG_PASSWORD}


def _timed(api: Any, path: str, body: dict[str, Any]) -> float:
    started = time.perf_counter()
    status, answer, _ = api.call("POST", path, body)
    elapsed = (time.perf_counter() - started) * 1000
    assert status == 202, answer
    return elapsed


def print_medians(rounds: int = 30) -> None:
    print(f"\nAccount mail requests, median ms over {rounds} addresses each "
          "(known / unknown address):")
    for kind, (known, unknown) in medians(rounds).items():
        print(f"  {kind:9} {known:7.1f} / {unknown:7.1f}")


if __name__ == "__main__":
    print_medians()

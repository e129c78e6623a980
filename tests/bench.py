"""`make bench`: what a customer's requests cost as the tables grow. A script, not a test.

Seeds 1,000 and then 100,000 messages of other customers, and measures one customer's list,
detail and reply through the Chalice test client on moto: p50 / p95 latency, DynamoDB calls per
route, and the ratio between the two sizes. moto is much slower than DynamoDB, so the absolute
milliseconds are the emulator's; the ratio and the call counts are the point.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from typing import Any

import tests.conftest  # noqa: F401 - test environment (fake credentials, stage) before app imports
from tests.functional.test_cost import dynamodb_calls
from tests.seeding import seed_other_customers

ROUNDS = 30
MESSAGES_PER_TICKET = 10


def _percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


def _measure(call: Callable[[], Any]) -> tuple[float, float, int]:
    timings = []
    calls = 0
    for _ in range(ROUNDS):
        with dynamodb_calls() as counter:
            started = time.perf_counter()
            call()
            timings.append((time.perf_counter() - started) * 1000)
        calls = sum(counter.values())
    return statistics.median(timings), _percentile(timings, 95), calls


def run_size(total_messages: int) -> dict[str, tuple[float, float, int]]:
    from chalice.test import Client
    from moto import mock_aws

    import app as app_module
    from chalicelib.adapters.aws import reset_clients
    from chalicelib.local.resources import create_resources
    from chalicelib.services import orgs, settings
    from tests.conftest import PASSWORD, Api

    with mock_aws():
        reset_clients()
        settings.forget_cached_settings()
        create_resources()
        with Client(app_module.app, stage_name="test") as client:
            api = Api(client)
            org = orgs.create_org(None, "Acme")
            from chalicelib.data import users as user_store
            from chalicelib.services.passwords import hash_password

            user_store.create_user(user_store.UserModel(
                user_id="bench-alice", email="alice@bench.test", name="Alice", role="customer",
                org_id=org["id"], password_hash=hash_password(PASSWORD), created_at=time.time(),
            ))
            token = api.login("alice@bench.test")
            for n in range(5):
                api.call("POST", "/api/portal/tickets", {
                    "topic": "general", "subject": f"Question {n}", "body": "Where is it?"},
                    token=token)
            _, listing, _ = api.call("GET", "/api/portal/tickets", token=token)
            ticket_id = listing["items"][0]["id"]
            started = time.perf_counter()
            seed_other_customers(total_messages // MESSAGES_PER_TICKET, MESSAGES_PER_TICKET,
                                 agents=["bench-agent"])
            print(flush=True); print(f"  seeded {total_messages:,} messages in {time.perf_counter() - started:.1f} s")
            replies = iter(range(10**6))
            return {
                "list": _measure(lambda: api.call("GET", "/api/portal/tickets", token=token)),
                "detail": _measure(
                    lambda: api.call("GET", f"/api/portal/tickets/{ticket_id}", token=token)),
                "reply": _measure(lambda: api.call(
                    "POST", f"/api/portal/tickets/{ticket_id}/messages",
                    {"body": f"reply {next(replies)}"}, token=token)),
            }


def main() -> None:
    sizes = (1_000, 100_000)
    results = {}
    for size in sizes:
        print(f"Measuring with {size:,} messages of other customers ({ROUNDS} rounds per route)...", flush=True)
        results[size] = run_size(size)
    print()
    print(f"{'route':8} {'size':>9} {'p50 ms':>8} {'p95 ms':>8} {'DynamoDB calls':>15}")
    for route in ("list", "detail", "reply"):
        for size in sizes:
            p50, p95, calls = results[size][route]
            print(f"{route:8} {size:>9,} {p50:8.1f} {p95:8.1f} {calls:>15}")
        ratio = results[sizes[1]][route][0] / results[sizes[0]][route][0]
        print(f"{route:8} {'ratio':>9} {ratio:8.2f}x p50 (100,000 / 1,000)")
    try:
        from tests.bench_mail import messages_per_second
    except ImportError:
        pass
    else:
        print(f"\nMail parser: {messages_per_second():.0f} messages/second over the corpora")
    print(json.dumps({str(k): v for k, v in results.items()}))


if __name__ == "__main__":
    main()

"""What a request costs in DynamoDB calls does not grow with the table.

Every DynamoDB call the app makes is recorded by a hook on botocore's API calls. Each route is
measured with 10 tickets in the tables and again with 10,000 more of other customers: no Scan,
ever, and the same fixed ceiling of calls per route at both sizes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from botocore.client import BaseClient

from tests.seeding import seed_other_customers

pytestmark = pytest.mark.functional

CEILING = 12  # DynamoDB calls any one request may make


@contextmanager
def dynamodb_calls() -> Iterator[Counter[str]]:
    calls: Counter[str] = Counter()
    original = BaseClient._make_api_call

    def recording(self: BaseClient, operation: str, params: dict) -> dict:
        if self.meta.service_model.service_name == "dynamodb":
            calls[operation] += 1
        return original(self, operation, params)

    BaseClient._make_api_call = recording  # type: ignore[method-assign]
    try:
        yield calls
    finally:
        BaseClient._make_api_call = original  # type: ignore[method-assign]


def measure(api, routes, tokens) -> dict[str, Counter[str]]:
    result = {}
    for name, (who, method, path, body) in routes.items():
        with dynamodb_calls() as calls:
            status, payload, _ = api.call(method, path, body, token=tokens[who])
        assert status < 400, (name, payload)
        result[name] = calls
    return result


def test_calls_per_route_do_not_grow_with_the_tables(api, make_org, make_user, fake_clock):
    # A frozen clock: the settings cache and the once-a-minute session refresh must not expire
    # between the two measurements (on a loaded machine they would, and add a call).
    acme = make_org("Acme")
    alice = make_user("customer", org_id=acme["id"], org_view=True)
    agent = make_user("agent")
    tokens = {"alice": api.login(alice["email"]), "agent": api.login(agent["email"])}
    ticket_ids = []
    for n in range(10):
        _, created, _ = api.call("POST", "/api/portal/tickets", {
            "topic": "general", "subject": f"Question {n}", "body": "Where is my order?"},
            token=tokens["alice"])
        ticket_ids.append(created["ticket"]["id"])
    tid = ticket_ids[0]
    api.call("POST", f"/api/console/tickets/{tid}/messages",
             {"action": "send_leave_open", "body": "On its way."}, token=tokens["agent"])
    routes = {
        "portal list": ("alice", "GET", "/api/portal/tickets", None),
        "portal list open, searched": ("alice", "GET", "/api/portal/tickets?status=open&q=question", None),
        "portal list org by creation": ("alice", "GET", "/api/portal/tickets?scope=org&sort=created", None),
        "portal detail": ("alice", "GET", f"/api/portal/tickets/{tid}", None),
        "portal poll": ("alice", "GET", f"/api/portal/tickets/{tid}/messages?after=1", None),
        "portal reply": ("alice", "POST", f"/api/portal/tickets/{tid}/messages", {"body": "Thanks"}),
        "portal inbox": ("alice", "GET", "/api/portal/folders/inbox", None),
        "portal counts": ("alice", "GET", "/api/portal/folders", None),
        "console open": ("agent", "GET", "/api/console/tickets", None),
        "console mine": ("agent", "GET", "/api/console/tickets?assignee=me", None),
        "console unassigned": ("agent", "GET", "/api/console/tickets?assignee=none", None),
        "console team": ("agent", "GET", "/api/console/tickets?team=support", None),
        "console search": ("agent", "GET", "/api/console/tickets?q=question", None),
        "console number": ("agent", "GET", "/api/console/tickets?q=%231001", None),
        "console detail": ("agent", "GET", f"/api/console/tickets/{tid}", None),
        "console answer": ("agent", "POST", f"/api/console/tickets/{tid}/messages",
                           {"action": "send_leave_open", "body": "Anything else?"}),
    }
    small = measure(api, routes, tokens)

    seed_other_customers(10_000, 0, agents=[agent["id"]])
    big = measure(api, routes, tokens)

    for name in routes:
        for size, calls in (("10", small[name]), ("10,000", big[name])):
            assert "Scan" not in calls, (name, size, calls)
            assert sum(calls.values()) <= CEILING, (name, size, calls)
    # Everything costs exactly the same at both sizes, except a search over the shared open
    # queue, which may read a few more pages to fill itself, never more than MAX_READS_PER_PAGE.
    for name in (n for n in routes if n != "console search"):
        assert sum(small[name].values()) == sum(big[name].values()), (name, small[name], big[name])

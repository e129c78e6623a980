"""`make bench`: what a customer's requests cost as the tables grow, and what each request and
event would be billed for. A script, not a test.

1. Growth. Seeds 1,000 and then 100,000 messages of other customers, and measures one customer's
   list, detail and reply through the Chalice test client on moto: p50 / p95 latency, DynamoDB
   calls per route, and the ratio between the two sizes. moto is much slower than DynamoDB, so
   the absolute milliseconds are the emulator's; the ratio and the call counts are the point.
2. Billing units, at 1,000 messages, for the requests a portal page and the console make and for
   the events a message sets off (the stream handler's mail, an inbound mail): DynamoDB calls,
   read and write request units (tests/bench_units.py), the other AWS requests, mail
   recipients, and the function's own CPU time (all but the time inside the emulator),
   for the session authorizer and the route separately, as they are separate Lambda functions.
   docs/deploy.md's cost estimate is built from these figures.
3. Cold import: `import app` against a bare `import chalice, boto3, pynamodb.models`
   (tests/bench_cold_start.py).
4. Search, at both sizes: p50 / p95 and DynamoDB calls per search (the console's and the
   portal's), and in the billing part the units the search index writes per message. The seeded
   tickets are in the posting lists of the words the searches read (SEARCHED_WORDS, every
   ticket); not every word of every seeded message is indexed: a search reads one page of one
   list whatever else the table holds, and moto, which scans a table on every query, would time
   only itself.

`python -m tests.bench --quick` measures at 1,000 messages only, with fewer rounds.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import tests.conftest  # noqa: F401 - test environment (fake credentials, stage) before app imports
from tests.bench_units import metered
from tests.seeding import seed_other_customers

MESSAGES_PER_TICKET = 10
GROWTH_ROUTES = ("list", "detail", "reply")
# Words of the seeded tickets (titles "Seeded question <n>", messages "Seeded message ... of
# ticket <n>") whose staff postings are seeded: every seeded ticket is in these lists.
SEARCHED_WORDS = ("seeded", "question", "message", "ticket")


@dataclass
class Cost:
    """One request or event: medians over the timed rounds, units from one metered round."""

    dynamodb_calls: int
    rru: float
    wru: float
    other_requests: dict[str, int]
    mail_recipients: int
    own_ms: float  # the function's own CPU time: everything but the time inside the emulator
    authorizer: bool
    authorizer_dynamodb_calls: int
    authorizer_rru: float
    authorizer_wru: float
    authorizer_own_ms: float
    p50_ms: float
    p95_ms: float


def _percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def _measure(
    work: Callable[[], Any], rounds: int, prepare: Callable[[], Any] | None = None
) -> Cost:
    """Time `work` over `rounds` (each after an unmetered `prepare`), then run it once more
    metered for its units (the metering's own reads would distort a timed round)."""
    walls, own, authorizer_own = [], [], []
    for _ in range(rounds):
        if prepare:
            prepare()
        with metered(units=False) as meter:
            started, cpu_started = time.perf_counter(), time.thread_time()
            work()
            wall, cpu = time.perf_counter() - started, time.thread_time() - cpu_started
        walls.append(wall * 1000)
        own.append((cpu - meter.authorizer_seconds - meter.handler.aws_seconds) * 1000)
        authorizer_own.append((meter.authorizer_seconds - meter.authorizer.aws_seconds) * 1000)
    if prepare:
        prepare()
    with metered() as meter:
        work()
    handler, authorizer = meter.handler, meter.authorizer
    return Cost(
        dynamodb_calls=handler.dynamodb_calls,
        rru=handler.rru,
        wru=handler.wru,
        other_requests=handler.other_calls(),
        mail_recipients=handler.recipients,
        own_ms=statistics.median(own),
        authorizer=meter.authorizer_seconds > 0,
        authorizer_dynamodb_calls=authorizer.dynamodb_calls,
        authorizer_rru=authorizer.rru,
        authorizer_wru=authorizer.wru,
        authorizer_own_ms=statistics.median(authorizer_own),
        p50_ms=statistics.median(walls),
        p95_ms=_percentile(walls, 95),
    )


class World:
    """Alice (a customer of Acme) with a few tickets, an agent of the support team, and the
    messages table's stream as Lambda reads it."""

    def __init__(self, api: Any) -> None:
        from chalicelib.data import users as user_store
        from chalicelib.services import orgs
        from chalicelib.services.passwords import hash_password
        from tests.conftest import PASSWORD

        self.api = api
        org = orgs.create_org(None, "Acme")
        password_hash = hash_password(PASSWORD)
        for user_id, email, role, org_id, teams in (
            ("bench-alice", "alice@bench.test", "customer", org["id"], None),
            ("bench-agent", "agent@bench.test", "agent", None, {"support"}),
        ):
            user_store.create_user(user_store.UserModel(
                user_id=user_id, email=email, name=email.split("@")[0].title(), role=role,
                org_id=org_id, password_hash=password_hash, team_ids=teams,
                created_at=time.time(),
            ))
        self.sign_in_again()
        self.ticket_id = self.open_ticket("Question 0")
        for n in range(1, 5):
            self.open_ticket(f"Question {n}")
        self.stream: Any = None
        self.counter = iter(range(10**6))

    def later(self, seconds: float) -> None:
        """Move the app's clock on (the session's idle refresh, mail windows)."""
        from chalicelib import clock

        if not hasattr(self, "_offset"):
            real_now = clock.now
            self._offset = 0.0
            clock.now = lambda: real_now() + self._offset  # type: ignore[assignment]
        self._offset += seconds

    def a_minute_on(self) -> None:
        """A minute later, so the next request pays the session's once-a-minute refresh. The
        count is a poll, which never counts as the person's activity: every 20 minutes they
        sign in again, or the idle timeout would end the session under the benchmark."""
        self._minutes = getattr(self, "_minutes", 0) + 1
        if self._minutes % 20 == 0:
            self.sign_in_again()
        self.later(61)

    def sign_in_again(self) -> None:
        self.alice = self.api.login("alice@bench.test")
        self.agent = self.api.login("agent@bench.test")

    def open_ticket(self, subject: str) -> str:
        status, created, _ = self.api.call(
            "POST", "/api/portal/tickets",
            {"topic": "general", "subject": subject, "body": "Where is my order?"},
            token=self.alice)
        assert status == 201, created
        return str(created["ticket"]["id"])

    def customer(self, method: str, path: str, body: Any = None) -> Any:
        status, payload, _ = self.api.call(method, path, body, token=self.alice)
        assert status < 300, (path, payload)
        return payload

    def console(self, method: str, path: str, body: Any = None) -> Any:
        status, payload, _ = self.api.call(method, path, body, token=self.agent)
        assert status < 300, (path, payload)
        return payload

    def answer(self, ticket_id: str) -> None:
        self.console("POST", f"/api/console/tickets/{ticket_id}/messages",
                     {"action": "send_leave_open", "body": f"Answer {next(self.counter)}."})


def growth(world: World, rounds: int) -> dict[str, Cost]:
    tid = world.ticket_id
    replies = iter(range(10**6))
    return {
        "list": _measure(lambda: world.customer("GET", "/api/portal/tickets"), rounds),
        "detail": _measure(lambda: world.customer("GET", f"/api/portal/tickets/{tid}"), rounds),
        "reply": _measure(lambda: world.customer(
            "POST", f"/api/portal/tickets/{tid}/messages", {"body": f"reply {next(replies)}"}),
            rounds),
    }


SEARCHES = {
    "console: a word of every ticket": ("console", "question"),
    "console: two words": ("console", "seeded question"),
    "console: an address": ("console", "alice@bench.test"),
    "portal: a word of a message": ("customer", "order"),
    "portal: two words, any order": ("customer", "order where"),
}


def searches(world: World, rounds: int) -> dict[str, Cost]:
    """The lists' search, once the messages stream has reached the index."""
    from urllib.parse import quote

    from tests.functional.search_support import index_messages

    def search(side: str, q: str) -> Callable[[], Any]:
        path = f"/api/{'console' if side == 'console' else 'portal'}/tickets?q={quote(q)}"
        return lambda: getattr(world, side)("GET", path)

    index_messages()
    rounds = max(5, rounds // 3)  # moto scans the table on every query: seconds at 100,000
    return {name: _measure(search(side, q), rounds) for name, (side, q) in SEARCHES.items()}


def billing(world: World, rounds: int) -> dict[str, Cost]:
    """Every request a page makes in a visit, and the work a message sets off afterwards."""
    from parley_dev.local.pump import FakeContext
    from tests.functional.notification_support import Stream, handler

    tid = world.ticket_id
    world.answer(tid)  # an assigned conversation, as most are
    last_seq = world.customer("GET", f"/api/portal/tickets/{tid}/messages")["last_seq"]
    results = {
        "sign-in": _measure(lambda: world.api.login("alice@bench.test"), max(3, rounds // 3)),
        "portal: list": _measure(lambda: world.customer("GET", "/api/portal/tickets"), rounds),
        "portal: ticket": _measure(
            lambda: world.customer("GET", f"/api/portal/tickets/{tid}"), rounds),
        "portal: poll": _measure(lambda: world.customer(
            "GET", f"/api/portal/tickets/{tid}/messages?after={last_seq}"), rounds),
        "portal: folder counts": _measure(
            lambda: world.customer("GET", "/api/portal/folders"), rounds),
        "unread count": _measure(
            lambda: world.customer("GET", "/api/notifications/unread-count"), rounds),
        "portal: reply": _measure(lambda: world.customer(
            "POST", f"/api/portal/tickets/{tid}/messages",
            {"body": f"Reply {next(world.counter)}"}), rounds),
        "portal: new ticket": _measure(
            lambda: world.open_ticket(f"New {next(world.counter)}"), rounds),
        "console: list": _measure(lambda: world.console("GET", "/api/console/tickets"), rounds),
        "console: ticket": _measure(
            lambda: world.console("GET", f"/api/console/tickets/{tid}"), rounds),
        "console: answer": _measure(lambda: world.answer(tid), rounds),
        # The authorizer refreshes a session's idle clock at most once a minute: a page open for
        # a while pays this on about every other 30-second refresh.
        "unread count, a minute on": _measure(
            lambda: world.customer("GET", "/api/notifications/unread-count"), rounds,
            prepare=world.a_minute_on),
    }
    world.sign_in_again()  # the agent's idle timeout may have passed on the moved clock

    # The stream handler, on what one message wrote. Each round on a ticket of its own, so the
    # per-ticket mail cap never holds a mail back.
    stream = Stream()
    pending: dict[str, list[dict[str, Any]]] = {}

    def after(action: Callable[[], Any]) -> Callable[[], None]:
        """Set the scene, then keep only what the action's last step (the message) wrote."""
        def prepare() -> None:
            action()
            pending["records"] = stream.read()
        return prepare

    def deliver() -> None:
        result = stream.deliver(pending["records"])
        assert not result.get("batchItemFailures"), result

    def customer_reply_on_assigned_ticket() -> None:
        ticket = world.open_ticket(f"Assigned {next(world.counter)}")
        world.answer(ticket)
        stream.read()
        world.customer("POST", f"/api/portal/tickets/{ticket}/messages", {"body": "And now?"})

    def agent_answer_on_fresh_ticket() -> None:
        ticket = world.open_ticket(f"To answer {next(world.counter)}")
        stream.read()
        world.answer(ticket)

    def new_ticket() -> None:
        stream.read()
        world.open_ticket(f"Fresh {next(world.counter)}")

    def index() -> None:
        result = handler("index_messages")({"Records": pending["records"]}, FakeContext())
        assert not (result or {}).get("batchItemFailures"), result

    event_rounds = max(3, rounds // 2)
    results["stream: new ticket"] = _measure(deliver, event_rounds, after(new_ticket))
    results["stream: customer reply"] = _measure(
        deliver, event_rounds, after(customer_reply_on_assigned_ticket))
    results["stream: agent answer"] = _measure(
        deliver, event_rounds, after(agent_answer_on_fresh_ticket))
    results["search index: new ticket"] = _measure(index, event_rounds, after(new_ticket))
    results["search index: reply"] = _measure(
        index, event_rounds, after(customer_reply_on_assigned_ticket))
    results["search index: answer"] = _measure(
        index, event_rounds, after(agent_answer_on_fresh_ticket))
    results["inbound mail"] = _inbound(event_rounds)
    return results


def _inbound(rounds: int) -> Cost:
    """One mail from Alice, as SES hands it over (the raw message stored, the notification
    queued); what is measured is the handler's invocation."""
    from chalicelib.adapters.aws import client
    from chalicelib.config import get_settings
    from parley_dev.local.inbound import receive_mail
    from parley_dev.local.pump import FakeContext
    from tests.functional.inbound_support import make_mail, sqs_record
    from tests.functional.notification_support import handler

    sqs = client("sqs")
    url = sqs.get_queue_url(QueueName=get_settings().inbound_queue)["QueueUrl"]
    numbers = iter(range(10**6))
    event: dict[str, Any] = {}

    def prepare() -> None:
        n = next(numbers)
        receive_mail(make_mail(sender="alice@bench.test", subject=f"By mail {n}",
                               body=f"Mail number {n}.", message_id=f"<bench-{n}@mail.example>"))
        (message,) = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        event["Records"] = [sqs_record(message["Body"], message["MessageId"])]

    def deliver() -> None:
        result = handler("inbound_mail")(event, FakeContext())
        assert not (result or {}).get("batchItemFailures"), result

    return _measure(deliver, rounds, prepare)


def run_size(total_messages: int, rounds: int, with_billing: bool) -> dict[str, dict[str, Cost]]:
    from chalice.test import Client
    from moto import mock_aws

    import app as app_module
    from chalicelib.adapters.aws import reset_clients
    from chalicelib.services import settings
    from parley_dev.local.resources import create_resources
    from tests.conftest import Api

    with mock_aws():
        reset_clients()
        settings.forget_cached_settings()
        create_resources()
        with Client(app_module.app, stage_name="test") as client:
            world = World(Api(client))
            started = time.perf_counter()
            seed_other_customers(total_messages // MESSAGES_PER_TICKET, MESSAGES_PER_TICKET,
                                 agents=["bench-agent"], staff_words=SEARCHED_WORDS)
            print(f"  seeded {total_messages:,} messages in {time.perf_counter() - started:.1f} s",
                  flush=True)
            results = {"growth": growth(world, rounds), "search": searches(world, rounds)}
            if with_billing:
                results["billing"] = billing(world, rounds)
            return results


def _print_growth(sizes: tuple[int, ...], results: dict[int, dict[str, dict[str, Cost]]]) -> None:
    print()
    print(f"{'route':8} {'size':>9} {'p50 ms':>8} {'p95 ms':>8} {'DynamoDB calls':>15}")
    for route in GROWTH_ROUTES:
        for size in sizes:
            cost = results[size]["growth"][route]
            calls = cost.dynamodb_calls + cost.authorizer_dynamodb_calls
            print(f"{route:8} {size:>9,} {cost.p50_ms:8.1f} {cost.p95_ms:8.1f} {calls:>15}")
        if len(sizes) > 1:
            ratio = results[sizes[-1]]["growth"][route].p50_ms / results[sizes[0]]["growth"][
                route].p50_ms
            print(f"{route:8} {'ratio':>9} {ratio:8.2f}x p50 ({sizes[-1]:,} / {sizes[0]:,})")


def _print_search(sizes: tuple[int, ...], results: dict[int, dict[str, dict[str, Cost]]]) -> None:
    print()
    print(f"{'search':34} {'size':>9} {'p50 ms':>8} {'p95 ms':>8} {'DynamoDB calls':>15} "
          f"{'RRU':>6}")
    for name in SEARCHES:
        for size in sizes:
            cost = results[size]["search"][name]
            calls = cost.dynamodb_calls + cost.authorizer_dynamodb_calls
            print(f"{name:34} {size:>9,} {cost.p50_ms:8.1f} {cost.p95_ms:8.1f} {calls:>15} "
                  f"{cost.rru:6.1f}")
    print("(the authorizer's call is counted; moto scans a table on every query, so its time "
          "grows with the table where DynamoDB's does not)")


def _print_billing(size: int, billing: dict[str, Cost]) -> None:
    print()
    print(f"Billing units per request or event, at {size:,} messages (own ms: the function's "
          "median CPU time, the emulator's excluded)")
    print(f"{'':26} {'DynamoDB':>8} {'RRU':>6} {'WRU':>6} {'own ms':>7}  "
          f"{'authorizer: calls':>17} {'RRU':>5} {'own ms':>7}  {'mail to':>7}  other AWS requests")
    for name, cost in billing.items():
        authorizer = (
            f"{cost.authorizer_dynamodb_calls:>17} {cost.authorizer_rru:5.1f} "
            f"{cost.authorizer_own_ms:7.1f}" if cost.authorizer else f"{'-':>17} {'':5} {'':7}"
        )
        other = ", ".join(f"{k} {v}" for k, v in cost.other_requests.items()) or "-"
        print(f"{name:26} {cost.dynamodb_calls:>8} {cost.rru:6.1f} {cost.wru:6.1f} "
              f"{cost.own_ms:7.1f}  {authorizer}  {cost.mail_recipients:>7}  {other}")
    touch = billing["unread count, a minute on"]
    print(f"(the authorizer writes {touch.authorizer_wru:.1f} WRU when it refreshes a session's "
          "idle clock, at most once a minute; the other rows are within the minute)")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="1,000 messages only, fewer rounds (per-request units are the same)")
    args = parser.parse_args()
    sizes = (1_000,) if args.quick else (1_000, 100_000)
    rounds = 10 if args.quick else 30
    results = {}
    for size in sizes:
        print(f"Measuring with {size:,} messages of other customers ({rounds} rounds per route)...",
              flush=True)
        results[size] = run_size(size, rounds, with_billing=size == sizes[0])
    _print_growth(sizes, results)
    _print_search(sizes, results)
    _print_billing(sizes[0], results[sizes[0]]["billing"])
    from tests.bench_account_mail import print_medians

    print_medians(rounds)
    from tests.bench_cold_start import print_ratio

    print_ratio()
    try:
        from tests.bench_mail import messages_per_second
    except ImportError:
        pass
    else:
        print(f"\nMail parser: {messages_per_second():.0f} messages/second over the corpora")
    print(json.dumps({
        str(size): {part: {name: asdict(cost) for name, cost in costs.items()}
                    for part, costs in parts.items()}
        for size, parts in results.items()
    }))


if __name__ == "__main__":
    main()

"""The browser tier: Playwright for Python driving the system's Chromium (headless) against the
whole local stack, `parley dev` started once per session on a free port.

Playwright's own browser download is never used: the tests run the Chromium the machine has
(/usr/bin/chromium, or PARLEY_CHROMIUM). Without one they fail, saying what to install:
skipped, the tier would pass on a machine that never opened a page.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.browser.support import ARTIFACTS, DEMO_PASSWORD, PROJECT_DIR, wait_for

CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync",
]


def chromium_path() -> str | None:
    for candidate in (os.environ.get("PARLEY_CHROMIUM"), "/usr/bin/chromium",
                      shutil.which("chromium"), shutil.which("chromium-browser")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


NO_CHROMIUM = ("no Chromium on this machine (apt-get install chromium, or set PARLEY_CHROMIUM): "
               "the browser tier needs one")


# ---------------------------------------------------------------------------------------------
# The local stack


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _stack_environment() -> dict[str, str]:
    # The stack sets its own stage and emulator; nothing of the test harness's environment
    # (stage "test", fake credentials, table prefix) may leak into it.
    return {k: v for k, v in os.environ.items() if not k.startswith(("PARLEY_", "AWS_"))}


@dataclass
class Stack:
    url: str
    process: subprocess.Popen[bytes]
    state_file: Path  # where `parley dev` names its emulator, for `parley mail receive`
    tokens: dict[str, str] = field(default_factory=dict)

    def call(self, method: str, path: str, body: Any = None, token: str | None = None) -> Any:
        """The API as a non-browser client (Bearer token)."""
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method)  # noqa: S310
        request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - local
                raw = response.read()
        except urllib.error.HTTPError as exc:
            raise AssertionError(f"{method} {path}: {exc.code} {exc.read()[:500]!r}") from exc
        return json.loads(raw) if raw else None

    def token(self, email: str, password: str = DEMO_PASSWORD) -> str:
        if email not in self.tokens:
            answer = self.call("POST", "/api/auth/login", {"email": email, "password": password})
            self.tokens[email] = answer["token"]
        return self.tokens[email]

    def receive_mail(self, raw: bytes, **verdicts: str) -> str:
        """A message delivered into the stack as SES would (`parley mail receive`, verdicts
        such as spam="FAIL"); returns its delivery id. The stack's pump then handles it."""
        options = [part for name, value in verdicts.items() for part in (f"--{name}", value)]
        received = subprocess.run(  # noqa: S603 - our own CLI
            [sys.executable, "-c", "import sys; from parley_dev.cli import main; sys.exit(main())",
             "mail", "receive", "-", *options],
            cwd=PROJECT_DIR, input=raw, capture_output=True, timeout=60,
            env={**_stack_environment(), "PARLEY_DEV_STATE": str(self.state_file)},
        )
        assert received.returncode == 0, received.stderr.decode(errors="replace")
        return received.stdout.decode().strip()

    def seed_thread(self, ticket_id: str, bodies: list[str]) -> None:
        """Public messages appended straight into the stack's tables (tests/seeding.py), for
        tests about reading a long thread rather than writing one: one batch instead of a
        request per message."""
        script = (
            "import json, sys\n"
            "from parley_dev.cli.mail import _use_local_stack\n"
            "assert _use_local_stack(None, 'seed')\n"
            "from tests.seeding import seed_thread\n"
            "bodies = json.load(sys.stdin)\n"
            f"seed_thread({ticket_id!r}, ['public'] * len(bodies), bodies)\n"
        )
        seeded = subprocess.run(  # noqa: S603 - our own interpreter and a fixed script
            [sys.executable, "-c", script], cwd=PROJECT_DIR, input=json.dumps(bodies).encode(),
            capture_output=True, timeout=60,
            env={**_stack_environment(), "PARLEY_DEV_STATE": str(self.state_file)},
        )
        assert seeded.returncode == 0, seeded.stderr.decode(errors="replace")
        # The burst goes through the messages stream like any write: let the pump work through
        # it here, or a later test's live pushes would queue behind it.
        wait_for(lambda: self.call("GET", "/dev/pump/drained")["drained"] or None,
                 "the event pump catching up with the seeded thread", timeout=180)

    def delivery(self, delivery_id: str, status: str) -> dict[str, Any]:
        """The inbound log's entry for a delivery, once it has reached `status`."""
        token = self.token("agent@parley.test")

        def entry() -> dict[str, Any] | None:
            items = self.call("GET", f"/api/admin/inbound?status={status}&limit=100",
                              token=token)["items"]
            return next((item for item in items if item["id"] == delivery_id), None)

        return wait_for(entry, f"delivery {delivery_id} becoming {status}", timeout=30)

    def wait_for_feed(self, email: str, unread: int, *, read_too: bool = False) -> None:
        """Wait until the event pump has written `unread` feed items for the user: the feed is
        filled from the messages stream, after the request that wrote the message returned.
        `read_too`: count items written already read (the user had the ticket open)."""

        def counted() -> int:
            if read_too:
                return len(self.call("GET", "/api/notifications",
                                     token=self.tokens[email])["items"])
            return int(self.call("GET", "/api/notifications/unread-count",
                                 token=self.tokens[email])["unread"])

        wait_for(lambda: True if counted() >= unread else None,
                 f"{email} having {unread} {'' if read_too else 'unread '}notifications",
                 timeout=30)

    def wait_for_search(self, email: str, q: str, count: int, scope: str = "mine") -> None:
        """Wait until the search index finds `count` tickets for the customer: it is written
        from the messages stream (services/search.py), after the requests returned."""
        path = f"/api/portal/tickets?scope={scope}&q={urllib.parse.quote(q)}"
        wait_for(lambda: True if len(self.call("GET", path, token=self.tokens[email])["items"])
                 >= count else None,
                 f"the search index finding {count} tickets for {q!r}", timeout=30)

    def mails_to(self, address: str) -> list[dict[str, Any]]:
        items = self.call("GET", "/dev/mail?format=json")["items"]
        return [m for m in items if address.lower() in m["to"].lower()]

    def new_customer(self, name: str, *, org_id: str = "acme", change_password: bool = True,
                     language: str = "en", org_view: bool = False, email: str | None = None
                     ) -> tuple[str, str]:
        return self.new_user(name, role="customer", org_id=org_id, org_view=org_view,
                             change_password=change_password, language=language, email=email)

    def new_user(self, name: str, *, role: str, org_id: str | None = None,
                 org_view: bool = False, change_password: bool = True, language: str = "en",
                 email: str | None = None) -> tuple[str, str]:
        """A user created by the admin with a temporary password (read from the local mail
        page); with change_password, already changed to a known one through the API."""
        domain = "acme.test" if role == "customer" else "parley.test"
        email = email or f"{role[0]}-{uuid.uuid4().hex[:10]}@{domain}"
        self.call("POST", "/api/admin/users", {
            "email": email, "name": name, "role": role, "org_id": org_id, "org_view": org_view,
            "team_ids": [] if role == "customer" else ["support"],
            "delivery": "password", "language": language,
        }, token=self.token("admin@parley.test"))
        temporary = self.temporary_password(email)
        if not change_password:
            return email, temporary
        password = f"Fresh harbour {uuid.uuid4().hex[:8]} lantern"
        login = {"email": email, "password": temporary}
        token = self.call("POST", "/api/auth/login", login)["token"]
        self.call("POST", "/api/auth/password",
                  {"current_password": temporary, "new_password": password}, token=token)
        self.tokens[email] = token
        return email, password

    def mailed_link(self, email: str, pattern: str) -> str:
        """The first link matching `pattern` in mail to `email`, waiting for it: account mail
        (reset, registration) is sent by the queue's handler after the request answered."""
        def link() -> str | None:
            return next((found.group(0) for mail in self.mails_to(email)
                         if (found := re.search(pattern, mail["text"]))), None)

        return wait_for(link, f"a link matching {pattern!r} mailed to {email}")

    def temporary_password(self, email: str) -> str:
        def password() -> str | None:
            return next((found.group(1) for mail in self.mails_to(email) if (found := re.search(
                r"(?:Temporary password|Mot de passe temporaire|Hasło tymczasowe)\s*:\s*(\S+)",
                mail["text"]))), None)

        return wait_for(password, f"a temporary password mailed to {email}")


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    if not chromium_path():
        pytest.fail(NO_CHROMIUM, pytrace=False)
    ARTIFACTS.mkdir(exist_ok=True)
    port = _free_port()
    # Its own state file: a `make run` on the same checkout keeps the default one.
    state_file = tmp_path_factory.mktemp("stack") / "parley-dev.json"
    env = {**_stack_environment(), "POWERTOOLS_LOG_LEVEL": "ERROR",
           "PARLEY_DEV_STATE": str(state_file),
           # A console page beats every 2 s instead of 5 (parley_dev/cli/dev.py): a test sees
           # who else is on a conversation as a person would, sooner.
           "PARLEY_DEV_PRESENCE_HEARTBEAT_SECONDS": "2"}
    # One stack per test worker (make test runs on every core), each with its own log.
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    log = (ARTIFACTS / f"browser-stack{'-' + worker if worker else ''}.log").open("wb")
    process = subprocess.Popen(  # noqa: S603 - our own CLI
        [sys.executable, "-c", "import sys; from parley_dev.cli import main; sys.exit(main())",
         "dev", "--port", str(port)],
        cwd=PROJECT_DIR, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"parley dev exited with {process.returncode}; see {log.name}")
        try:
            with urllib.request.urlopen(url + "/api/health", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    break
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"parley dev did not answer within 90 s; see {log.name}")
        time.sleep(0.25)
    running = Stack(url=url, process=process, state_file=state_file)
    try:
        yield running
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log.close()


# ---------------------------------------------------------------------------------------------
# Browsers and pages


@pytest.fixture(scope="session")
def launch_chromium() -> Iterator[Callable[..., Any]]:
    """Launches the machine's Chromium, with Playwright's launch options (`env`, say: a test of
    fonts gives its own fontconfig); the caller closes what it launched. One Playwright serves
    the session: its sync API refuses a second one in the same thread."""
    from playwright.sync_api import sync_playwright

    path = chromium_path()
    if not path:
        pytest.fail(NO_CHROMIUM, pytrace=False)
    with sync_playwright() as playwright:
        yield lambda **options: playwright.chromium.launch(
            executable_path=path, args=CHROMIUM_ARGS, **options)


@pytest.fixture(scope="session")
def browser(launch_chromium: Callable[..., Any]) -> Iterator[Any]:
    launched = launch_chromium()
    yield launched
    launched.close()


@dataclass
class Watched:
    """A page with what it said: console errors, uncaught exceptions, dialogs."""

    page: Any
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def csp_violations(self) -> list[str]:
        return [e for e in self.errors if "Content Security Policy" in e]


@pytest.fixture
def open_page(browser: Any, stack: Stack) -> Iterator[Callable[..., Watched]]:
    contexts = []

    def make(width: int = 1280, height: int = 860, locale: str = "en-GB") -> Watched:
        context = browser.new_context(
            viewport={"width": width, "height": height}, base_url=stack.url,
            accept_downloads=True, locale=locale,
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        watched = Watched(page)
        page.on("console", lambda m: watched.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: watched.errors.append(f"uncaught: {e}"))

        def on_dialog(dialog: Any) -> None:
            watched.dialogs.append(dialog.message)
            dialog.dismiss()

        page.on("dialog", on_dialog)
        return watched

    yield make
    for context in contexts:
        context.close()

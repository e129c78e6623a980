"""The local stack's OpenID provider: the certified `oidc-provider` from npm, run by Node.js
(parley_dev/local/oidc/provider.mjs, its packages pinned by package-lock.json and installed by
`make oidc-deps`), with the demo users below and a client registered for the portal.

`parley dev` starts it on the port after the WebSocket API's (or any free one), registers it in
the demo portal settings as "Demo SSO", and stops it with the rest; the functional tests start
one of their own. The client secret is a random value made at each start, handed to the portal
through the environment variable its settings name (PARLEY_OIDC_DEMO_SECRET): the settings hold
only that name, as deployed ones hold a Secrets Manager name."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

PACKAGE_DIR = Path(__file__).resolve().parent / "oidc"
PROVIDER_ID = "demo"
CLIENT_ID = "parley-portal"
SECRET_VARIABLE = "PARLEY_OIDC_DEMO_SECRET"  # noqa: S105 - a variable's name, not its value
# The provider's users (password: the demo password): Alice and Sam have portal accounts (they
# are found by their address), Dana has none and becomes an Acme customer at her first sign-in.
USERS: list[dict[str, str]] = [
    {"email": "alice@acme.test", "name": "Alice Martin", "given_name": "Alice",
     "family_name": "Martin"},
    {"email": "agent@parley.test", "name": "Sam Agent", "given_name": "Sam",
     "family_name": "Agent"},
    {"email": "dana@acme.test", "name": "Dana Kowalski", "given_name": "Dana",
     "family_name": "Kowalski", "locale": "pl"},
]
# acme.test's new customers join Acme; parley.test (the team) has accounts already.
DOMAINS = {"acme.test": "acme", "parley.test": ""}


class ProviderNotStarted(RuntimeError):
    pass


def free_port(host: str, wanted: int = 0) -> int:
    """`wanted` when nothing listens there, else any free port."""
    for port in ([wanted] if wanted else []) + [0]:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind((host, port))
            except OSError:
                continue
            return int(sock.getsockname()[1])
    raise ProviderNotStarted("no free port")


class LocalOidcProvider:
    """One `node provider.mjs` process; `stop()` (or the parent's exit: its stdin closes) ends
    it."""

    def __init__(self, host: str, port: int, redirect_uris: list[str],
                 client_secret: str | None = None) -> None:
        self.issuer = f"http://{host}:{port}"
        self.redirect_uris = redirect_uris
        self.client_secret = client_secret or secrets.token_urlsafe(32)
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30.0) -> LocalOidcProvider:
        self.launch()
        return self.wait(timeout)

    def launch(self) -> None:
        """Starts the process; `wait` until it answers (the stack starts meanwhile)."""
        from chalicelib.services.sessions import DEMO_PASSWORD

        node = shutil.which("node")
        if node is None or not (PACKAGE_DIR / "node_modules" / "oidc-provider").is_dir():
            raise ProviderNotStarted(
                "the local OpenID provider needs Node.js and its packages: make oidc-deps")
        users = [{**user, "password": DEMO_PASSWORD} for user in USERS]
        clients = [{"client_id": CLIENT_ID, "client_secret": self.client_secret,
                    "client_name": "Parley", "redirect_uris": self.redirect_uris}]
        self.process = subprocess.Popen(  # noqa: S603 - Node.js and our own script
            [node, str(PACKAGE_DIR / "provider.mjs")], cwd=PACKAGE_DIR,
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            env={**os.environ, "OIDC_ISSUER": self.issuer, "OIDC_CLIENTS": json.dumps(clients),
                 "OIDC_USERS": json.dumps(users), "NODE_ENV": "development"},
        )

    def wait(self, timeout: float = 30.0) -> LocalOidcProvider:
        assert self.process is not None, "launch() first"
        deadline = time.monotonic() + timeout
        while not self._answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise ProviderNotStarted(f"the OpenID provider did not start at {self.issuer}")
            time.sleep(0.1)
        return self

    def _answers(self) -> bool:
        url = f"{self.issuer}/.well-known/openid-configuration"
        try:
            with urllib.request.urlopen(url, timeout=1) as answer:  # noqa: S310 - our own
                return bool(answer.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        if process.stdin:
            process.stdin.close()

    def settings(self) -> dict[str, Any]:
        """The provider as the portal settings hold it (services/oidc_config.py)."""
        return {
            "id": PROVIDER_ID, "name": "Demo SSO", "issuer": self.issuer, "client_id": CLIENT_ID,
            "client_secret_ref": SECRET_VARIABLE, "roles": ["customer", "agent"],
            "domains": dict(DOMAINS), "create_accounts": True, "password_off_domains": [],
        }


def seed_demo_provider(provider: LocalOidcProvider) -> None:
    """Into the demo portal settings, unless the admin replaced it with providers of their own:
    offered on the sign-in page as "Sign in with Demo SSO". Its address changes with the port,
    so it is written at each start."""
    from chalicelib import clock
    from chalicelib.data import settings as settings_store
    from chalicelib.services.settings import PortalSettings, forget_cached_settings

    os.environ[SECRET_VARIABLE] = provider.client_secret
    item = settings_store.get_settings_item()
    saved = {**PortalSettings().model_dump(), **item.data}
    listed = saved.get("sso_providers") or []
    if listed and not any(p.get("id") == PROVIDER_ID for p in listed):
        return
    others = [p for p in listed if p.get("id") != PROVIDER_ID]
    settings = PortalSettings.model_validate(
        {**saved, "sso_providers": [provider.settings(), *others]})
    settings_store.save_settings_item(item, settings.model_dump(), clock.now())
    forget_cached_settings()

"""The people of the journey: what they read in their mail and how they sign in."""

from __future__ import annotations

import email
import email.policy
import os
import re
import subprocess
import sys
from email.message import EmailMessage
from pathlib import Path

from tests.deployed.account import CREDENTIALS, REGION
from tests.deployed.gateway import Viewer
from tests.deployed.stack import Stack

PROJECT_DIR = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery staple 42"


def mails_to(stack: Stack, address: str) -> list[EmailMessage]:
    return [
        email.message_from_string(mail["raw"], policy=email.policy.default)  # type: ignore[misc]
        for mail in stack.sent_mails() if address in mail["to"]
    ]


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    return str(part.get_content()) if part is not None else ""


def link_token(message: EmailMessage) -> str:
    match = re.search(r"[?&]token=([A-Za-z0-9_\-]+)", text_of(message))
    assert match, text_of(message)
    return match.group(1)


def bootstrap_admin(stack: Stack, address: str) -> subprocess.CompletedProcess[str]:
    """The operator's command (`parley admin bootstrap`), with the operator's credentials."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PARLEY_"))}
    env.update(CREDENTIALS, AWS_DEFAULT_REGION=REGION, AWS_ENDPOINT_URL=stack.account.endpoint)
    return subprocess.run(  # noqa: S603 - the project's own command line
        [str(Path(sys.executable).parent / "parley"), "admin", "bootstrap", "--stack",
         stack.deployed.stack_name, "--email", address, "--name", "Ada Admin"],
        cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=120, check=False,
    )


def choose_password(stack: Stack, address: str) -> Viewer:
    """Follow the one invitation in the mailbox, choose a password, sign in as the page does."""
    mails = mails_to(stack, address)
    assert len(mails) == 1, [m["Subject"] for m in mails]
    viewer = Viewer(stack.api)
    answer = viewer.call("POST", "/api/auth/password-reset/confirm",
                         {"token": link_token(mails[0]), "new_password": PASSWORD})
    assert answer.status == 200, answer.body
    answer = viewer.call("POST", "/api/auth/login", {"email": address, "password": PASSWORD})
    assert answer.status == 200, answer.body
    viewer.authorization = "CSRF " + answer.json()["csrf_token"]
    return viewer

"""Every Lambda function of the app imports app.py at a cold start, before it answers anything.
What only some routes or handlers use (the MIME parser, templates, argon2, file sniffing, the
idempotency and batch utilities) is imported inside them, so no function pays for it upfront."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

PROJECT_DIR = Path(__file__).resolve().parents[2]
LOADED_ON_DEMAND = [
    "chalicelib.mail.parse",  # inbound mail: the SQS handler and the staff retry route
    "chalicelib.services.inbound",
    "nh3",
    "jinja2",  # outgoing mail: the stream handler and account mails
    "argon2",  # sign-in and password changes
    "puremagic",  # upload confirmation
    "aws_lambda_powertools.utilities.idempotency",
    "aws_lambda_powertools.utilities.batch",
]


def test_importing_the_app_leaves_what_few_routes_use_for_later():
    script = (
        "import json, sys, app\n"
        f"print(json.dumps([m for m in {LOADED_ON_DEMAND!r} if m in sys.modules]))"
    )
    result = subprocess.run(  # noqa: S603 - our own interpreter and a fixed script
        [sys.executable, "-c", script], cwd=PROJECT_DIR, capture_output=True, text=True,
        env={**os.environ, "PARLEY_STAGE": "local"}, timeout=60, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []

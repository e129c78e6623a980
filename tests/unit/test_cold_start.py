"""The API function imports app.py at a cold start, before it answers anything; the others
import their own module (the handler string in the template). What only some routes or handlers
use (the MIME parser, templates, argon2, file sniffing, the idempotency and batch utilities) is
imported inside them, so no function pays for it upfront."""

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


# What importing the app may load of its own: the wiring, the route declarations (request models
# built on first use, answer shapes that are typing only) and the handlers' thin entry points.
# Services, the data layer, PynamoDB and the AWS SDK load in the first request that needs them.
IMPORTED_AT_COLD_START = ("chalicelib.api.", "chalicelib.events.", "chalicelib.shapes.")
LIGHT_MODULES = {"chalicelib", "chalicelib.api", "chalicelib.events", "chalicelib.shapes",
                 "chalicelib.services", "chalicelib.services.principal",
                 "chalicelib.services.fields", "chalicelib.clock", "chalicelib.config",
                 "chalicelib.errors", "chalicelib.observability"}


def test_importing_the_app_loads_no_service_no_table_model_and_no_aws_sdk():
    script = (
        "import json, sys, app\n"
        "print(json.dumps(sorted(sys.modules)))"
    )
    result = subprocess.run(  # noqa: S603 - our own interpreter and a fixed script
        [sys.executable, "-c", script], cwd=PROJECT_DIR, capture_output=True, text=True,
        env={**os.environ, "PARLEY_STAGE": "prod"}, timeout=60, check=False,
    )
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    ours = [m for m in loaded if m.startswith("chalicelib")
            and m not in LIGHT_MODULES and not m.startswith(IMPORTED_AT_COLD_START)]
    assert ours == []
    assert [m for m in loaded if m.split(".")[0] in {"pynamodb", "boto3", "botocore",
                                                     "aws_lambda_powertools", "jinja2"}] == []

"""Deployment parameters, from CDK context (`cdk synth -c stage=prod -c mailDomain=...`).

They are context values, not CfnParameters: table, queue and topic names are read by the app at
import time while `chalice package` builds the template, so they must be plain strings at synth.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from constructs import Node

# The functions' runtime: one setting, `.python-version` at the project's root, which the Makefile
# also reads for the venv that runs the synth (`chalice package` names the runtime after the
# Python that runs it, and builds the layer for that Python's ABI).
PYTHON_VERSION = (Path(__file__).resolve().parents[2] / ".python-version").read_text().strip()
LAMBDA_RUNTIME = f"python{PYTHON_VERSION}"
# Graviton: the same work for about 20% less per GB-second than x86_64, and the layer's compiled
# wheels (argon2, cffi, pydantic-core...) exist for both. Context `architecture` overrides it
# (the deployed tier runs the packaged functions on this machine's architecture).
ARCHITECTURES = ("arm64", "x86_64")
DEFAULT_ARCHITECTURE = "arm64"

_STAGE = re.compile(r"^[a-z][a-z0-9]{1,11}$")
_DOMAIN = re.compile(r"^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


@dataclass(frozen=True)
class StageSettings:
    stage: str
    mail_domain: str
    mail_from: str
    portal_domain: str | None
    certificate_arn: str | None
    alarm_email: str | None
    inbound_retention_days: int
    log_retention_days: int
    architecture: str = DEFAULT_ARCHITECTURE

    @property
    def name_prefix(self) -> str:
        return f"parley-{self.stage}-"

    @property
    def table_prefix(self) -> str:
        return self.name_prefix

    @property
    def inbound_queue_name(self) -> str:
        return f"{self.name_prefix}inbound-mail"

    @property
    def account_mail_queue_name(self) -> str:
        return f"{self.name_prefix}account-mail"

    @property
    def inbound_topic_name(self) -> str:
        return f"{self.name_prefix}inbound-notifications"

    @property
    def feedback_topic_name(self) -> str:
        return f"{self.name_prefix}mail-feedback"

    @property
    def api_name(self) -> str:
        return f"{self.name_prefix}api"

    def function_name(self, handler: str) -> str:
        return f"{self.name_prefix}{handler}"[:64]


def read_settings(node: Node) -> StageSettings:
    def get(key: str, default: Any = None) -> Any:
        value = node.try_get_context(key)
        return default if value in (None, "") else value

    stage = str(get("stage", "dev"))
    if not _STAGE.match(stage):
        raise ValueError(
            f"stage {stage!r}: 2-12 lowercase letters or digits, starting with a letter"
        )
    if stage in {"local", "test"}:
        # chalicelib/config.py treats these as local: /dev routes and the demo password.
        raise ValueError(f"stage {stage!r} is reserved for the local run and the tests")
    mail_domain = str(get("mailDomain", "example.com")).lower()
    if not _DOMAIN.match(mail_domain):
        raise ValueError(f"mailDomain {mail_domain!r} is not a domain name")
    mail_from = str(get("mailFrom", f"support@{mail_domain}"))
    if not mail_from.lower().endswith("@" + mail_domain):
        raise ValueError(f"mailFrom {mail_from!r} must be an address at mailDomain ({mail_domain})")
    portal_domain = get("portalDomain")
    certificate_arn = get("certificateArn")
    if bool(portal_domain) != bool(certificate_arn):
        raise ValueError(
            "portalDomain and certificateArn go together (an ACM certificate in us-east-1)"
        )
    architecture = str(get("architecture", DEFAULT_ARCHITECTURE))
    if architecture not in ARCHITECTURES:
        raise ValueError(f"architecture {architecture!r}: one of {', '.join(ARCHITECTURES)}")
    running = f"python{sys.version_info.major}.{sys.version_info.minor}"
    if running != LAMBDA_RUNTIME:
        raise ValueError(
            f"the synth runs on {running}, but the functions' runtime is {LAMBDA_RUNTIME} "
            "(.python-version): chalice package names the runtime after the Python that runs "
            "it. Run it from the project's .venv (make)."
        )
    return StageSettings(
        stage=stage,
        mail_domain=mail_domain,
        mail_from=mail_from,
        portal_domain=str(portal_domain).lower() if portal_domain else None,
        certificate_arn=str(certificate_arn) if certificate_arn else None,
        alarm_email=get("alarmEmail"),
        inbound_retention_days=int(get("inboundRetentionDays", 90)),
        log_retention_days=int(get("logRetentionDays", 90)),
        architecture=architecture,
    )

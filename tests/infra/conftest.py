"""Synthesise the CDK app once per run, the way a deployer would (`cdk synth`); the template
linters run on it in their own tests.

Missing tools fail these tests with the command that installs them: the infra tier must not pass
on a machine that never looked at the template.

The synth builds the Lambda layer from the wheelhouse alone (`make wheelhouse`: the wheels of
requirements.txt for Lambda, their hashes checked), never from an index: it passes offline, and
it ships exactly the files the lock names.
"""

from __future__ import annotations

import fcntl
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
INFRA = ROOT / "infra"
# The tests read infra's own settings (parley_infra), as the CDK app does (infra/main.py).
if str(INFRA) not in sys.path:
    sys.path.insert(0, str(INFRA))
CDK = INFRA / "node_modules" / ".bin" / "cdk"
CHECKOV = INFRA / ".venv-checkov" / "bin" / "checkov"
CFN_LINT = ROOT / ".venv" / "bin" / "cfn-lint"
WHEELHOUSE = ROOT / ".wheelhouse"
# `make wheelhouse` leaves a copy of the requirements.txt it filled the wheelhouse for
WHEELHOUSE_LOCK = WHEELHOUSE / "requirements.txt"
STAGE = "ci"
STACK = f"Parley-{STAGE}"
CONTEXT = {"stage": STAGE, "mailDomain": "mail.example.com", "mailFrom": "help@mail.example.com"}
SYNTH_TIMEOUT_S = 600


@dataclass
class Synthesis:
    outdir: Path
    template_path: Path
    template: dict[str, Any]
    seconds: float

    def resources(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {
            logical_id: resource
            for logical_id, resource in self.template["Resources"].items()
            if resource["Type"] == resource_type
        }


def _require_tools() -> None:
    missing = []
    if shutil.which("node") is None:
        missing.append("Node.js (apt-get install nodejs npm)")
    if not CDK.exists():
        missing.append(f"the CDK CLI at {CDK.relative_to(ROOT)} (make infra-deps)")
    if not CHECKOV.exists():
        missing.append(f"checkov at {CHECKOV.relative_to(ROOT)} (make infra-deps)")
    if not CFN_LINT.exists():
        missing.append("cfn-lint in .venv (make)")
    if not WHEELHOUSE_LOCK.exists():
        missing.append(f"the layer's wheels in {WHEELHOUSE.name}/ (make wheelhouse)")
    elif WHEELHOUSE_LOCK.read_bytes() != (ROOT / "requirements.txt").read_bytes():
        missing.append(
            f"the layer's wheels in {WHEELHOUSE.name}/ for this requirements.txt: it was filled"
            " for another (make wheelhouse)"
        )
    if missing:
        pytest.fail("The infra tests need " + "; ".join(missing), pytrace=False)


def _environment() -> dict[str, str]:
    # No pip setting of the shell or the machine (an index, find-links, a constraints file) reaches
    # the pip that Chalice runs to build the layer: only the wheelhouse does.
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PARLEY_", "AWS_", "CDK_", "PIP_")) and k != "PYTHONPATH"
    }
    env.update(
        {
            "PATH": f"{ROOT / '.venv' / 'bin'}{os.pathsep}{env.get('PATH', '')}",
            "PIP_CONFIG_FILE": os.devnull,
            "PIP_NO_INDEX": "1",
            "PIP_FIND_LINKS": str(WHEELHOUSE),
            "PIP_DISABLE_PIP_VERSION_CHECK": "1",
            "AWS_DEFAULT_REGION": "eu-west-1",
            "AWS_EC2_METADATA_DISABLED": "true",
            "CDK_DISABLE_CLI_TELEMETRY": "true",
            "CDK_DISABLE_VERSION_CHECK": "true",
            "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "1",
            "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1",
            "JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION": "1",
        }
    )
    return env


# The machine's architecture as Lambda names it: the deployed tier runs the packaged functions
# here, so it needs a layer of wheels this machine can load.
HOST_ARCHITECTURE = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "arm64",
                     "arm64": "arm64"}[platform.machine().lower()]


@pytest.fixture(scope="session")
def synthesis(tmp_path_factory: pytest.TempPathFactory) -> Synthesis:
    """The template as a deployer synthesises it (the functions on arm64)."""
    return _shared_synthesis(tmp_path_factory, "cdk.out", CONTEXT)


@pytest.fixture(scope="session")
def host_synthesis(tmp_path_factory: pytest.TempPathFactory) -> Synthesis:
    """The same, built for this machine's architecture (context `architecture`): what the
    deployed tier runs. On an arm64 machine it is the deployer's synthesis itself."""
    if HOST_ARCHITECTURE == "arm64":
        return _shared_synthesis(tmp_path_factory, "cdk.out", CONTEXT)
    return _shared_synthesis(tmp_path_factory, f"cdk.out-{HOST_ARCHITECTURE}",
                             {**CONTEXT, "architecture": HOST_ARCHITECTURE})


def _shared_synthesis(tmp_path_factory: pytest.TempPathFactory, name: str,
                      context: dict[str, str]) -> Synthesis:
    """One `cdk synth` per context for the whole run: with `make test` on several cores, the
    first worker to ask synthesises into a folder all workers share (under a lock) and the
    others read it."""
    _require_tools()
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    outdir = shared / name
    with (shared / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = outdir / "synthesised-in-seconds"
        if not done.exists():
            done.parent.mkdir(parents=True, exist_ok=True)
            done.write_text(str(_synthesise(outdir, context)))
    template_path = outdir / f"{STACK}.template.json"
    template = json.loads(template_path.read_text())
    return Synthesis(outdir, template_path, template, float(done.read_text()))


def _synthesise(outdir: Path, context: dict[str, str] = CONTEXT) -> float:
    command = [str(CDK), "synth", "--quiet", "--no-notices", "--output", str(outdir)]
    for key, value in context.items():
        command += ["--context", f"{key}={value}"]
    started = time.monotonic()
    result = subprocess.run(  # noqa: S603 - our pinned CLI
        command,
        cwd=INFRA,
        env=_environment(),
        capture_output=True,
        text=True,
        timeout=SYNTH_TIMEOUT_S,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(
            f"cdk synth failed:\n{result.stdout[-4000:]}\n{result.stderr[-8000:]}", pytrace=False
        )
    return time.monotonic() - started


def run_linter(name: str, synthesis: Synthesis, timeout: float) -> subprocess.CompletedProcess[str]:
    """cfn-lint or checkov over the synthesised template, with the project's configuration."""
    commands = {
        "cfn-lint": [str(CFN_LINT), "--config-file", str(INFRA / ".cfnlintrc.yaml"),
                     str(synthesis.template_path)],
        "checkov": [str(CHECKOV), "--config-file", str(INFRA / "checkov.yaml"),
                    "--file", str(synthesis.template_path), "--output", "json"],
    }
    return subprocess.run(  # noqa: S603 - our pinned linters
        commands[name], capture_output=True, text=True, timeout=timeout, check=False,
        env={**_environment(), "BC_SKIP_MAPPING": "TRUE"},
    )


@pytest.fixture(scope="session")
def template(synthesis: Synthesis) -> Any:
    from aws_cdk.assertions import Template

    return Template.from_json(synthesis.template, skip_cyclical_dependencies_check=False)

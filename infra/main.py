"""CDK entry point: `npx cdk synth -c stage=dev -c mailDomain=example.com` (docs/deploy.md)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import aws_cdk as cdk
from parley_infra.settings import read_settings
from parley_infra.stack import ParleyStack


def main() -> None:
    # Only the stage config decides the app's settings while `chalice package` imports it, never
    # whatever PARLEY_* the deploying shell (or a test run) happens to have.
    for name in [n for n in os.environ if n.startswith("PARLEY_")]:
        del os.environ[name]
    app = cdk.App()
    settings = read_settings(app.node)
    # `chalice package` asks botocore for a region only to pick the AWS partition; it needs no
    # credentials, so botocore must not wait for an instance metadata service that is not there.
    os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")
    os.environ.setdefault("AWS_DEFAULT_REGION", os.environ.get("CDK_DEFAULT_REGION") or "eu-west-1")
    retain = str(app.node.try_get_context("retain") or settings.stage == "prod").lower() == "true"
    outdir = Path(app.outdir).resolve()
    # chalice.cdk leaves a copy of its packages per synth; only this synth's are needed.
    shutil.rmtree(outdir / "chalice", ignore_errors=True)
    env = None
    if os.environ.get("CDK_DEFAULT_ACCOUNT"):
        env = cdk.Environment(
            account=os.environ["CDK_DEFAULT_ACCOUNT"], region=os.environ.get("CDK_DEFAULT_REGION")
        )
    ParleyStack(
        app,
        f"Parley-{settings.stage}",
        settings=settings,
        retain=retain,
        scratch_dir=outdir / "chalice",
        description=f"Parley secure message portal, stage {settings.stage}",
        env=env,
    )
    app.synth()


if __name__ == "__main__":
    main()

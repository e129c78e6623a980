"""`parley admin reseal-second-factors`: every stored TOTP secret sealed with the signing key the
deployed functions sign with, a required step of a signing-key rotation (docs/operations.md,
"Rotating the secrets") before the previous key is cleared: a secret still sealed with the old
key then opens with no key the functions have, and its owner could no longer sign in with the
app.

The keys come from the deployed API function's own environment (`PARLEY_SIGNING_KEY`,
`PARLEY_SIGNING_KEY_PREVIOUS`), never from a guess: this seals with exactly the key the
functions open with. `--previous-version` adds a version of the stack's `SigningKey` secret to
open with, for a key rotated at once (a leak) whose old value the functions no longer have.
The rule itself is `chalicelib.services.totp.reseal_secrets`; safe to run again.

The operator needs: cloudformation:DescribeStacks and ListStackResources on the stack,
lambda:GetFunctionConfiguration on `parley-<stage>-api_handler` and kms:Decrypt on the stack's
`ConfigKey` (the functions' environment is encrypted with it), dynamodb:Scan, GetItem and
UpdateItem on the `second-factors` table, and with `--previous-version`
secretsmanager:GetSecretValue on the `SigningKey` secret.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from parley_dev.cli.admin import DeploymentError, read_deployment, stage_environment

COMMAND = "reseal-second-factors"
API_FUNCTION = "api_handler"


def deployed_keys(function_name: str, region: str) -> tuple[str, str]:
    """The current and previous signing keys the deployed function holds ("" when none)."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        configuration = boto3.client("lambda", region_name=region).get_function_configuration(
            FunctionName=function_name)
    except (BotoCoreError, ClientError) as error:
        raise DeploymentError(f"cannot read function {function_name}: {error}") from error
    environment = configuration.get("Environment") or {}
    if environment.get("Error"):
        # The variables are encrypted with the stack's ConfigKey: reading them takes kms:Decrypt
        message = environment["Error"].get("Message") or environment["Error"].get("ErrorCode")
        raise DeploymentError(
            f"cannot read the environment of {function_name} (kms:Decrypt on the stack's "
            f"ConfigKey is needed): {message}")
    variables = environment.get("Variables") or {}
    current = variables.get("PARLEY_SIGNING_KEY", "")
    if not current:
        raise DeploymentError(f"{function_name} has no PARLEY_SIGNING_KEY: is it a Parley stack?")
    return current, variables.get("PARLEY_SIGNING_KEY_PREVIOUS", "")


def secret_version(stack: str, region: str, version_id: str) -> str:
    """One version of the stack's `SigningKey` secret (the `SigningKeySecret` output)."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        described = boto3.client("cloudformation", region_name=region).describe_stacks(
            StackName=stack)["Stacks"][0]
        outputs = {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}
        if "SigningKeySecret" not in outputs:
            raise DeploymentError(f"stack {stack} has no SigningKeySecret output")
        value = boto3.client("secretsmanager", region_name=region).get_secret_value(
            SecretId=outputs["SigningKeySecret"], VersionId=version_id)
    except (BotoCoreError, ClientError) as error:
        raise DeploymentError(f"cannot read version {version_id} of the signing key: {error}"
                              ) from error
    return str(value["SecretString"])


@contextmanager
def signing_keys(current: str, previous: str) -> Iterator[None]:
    """The keys the settings give (chalicelib/config.py), restored afterwards."""
    from chalicelib.config import get_settings

    values = {"PARLEY_SIGNING_KEY": current, "PARLEY_SIGNING_KEY_PREVIOUS": previous}
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    get_settings.cache_clear()
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        get_settings.cache_clear()


def run_reseal_second_factors(*, stack: str, region: str | None,
                              previous_version: str | None = None) -> int:
    """0: every secret a known key opens is sealed with the current one (those none opens are
    counted, and the exit code is still 0: re-running cannot help them); 1: the stack or its
    keys could not be used, nothing written."""
    import boto3

    region = region or boto3.session.Session().region_name
    if not region:
        return _fail("no region: pass --region or set AWS_REGION (the stack's region)")
    try:
        deployment = read_deployment(stack, region)
        current, previous = deployed_keys(f"{deployment.table_prefix}{API_FUNCTION}", region)
        if previous_version:
            older = secret_version(stack, region, previous_version)
            if previous and older != previous:
                return _fail("the functions hold a previous key of their own: run without "
                             "--previous-version (it is for a key they no longer have)")
            previous = older
        with signing_keys(current, previous), stage_environment(deployment):
            from chalicelib.errors import ParleyError
            from chalicelib.services import totp

            try:
                found = totp.reseal_secrets()
            except ParleyError as error:
                return _fail(f"{error.message} Secrets re-sealed so far stay re-sealed.")
    except DeploymentError as error:
        return _fail(str(error))
    print(f"TOTP secrets on {stack}: {found.resealed} re-sealed with the current key, "
          f"{found.current} already current, {found.unreadable} unreadable with any known key.")
    if found.unreadable:
        print("Each unreadable one's owner signs in with a recovery code or a passkey, or an "
              "admin resets their two-step verification (Admin > Users).")
    return 0


def _fail(message: str) -> int:
    print(f"parley admin {COMMAND}: {message}", file=sys.stderr)
    return 1

"""`parley admin bootstrap`: the first admin of a deployed portal, with the operator's AWS
credentials.

What the stage is called comes from its CloudFormation stack, never from a guess: the portal's
address from the `PortalUrl` output, the account-mail queue from the stack's own resources (the
queue named `<prefix>account-mail`), and the table prefix from that queue's name (`infra/` names
tables and queues with the same `parley-<stage>-` prefix). Outputs named `TablePrefix` and
`AccountMailQueue`, should the stack ever have them, take precedence.

The account is created by `chalicelib.services.users.bootstrap_admin`, as the admin page's invite
creates one: no password, must set one through the invitation link. The invitation goes through
the portal's own mail path, the account-mail queue the deployed `account_mail` function reads,
so the link is issued and mailed with the stage's own settings, and this machine sends no mail.

The operator needs: cloudformation:DescribeStacks and ListStackResources on the stack,
dynamodb:DescribeTable, Query, GetItem and PutItem on the users, user-emails and audit tables
(the creation is one TransactWriteItems), and sqs:GetQueueUrl and SendMessage on the queue.
"""

from __future__ import annotations

import os
import secrets
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

READY = ("CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE")
QUEUE_SUFFIX = "account-mail"


class DeploymentError(Exception):
    """What the stack says cannot be used: told to the operator as it is, exit code 1."""


@dataclass(frozen=True)
class Deployment:
    stack: str
    region: str
    stage: str
    table_prefix: str
    account_mail_queue: str
    public_url: str


def read_deployment(stack: str, region: str) -> Deployment:
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    cloudformation = boto3.client("cloudformation", region_name=region)
    try:
        found = cloudformation.describe_stacks(StackName=stack)["Stacks"]
        if not found:
            raise DeploymentError(f"no stack named {stack} in {region}")
        described = found[0]
        outputs = {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}
        queue = outputs.get("AccountMailQueue") or _account_mail_queue(cloudformation, stack)
    except ClientError as error:
        message = error.response.get("Error", {}).get("Message", str(error))
        if "does not exist" in message:
            raise DeploymentError(
                f"no stack named {stack} in {region} (check --stack and --region)"
            ) from error
        raise DeploymentError(f"cannot read stack {stack}: {message}") from error
    except BotoCoreError as error:  # no credentials, no region, no network
        raise DeploymentError(f"cannot read stack {stack}: {error}") from error
    status = described.get("StackStatus", "")
    if status not in READY:
        raise DeploymentError(f"stack {stack} is {status}; run this once it is deployed")
    public_url = outputs.get("PortalUrl")
    if not public_url:
        raise DeploymentError(f"stack {stack} has no PortalUrl output: is it a Parley stack?")
    if not queue:
        raise DeploymentError(
            f"stack {stack} has no queue named parley-<stage>-{QUEUE_SUFFIX}: "
            "is it a Parley stack?"
        )
    prefix = outputs.get("TablePrefix") or queue[: -len(QUEUE_SUFFIX)]
    stage = prefix.removeprefix("parley-").rstrip("-")
    return Deployment(stack=stack, region=region, stage=stage, table_prefix=prefix,
                      account_mail_queue=queue, public_url=public_url.rstrip("/"))


def _account_mail_queue(cloudformation: Any, stack: str) -> str | None:
    pages = cloudformation.get_paginator("list_stack_resources").paginate(StackName=stack)
    for page in pages:
        for resource in page["StackResourceSummaries"]:
            if resource.get("ResourceType") != "AWS::SQS::Queue":
                continue
            name = str(resource.get("PhysicalResourceId", "")).rsplit("/", 1)[-1]  # the URL
            if name.startswith("parley-") and name.endswith("-" + QUEUE_SUFFIX):
                return name
    return None


@contextmanager
def stage_environment(deployment: Deployment) -> Iterator[None]:
    """The settings the deployed functions have, for what this command does (tables, queue,
    links), restored afterwards. Table names are fixed when `chalicelib.data` is imported, so
    a process that imported it for another prefix cannot be pointed elsewhere."""
    from chalicelib.adapters.aws import reset_clients
    from chalicelib.config import LOCAL_STAGES, get_settings

    values = {
        "PARLEY_STAGE": deployment.stage,
        "PARLEY_TABLE_PREFIX": deployment.table_prefix,
        "PARLEY_PUBLIC_URL": deployment.public_url,
        "PARLEY_ACCOUNT_MAIL_QUEUE": deployment.account_mail_queue,
        "AWS_REGION": deployment.region,
        "AWS_DEFAULT_REGION": deployment.region,
    }
    if deployment.stage not in LOCAL_STAGES and not os.environ.get("PARLEY_SIGNING_KEY"):
        # Only the staff list's page cursors are signed here, and read back in this process;
        # nothing signed leaves it (the invitation link is issued by the deployed function).
        values["PARLEY_SIGNING_KEY"] = secrets.token_hex(32)
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    get_settings.cache_clear()
    reset_clients()
    try:
        users_module = sys.modules.get("chalicelib.data.users")
        bound = getattr(getattr(users_module, "UserModel", None), "Meta", None)
        expected = f"{deployment.table_prefix}users"
        if bound is not None and bound.table_name != expected:
            raise DeploymentError(
                f"this process already uses the tables {bound.table_name[:-5]}*; "
                f"run the command in a fresh one"
            )
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        get_settings.cache_clear()
        reset_clients()


def _operator(region: str) -> str:
    """Who ran the command, for the audit entry: the caller's ARN."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return str(boto3.client("sts", region_name=region).get_caller_identity()["Arn"])
    except (BotoCoreError, ClientError):
        return "unknown"


def _check_tables(deployment: Deployment) -> None:
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    dynamodb = boto3.client("dynamodb", region_name=deployment.region)
    for short in ("users", "user-emails", "audit"):
        name = f"{deployment.table_prefix}{short}"
        try:
            dynamodb.describe_table(TableName=name)
        except (BotoCoreError, ClientError) as error:
            raise DeploymentError(f"cannot reach table {name}: {error}") from error


def run_bootstrap(*, stack: str, email: str, name: str, language: str,
                  region: str | None) -> int:
    """0: the admin was created and the invitation queued; 1: refused or failed, nothing
    written."""
    import boto3

    region = region or boto3.session.Session().region_name
    if not region:
        return _fail("no region: pass --region or set AWS_REGION (the stack's region)")
    try:
        deployment = read_deployment(stack, region)
        _check_tables(deployment)
        with stage_environment(deployment):
            from chalicelib.errors import ParleyError
            from chalicelib.services import users

            try:
                user = users.bootstrap_admin(
                    email=email, name=name, language=language, operator=_operator(region)
                )
            except users.AdminExists:
                return _fail(
                    f"{stack} already has an admin; nothing was written. An admin creates "
                    "further admins at /admin/users; a lost password is reset from the "
                    "portal's sign-in page."
                )
            except ParleyError as error:  # the address is taken, or a run at the same time won
                return _fail(f"{error.message} Nothing was written by this run.")
    except DeploymentError as error:
        return _fail(str(error))
    print(
        f"Created admin {user['email']} (id {user['id']}) on {stack}.\n"
        f"The invitation is queued on {deployment.account_mail_queue}; its link, valid 7 days, "
        f"leads to {deployment.public_url}/reset-password to choose a password."
    )
    return 0


def run_reindex_customers(*, stack: str, region: str | None) -> int:
    """Every organization and its customers into the customer directory that "New on behalf"
    searches (services/customers.py): accounts written before the directory existed are found
    only once it has run. Safe to run again: it rewrites the same entries. 0: done; 1: the
    stack could not be used, nothing written."""
    import boto3

    region = region or boto3.session.Session().region_name
    if not region:
        return _fail("no region: pass --region or set AWS_REGION (the stack's region)",
                     command="reindex-customers")
    try:
        deployment = read_deployment(stack, region)
        with stage_environment(deployment):
            from chalicelib.services import customers

            written = customers.backfill()
    except DeploymentError as error:
        return _fail(str(error), command="reindex-customers")
    print(f"Wrote {written} directory entries on {stack}.")
    return 0


def _fail(message: str, *, command: str = "bootstrap") -> int:
    print(f"parley admin {command}: {message}", file=sys.stderr)
    return 1

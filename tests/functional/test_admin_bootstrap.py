"""`parley admin bootstrap`: a deployed portal's first admin, created from what its
CloudFormation stack says, invited through the account-mail queue, audited, and only once."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator

import boto3
import pytest

from parley_dev.cli import main
from tests.functional.auth_support import STRONG_PASSWORD, link_token, table_items
from tests.functional.notification_support import mails_to, send_queued_account_mail

pytestmark = pytest.mark.functional

STACK = "Parley-test"
ADMIN = "first.admin@example.test"


@pytest.fixture
def stack(aws: None) -> Iterator[str]:
    """A minimal stand-in for the deployed stack: the outputs and the queue the command reads
    (the tables are the test account's own)."""
    cloudformation = boto3.client("cloudformation", region_name="eu-west-1")
    template = {
        "Resources": {
            "AccountMailQueue": {
                "Type": "AWS::SQS::Queue",
                "Properties": {"QueueName": "parley-test-account-mail"},
            },
        },
        "Outputs": {
            "PortalUrl": {"Value": "https://portal.example.test"},
            "DistributionDomain": {"Value": "d123.cloudfront.net"},
        },
    }
    cloudformation.create_stack(StackName=STACK, TemplateBody=json.dumps(template))
    yield STACK
    cloudformation.delete_stack(StackName=STACK)


def bootstrap(*extra: str, email: str = ADMIN) -> int:
    return main(["admin", "bootstrap", "--stack", STACK, "--email", email,
                 "--region", "eu-west-1", *extra])


def users_and_audit() -> tuple[list[dict], list[dict]]:
    from chalicelib.data.audit import AuditModel
    from chalicelib.data.users import UserModel

    return table_items(UserModel), table_items(AuditModel)


def test_bootstrap_creates_an_invited_admin_and_audits_it(api, stack, fake_clock, capsys):
    # When the operator bootstraps the first admin
    assert bootstrap("--name", "Ada Admin") == 0, capsys.readouterr().err

    # Then the admin exists, with no password yet, and must choose one
    from chalicelib.data.users import find_user_by_email

    admin = find_user_by_email(ADMIN)
    assert admin is not None
    assert (admin.role, admin.status, admin.name) == ("admin", "active", "Ada Admin")
    assert admin.password_hash is None and admin.must_change_password
    # And the audit log says it was a bootstrap
    _, entries = users_and_audit()
    created = [e for e in entries if e["action"]["S"] == "user.create"]
    assert len(created) == 1
    details = json.loads(created[0]["details"]["S"])
    assert details["role"] == "admin" and details["via"] == "bootstrap"
    assert created[0]["target"]["S"] == admin.user_id
    # And nothing was mailed from the operator's machine: the invitation is queued
    assert mails_to(ADMIN) == []

    # When the deployed account_mail function handles the queue
    assert send_queued_account_mail() == {"batchItemFailures": []}

    # Then the address gets one invitation with a link to choose a password
    mails = mails_to(ADMIN)
    assert len(mails) == 1
    assert "/reset-password?token=" in mails[0]["text"]
    token = link_token(mails[0])
    status, body, _ = api.call("POST", "/api/auth/password-reset/confirm",
                               {"token": token, "new_password": STRONG_PASSWORD})
    assert status == 200, body
    status, body, _ = api.call("POST", "/api/auth/login",
                               {"email": ADMIN, "password": STRONG_PASSWORD})
    assert status == 200 and body["user"]["role"] == "admin"

    # And a repeated delivery of the queued request sends nothing more once a password is set
    from chalicelib.services.users import send_account_mail

    send_account_mail(json.dumps({"kind": "invite", "user_id": admin.user_id}))
    assert len(mails_to(ADMIN)) == 1


def test_a_second_run_refuses_and_writes_nothing(stack, fake_clock, capsys):
    assert bootstrap() == 0
    send_queued_account_mail()
    before = users_and_audit()
    capsys.readouterr()

    # When it runs again, for another address
    assert bootstrap(email="second.admin@example.test") == 1

    # Then it says why, and nothing changed
    assert "already has an admin" in capsys.readouterr().err
    assert users_and_audit() == before
    assert send_queued_account_mail() == {"batchItemFailures": []}
    assert mails_to("second.admin@example.test") == []


def test_an_existing_admin_blocks_the_bootstrap(stack, make_user, fake_clock, capsys):
    make_user("agent")
    make_user("admin")
    assert bootstrap() == 1
    assert "already has an admin" in capsys.readouterr().err
    from chalicelib.data.users import find_user_by_email

    assert find_user_by_email(ADMIN) is None


def test_only_disabled_admins_do_not_block_it(stack, make_user, fake_clock):
    make_user("admin", status="disabled")
    assert bootstrap() == 0


def test_runs_at_once_create_one_admin(stack, fake_clock, monkeypatch):
    # Two runs in one process each set and restore the stage's environment (one run per process
    # in real use): interleaved, the second restores what the first set. The test's own
    # environment comes back whole afterwards.
    import os

    for name in [n for n in os.environ if n.startswith(("PARLEY_", "AWS_"))] + [
            "PARLEY_PUBLIC_URL", "PARLEY_ACCOUNT_MAIL_QUEUE", "PARLEY_SIGNING_KEY"]:
        value = os.environ.get(name)
        monkeypatch.setenv(name, value or "")  # remembers the value (or its absence) to restore
        if value is None:
            monkeypatch.delenv(name)
    # When two operators bootstrap at the same moment, with different addresses
    codes: dict[str, int] = {}
    start = threading.Barrier(2)

    def run(email: str) -> None:
        start.wait()
        codes[email] = bootstrap(email=email)

    threads = [threading.Thread(target=run, args=(f"{who}@example.test",))
               for who in ("one", "two")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # Then exactly one succeeds, and the portal has one admin
    assert sorted(codes.values()) == [0, 1]
    users, entries = users_and_audit()
    assert [u["role"]["S"] for u in users] == ["admin"]
    assert len(entries) == 1


def test_an_unknown_stack_is_a_clear_error(aws, capsys):
    assert main(["admin", "bootstrap", "--stack", "Parley-nope", "--email", ADMIN,
                 "--region", "eu-west-1"]) == 1
    err = capsys.readouterr().err
    assert "no stack named Parley-nope in eu-west-1" in err
    from chalicelib.data.users import find_user_by_email

    assert find_user_by_email(ADMIN) is None


def test_a_stack_that_is_not_parley_is_refused(aws, capsys):
    cloudformation = boto3.client("cloudformation", region_name="eu-west-1")
    cloudformation.create_stack(StackName="Other", TemplateBody=json.dumps(
        {"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}}))
    try:
        assert main(["admin", "bootstrap", "--stack", "Other", "--email", ADMIN,
                     "--region", "eu-west-1"]) == 1
        assert "no PortalUrl output" in capsys.readouterr().err
    finally:
        cloudformation.delete_stack(StackName="Other")


def test_reindex_customers_makes_earlier_accounts_findable(api, stack, make_org, make_user,
                                                           fake_clock, capsys):
    # Given a customer written before the directory existed (straight into the users table,
    # as every account was then), and an agent looking for them
    org = make_org("Umbrella")
    make_user("customer", email="wesker@umbrella.test", name="Albert Wesker", org_id=org["id"])
    make_user("agent", email="kim@example.test")
    token = api.login("kim@example.test")

    def found(q: str) -> list[str]:
        status, body, _ = api.call("GET", f"/api/console/customers?q={q}", token=token)
        assert status == 200, body
        return [c["email"] for c in body["items"]]

    assert found("wesker") == []

    # When the operator reindexes the deployed stage, twice (a repeat must change nothing)
    for _ in range(2):
        code = main(["admin", "reindex-customers", "--stack", STACK, "--region", "eu-west-1"])
        assert code == 0, capsys.readouterr().err
    assert "directory entries" in capsys.readouterr().out

    # Then "New on behalf" finds them by name and by organization, once
    assert found("wesker") == ["wesker@umbrella.test"]
    assert found("umbrella albert") == ["wesker@umbrella.test"]


def test_reindex_customers_on_an_unknown_stack_writes_nothing(aws, capsys):
    code = main(["admin", "reindex-customers", "--stack", "Nope", "--region", "eu-west-1"])
    assert code == 1
    assert "parley admin reindex-customers: no stack named Nope" in capsys.readouterr().err

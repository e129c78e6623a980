"""`parley admin reseal-second-factors`: a signing-key rotation keeps every authenticator app
working once the command has re-sealed the stored TOTP secrets with the new key, and without it
clearing the previous key leaves them unreadable (docs/operations.md, "Rotating the secrets")."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable, Iterator

import boto3
import pytest

from parley_dev.cli import main
from tests.functional.auth_support import assert_error_body, environment, sign_in
from tests.functional.second_factor_support import Person, enrolled_person

pytestmark = pytest.mark.functional

STACK = "Parley-test"
REGION = "eu-west-1"
FUNCTION = "parley-test-api_handler"
OLD, NEW, LOST = "the-old-signing-key", "the-new-signing-key", "a-key-nobody-has-any-more"

Deploy = Callable[..., None]


def _function_code() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return None\n")
    return out.getvalue()


@pytest.fixture
def deployed(aws: None) -> Iterator[Deploy]:
    """A stand-in for the deployed stack: its outputs, the account-mail queue, the signing key
    secret (two versions), and the API function whose environment `deploy` sets as a rotation
    step's deploy does."""
    secrets = boto3.client("secretsmanager", region_name=REGION)
    secret = secrets.create_secret(Name="parley-test-signing-key", SecretString=OLD)
    secrets.put_secret_value(SecretId=secret["ARN"], SecretString=NEW)
    cloudformation = boto3.client("cloudformation", region_name=REGION)
    cloudformation.create_stack(StackName=STACK, TemplateBody=json.dumps({
        "Resources": {"AccountMailQueue": {
            "Type": "AWS::SQS::Queue", "Properties": {"QueueName": "parley-test-account-mail"}}},
        "Outputs": {"PortalUrl": {"Value": "https://portal.example.test"},
                    "SigningKeySecret": {"Value": secret["ARN"]}},
    }))
    iam = boto3.client("iam", region_name=REGION)
    role = iam.create_role(RoleName="parley-test-api", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole"}]}))["Role"]
    functions = boto3.client("lambda", region_name=REGION)
    functions.create_function(FunctionName=FUNCTION, Runtime="python3.12", Role=role["Arn"],
                              Handler="app.handler", Code={"ZipFile": _function_code()})

    def deploy(current: str, previous: str = "") -> None:
        functions.update_function_configuration(FunctionName=FUNCTION, Environment={
            "Variables": {"PARLEY_SIGNING_KEY": current, "PARLEY_SIGNING_KEY_PREVIOUS": previous}})

    deploy(OLD)
    yield deploy
    functions.delete_function(FunctionName=FUNCTION)
    iam.delete_role(RoleName="parley-test-api")
    cloudformation.delete_stack(StackName=STACK)
    secrets.delete_secret(SecretId=secret["ARN"], ForceDeleteWithoutRecovery=True)


def reseal(capsys: pytest.CaptureFixture[str], *extra: str) -> str:
    code = main(["admin", "reseal-second-factors", "--stack", STACK, "--region", REGION, *extra])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return captured.out


def signs_in_with_the_app(person: Person) -> None:
    status, body, pending = person.password_step()
    assert status == 200 and body["second_factor"]["methods"][0] == "totp", body
    status, body, _ = person.second_step(pending, person.code())
    assert status == 200, body
    assert body["user"]["email"] == person.email


def test_a_rotation_with_the_reseal_keeps_every_authenticator_app_working(
    api, make_user, deployed, fake_clock, capsys
):
    # Given people whose apps were set up under the old key: Ada and Bob done, Carl half-way
    # (his QR code scanned, not yet confirmed), and Dora's sealed with a key long gone
    with environment(PARLEY_SIGNING_KEY=OLD):
        ada, bob = enrolled_person(api, make_user), enrolled_person(api, make_user)
        carl = Person(api, make_user("customer")["email"])
        carl_browser = sign_in(api, carl.email)
        status, setup, _ = carl_browser.call("POST", "/api/me/second-factor/totp")
        assert status == 200, setup
        carl.secret = setup["secret"]
    with environment(PARLEY_SIGNING_KEY=LOST):
        dora = enrolled_person(api, make_user)

    # When the functions sign with the new key and still accept the old one (step 2), Bob
    # signs in meanwhile, and the operator re-seals, twice
    deployed(NEW, OLD)
    with environment(PARLEY_SIGNING_KEY=NEW, PARLEY_SIGNING_KEY_PREVIOUS=OLD):
        fake_clock.advance(30)
        signs_in_with_the_app(bob)  # his own sign-in re-sealed his secret
        first, again = reseal(capsys), reseal(capsys)

    # Then the first run re-sealed Ada's and Carl's, found Bob's current and Dora's unreadable;
    # the second changed nothing
    assert "2 re-sealed with the current key, 1 already current, 1 unreadable" in first
    assert "0 re-sealed with the current key, 3 already current, 1 unreadable" in again

    # When the previous key is cleared (step 3)
    deployed(NEW)
    with environment(PARLEY_SIGNING_KEY=NEW):
        fake_clock.advance(30)
        # Then Ada and Bob sign in with their apps, and Carl finishes his set-up
        signs_in_with_the_app(ada)
        signs_in_with_the_app(bob)
        status, body, _ = carl_browser.call("POST", "/api/me/second-factor/totp/confirm",
                                            {"code": carl.code()})
        assert status == 200, body
        # And Dora, whose secret no key opens, is told to use a recovery code, which works
        status, body, pending = dora.password_step()
        status, body, _ = dora.second_step(pending, dora.code())
        assert status == 409, body
        assert_error_body(body, "totp_unreadable")
        status, body, _ = dora.second_step(pending, dora.recovery_codes[0])
        assert status == 200, body


def test_without_the_reseal_clearing_the_previous_key_locks_the_app_out(
    api, make_user, fake_clock
):
    # Given Ada's app set up under the old key
    with environment(PARLEY_SIGNING_KEY=OLD):
        ada = enrolled_person(api, make_user)
    # While the functions accept both keys her app still works (and nobody re-seals)
    with environment(PARLEY_SIGNING_KEY=NEW, PARLEY_SIGNING_KEY_PREVIOUS=OLD):
        status, body, pending = ada.password_step()
        assert status == 200 and "second_factor" in body, body

    # When the previous key is cleared without the re-seal
    with environment(PARLEY_SIGNING_KEY=NEW):
        fake_clock.advance(30)
        status, body, pending = ada.password_step()
        status, body, _ = ada.second_step(pending, ada.code())
    # Then her right code cannot be checked any more: that is what the command prevents
    assert status == 409, body
    assert_error_body(body, "totp_unreadable")


def test_a_key_rotated_at_once_is_resealed_from_the_old_secret_version(
    api, make_user, deployed, fake_clock, capsys
):
    # Given Ada's app set up under the old key, and the key rotated at once after a leak: the
    # functions hold only the new one
    with environment(PARLEY_SIGNING_KEY=OLD):
        ada = enrolled_person(api, make_user)
    deployed(NEW)
    secret_arn = boto3.client("cloudformation", region_name=REGION).describe_stacks(
        StackName=STACK)["Stacks"][0]["Outputs"]
    arn = next(o["OutputValue"] for o in secret_arn if o["OutputKey"] == "SigningKeySecret")
    versions = boto3.client("secretsmanager", region_name=REGION).list_secret_version_ids(
        SecretId=arn)["Versions"]
    old_version = next(v["VersionId"] for v in versions if "AWSPREVIOUS" in v["VersionStages"])

    # When the operator re-seals, naming the old value's version
    with environment(PARLEY_SIGNING_KEY=NEW):
        out = reseal(capsys, "--previous-version", old_version)
        # Then her secret is sealed with the new key, and her app works
        assert "1 re-sealed with the current key, 0 already current, 0 unreadable" in out
        fake_clock.advance(30)
        signs_in_with_the_app(ada)


def test_an_unknown_stack_writes_nothing(aws, capsys):
    code = main(["admin", "reseal-second-factors", "--stack", "Nope", "--region", REGION])
    assert code == 1
    assert "parley admin reseal-second-factors: no stack named Nope" in capsys.readouterr().err

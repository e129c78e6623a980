"""Password reset and registration tell nobody whether an address has an account: not by the
answer, and not by the time the request takes. The request path makes the same AWS calls in
the same order for a known and an unknown address (the caps, the password's hash for a
registration, one queued message); whether a mail goes out is decided by the queue's handler,
after the answer."""

from __future__ import annotations

from typing import Any

import pytest

from tests.functional.auth_support import STRONG_PASSWORD, mails_to
from tests.functional.dynamodb_support import aws_calls
from tests.functional.notification_support import send_queued_account_mail

pytestmark = pytest.mark.functional


def _request(api: Any, path: str, body: dict[str, Any]) -> tuple[int, Any, list]:
    with aws_calls() as calls:
        status, answer, _ = api.call("POST", path, body)
    return status, answer, calls


def test_reset_for_a_known_and_an_unknown_address_makes_the_same_calls(api, make_user, sent_mail):
    known = make_user("customer")["email"]
    unknown = "nobody-here@acme.test"
    # Given a warm function (the first request of a container also looks the queue up)
    assert api.call("POST", "/api/auth/password-reset", {"email": "warm@acme.test"})[0] == 202
    send_queued_account_mail()
    # When each address asks for a reset
    known_status, known_answer, known_calls = _request(
        api, "/api/auth/password-reset", {"email": known})
    unknown_status, unknown_answer, unknown_calls = _request(
        api, "/api/auth/password-reset", {"email": unknown})
    # Then the answers and the request path's calls are the same, and no mail is sent on it
    assert (known_status, known_answer) == (unknown_status, unknown_answer) == (202, {
        "ok": True, "message": "If an account exists for this address, we sent it a link."})
    assert known_calls == unknown_calls
    assert not [c for c in known_calls if c[0] in ("ses", "sesv2")]
    assert ("sqs", "SendMessage", "parley-test-account-mail") in known_calls
    # And once the queue's handler has run, only the account's owner has a link
    assert send_queued_account_mail() == {"batchItemFailures": []}
    assert len(mails_to(sent_mail, known)) == 1
    assert mails_to(sent_mail, unknown) == []


def test_registration_of_a_taken_and_a_free_address_makes_the_same_calls(
    api, make_user, sent_mail,
):
    admin = api.login(make_user("admin")["email"])
    api.call("PATCH", "/api/admin/settings", {"self_registration": True}, token=admin)
    taken = make_user("customer")["email"]
    free = "newcomer@acme.test"
    assert api.call("POST", "/api/auth/register", {
        "email": "warm@acme.test", "name": "Warm", "password": STRONG_PASSWORD})[0] == 202
    send_queued_account_mail()

    def register(email: str) -> tuple[int, Any, list]:
        return _request(api, "/api/auth/register",
                        {"email": email, "name": "Nina Newcomer", "password": STRONG_PASSWORD})

    taken_status, taken_answer, taken_calls = register(taken)
    free_status, free_answer, free_calls = register(free)
    assert (taken_status, taken_answer) == (free_status, free_answer)
    assert taken_status == 202
    assert taken_calls == free_calls
    assert not [c for c in taken_calls if c[0] in ("ses", "sesv2", "dynamodb")
                and c[2].endswith("users")]  # nobody is looked up on the request path
    # After the handler: the owner of the taken address hears of it, the newcomer may verify
    assert send_queued_account_mail() == {"batchItemFailures": []}
    [owner_mail] = mails_to(sent_mail, taken)
    [newcomer_mail] = mails_to(sent_mail, free)
    assert owner_mail != newcomer_mail


def test_a_registration_delivered_twice_makes_one_account_and_one_mail(
    api, make_user, sent_mail,
):
    from chalicelib.data.users import find_user_by_email
    from chalicelib.services.users import send_account_mail

    admin = api.login(make_user("admin")["email"])
    api.call("PATCH", "/api/admin/settings", {"self_registration": True}, token=admin)
    # Given a queued registration, When SQS delivers it twice (at least once, by design)
    from chalicelib.adapters.aws import client
    from chalicelib.config import get_settings

    api.call("POST", "/api/auth/register",
             {"email": "twice@acme.test", "name": "Twice", "password": STRONG_PASSWORD})
    sqs = client("sqs")
    url = sqs.get_queue_url(QueueName=get_settings().account_mail_queue)["QueueUrl"]
    [message] = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    send_account_mail(message["Body"])
    send_account_mail(message["Body"])
    # Then one account, and only verification links, never "already registered", to its
    # new owner (the repeat sends a fresh link: the first delivery's may never have gone)
    assert find_user_by_email("twice@acme.test") is not None
    mails = mails_to(sent_mail, "twice@acme.test")
    assert mails and all("/verify?token=" in m["text"] for m in mails), mails


def test_a_registration_whose_mail_failed_is_mailed_when_delivered_again(
    api, make_user, sent_mail, monkeypatch,
):
    from chalicelib.adapters.aws import client
    from chalicelib.config import get_settings
    from chalicelib.services import mailer
    from chalicelib.services.users import send_account_mail

    admin = api.login(make_user("admin")["email"])
    api.call("PATCH", "/api/admin/settings", {"self_registration": True}, token=admin)
    api.call("POST", "/api/auth/register",
             {"email": "retry@acme.test", "name": "Retry", "password": STRONG_PASSWORD})
    sqs = client("sqs")
    url = sqs.get_queue_url(QueueName=get_settings().account_mail_queue)["QueueUrl"]
    [message] = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    # Given a first delivery that made the account, then failed to send (SES throttled)
    real = mailer.send_to_user

    def throttled(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("Throttling: Maximum sending rate exceeded")

    monkeypatch.setattr(mailer, "send_to_user", throttled)
    with pytest.raises(RuntimeError):
        send_account_mail(message["Body"])
    monkeypatch.setattr(mailer, "send_to_user", real)
    # When the queue delivers it again
    send_account_mail(message["Body"])
    # Then the newcomer gets the link to verify the address
    [mail] = mails_to(sent_mail, "retry@acme.test")
    assert "/verify?token=" in mail["text"]

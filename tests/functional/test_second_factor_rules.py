"""What an admin may require (a second factor for staff, per organization for its customers),
the enrolment a requirement forces at the next sign-in, and the rules for replacing recovery
codes and removing the app."""

from __future__ import annotations

import pyotp
import pytest

from chalicelib.errors import Forbidden
from chalicelib.services import second_factor
from chalicelib.services.principal import Anonymous
from tests.functional.auth_support import mails_to, sign_in
from tests.functional.second_factor_support import Person, browser_from, enrolled_person

pytestmark = pytest.mark.functional


def require_for_staff(api, admin_token, on=True):
    status, body, _ = api.call("PATCH", "/api/admin/settings",
                               {"require_second_factor_staff": on}, token=admin_token)
    assert status == 200, body


def test_a_requirement_for_staff_forces_enrolment_at_the_next_sign_in_only(
    api, make_user, fake_clock
):
    admin, agent, customer = make_user("admin"), make_user("agent"), make_user("customer")
    admin_token = api.login(admin["email"])
    open_session = sign_in(api, agent["email"])
    require_for_staff(api, admin_token)
    # The session already open is left alone: the rule is "at the next sign-in"
    assert open_session.call("GET", "/api/me")[0] == 200
    person = Person(api, agent["email"])
    status, body, pending = person.password_step()
    assert (status, body) == (200, {"second_factor": {"methods": ["totp"], "enrol": True}})
    # Customers are not staff
    assert "token" in Person(api, customer["email"]).password_step()[1]
    # The pending step sets up the app, and a first code signs in with the recovery codes
    status, setup, _ = api.call("POST", "/api/auth/second-factor/totp",
                                headers={"Cookie": f"parley_pending={pending}"})
    assert status == 200, setup
    person.secret = setup["secret"]
    status, body, headers = person.second_step(pending, person.code(),
                                               "/api/auth/second-factor/totp/confirm")
    assert status == 200, body
    assert len(body["recovery_codes"]) == 10
    browser = browser_from(api, body, headers)
    assert browser.call("GET", "/api/me/second-factor")[1] == {
        "totp": True, "passkey": False, "recovery_codes_left": 10, "required": True}
    # The pending sign-in is spent; the next one asks for a code, not an enrolment
    assert person.second_step(pending, person.code())[0] == 401
    fake_clock.advance(30)
    status, body, _ = person.password_step()
    assert body == {"second_factor": {"methods": ["totp", "recovery_code"], "enrol": False}}


def test_an_enrolment_the_sign_in_requires_cannot_be_skipped(api, make_user, fake_clock):
    admin, agent = make_user("admin"), make_user("agent")
    require_for_staff(api, api.login(admin["email"]))
    _, _, pending = Person(api, agent["email"]).password_step()
    # Neither a code (there is no app yet) nor the seam other methods complete through
    status, body, _ = Person(api, agent["email"]).second_step(pending, "123456")
    assert (status, body["error"]["code"]) == (400, "invalid_code")
    with pytest.raises(Forbidden) as refused:
        second_factor.complete(pending, Anonymous(source_ip="192.0.2.1"), None, method="passkey")
    assert refused.value.code == "second_factor_required"


def test_an_organization_requires_a_second_factor_of_its_customers(
    api, make_org, make_user, fake_clock
):
    admin = make_user("admin")
    admin_token = api.login(admin["email"])
    acme, globex = make_org("Acme"), make_org("Globex")
    alice = make_user("customer", org_id=acme["id"])
    carol = make_user("customer", org_id=globex["id"])
    status, body, _ = api.call("PATCH", f"/api/admin/orgs/{acme['id']}",
                               {"require_second_factor": True}, token=admin_token)
    assert (status, body) == (200, {"org": {"id": acme["id"], "name": "Acme",
                                            "require_second_factor": True}})
    listed = api.call("GET", "/api/admin/orgs", token=admin_token)[1]["items"]
    assert {o["name"]: o["require_second_factor"] for o in listed} == {"Acme": True,
                                                                       "Globex": False}
    assert Person(api, alice["email"]).password_step()[1]["second_factor"]["enrol"] is True
    assert "token" in Person(api, carol["email"]).password_step()[1]
    # Renaming keeps the requirement; the change was audited with before and after
    status, body, _ = api.call("PATCH", f"/api/admin/orgs/{acme['id']}", {"name": "Acme Inc"},
                               token=admin_token)
    assert body["org"]["require_second_factor"] is True
    audit = api.call("GET", "/api/admin/audit?kind=change", token=admin_token)[1]["items"]
    update = next(e for e in audit if e["action"] == "org.update")
    assert update["details"]["changes"] == [
        {"field": "require_second_factor", "before": False, "after": True}]
    # Lifted: the customer signs in with the password alone again
    api.call("PATCH", f"/api/admin/orgs/{acme['id']}", {"require_second_factor": False},
             token=admin_token)
    assert "token" in Person(api, alice["email"]).password_step()[1]


def test_the_last_second_factor_cannot_be_removed_while_one_is_required(
    api, make_org, make_user, fake_clock, sent_mail
):
    admin = make_user("admin")
    admin_token = api.login(admin["email"])
    acme = make_org("Acme")
    person = enrolled_person(api, make_user, org_id=acme["id"])
    api.call("PATCH", f"/api/admin/orgs/{acme['id']}", {"require_second_factor": True},
             token=admin_token)
    fake_clock.advance(30)
    browser = person.sign_in()
    status, body, _ = browser.call("POST", "/api/me/second-factor/totp/remove",
                                   {"password": person.password})
    assert (status, body["error"]["code"]) == (409, "second_factor_required")
    # A passkey counts as a second factor: with one, the app may go
    second_factor.mark_enrolled(browser.user["id"], add="passkey")
    status, body, _ = browser.call("POST", "/api/me/second-factor/totp/remove",
                                   {"password": person.password})
    assert status == 200, body
    assert body == {"totp": False, "passkey": True, "recovery_codes_left": 10, "required": True}
    mail = mails_to(sent_mail, person.email)[0]
    assert "authenticator app was removed" in mail["text"]


def test_removing_the_app_needs_the_password_or_a_current_code(
    api, make_user, fake_clock, sent_mail
):
    person = enrolled_person(api, make_user)
    fake_clock.advance(30)
    browser = person.sign_in()
    for proof, code in (({}, "proof_required"), ({"password": "not the password"},
                                                 "wrong_password"),
                        ({"code": "000000" if person.code() != "000000" else "111111"},
                         "invalid_code")):
        status, body, _ = browser.call("POST", "/api/me/second-factor/totp/remove", proof)
        assert (status, body["error"]["code"]) == (400, code), proof
    assert browser.call("GET", "/api/me/second-factor")[1]["totp"] is True
    fake_clock.advance(30)
    status, body, _ = browser.call("POST", "/api/me/second-factor/totp/remove",
                                   {"code": person.code()})
    assert status == 200 and body["totp"] is False and body["recovery_codes_left"] == 0
    # The password alone signs in again, and the owner was told by mail
    assert "token" in person.password_step()[1]
    assert "authenticator app was removed" in mails_to(sent_mail, person.email)[0]["text"]


def test_new_recovery_codes_replace_the_old_ones(api, make_user, fake_clock):
    person = enrolled_person(api, make_user)
    old = person.recovery_codes
    fake_clock.advance(30)
    browser = person.sign_in(old[0])  # one used: nine left
    assert browser.call("GET", "/api/me/second-factor")[1]["recovery_codes_left"] == 9
    status, body, _ = browser.call("POST", "/api/me/second-factor/recovery-codes",
                                   {"password": person.password})
    assert status == 200
    new = body["recovery_codes"]
    assert len(new) == 10 and not set(new) & set(old)
    assert browser.call("GET", "/api/me/second-factor")[1]["recovery_codes_left"] == 10
    _, _, pending = person.password_step()
    assert person.second_step(pending, old[1])[1]["error"]["code"] == "invalid_code"
    assert person.second_step(pending, new[0])[0] == 200


def test_an_enrolment_left_unfinished_expires(api, make_user, fake_clock):
    user = make_user()
    browser = sign_in(api, user["email"])
    setup = browser.call("POST", "/api/me/second-factor/totp")[1]
    fake_clock.advance(16 * 60)
    status, body, _ = browser.call("POST", "/api/me/second-factor/totp/confirm",
                                   {"code": pyotp.TOTP(setup["secret"]).at(int(fake_clock.now))})
    assert (status, body["error"]["code"]) == (409, "totp_enrolment_expired")


def test_a_password_alone_cannot_set_up_a_factor_of_its_own_on_an_account_that_has_one(
    api, make_user, fake_clock
):
    # Given an account with an authenticator app, and someone who knows only its password
    person = enrolled_person(api, make_user, role="admin")
    fake_clock.advance(60)
    _, asked, pending = person.password_step()
    assert asked["second_factor"]["enrol"] is False

    # When they try to set up an app of their own on the pending sign-in
    headers = {"Cookie": f"parley_pending={pending}"}
    status, body, _ = api.call("POST", "/api/auth/second-factor/totp", {}, headers=headers)

    # Then it is refused: only a sign-in that must set one up may, and nothing was started
    assert (status, body["error"]["code"]) == (403, "second_factor_required")
    attacker = pyotp.TOTP(pyotp.random_base32()).now()
    status, body, _ = api.call("POST", "/api/auth/second-factor/totp/confirm",
                               {"code": attacker}, headers=headers)
    assert (status, body["error"]["code"]) == (403, "second_factor_required")
    # And the owner's own code still finishes the sign-in
    assert person.second_step(pending, person.code())[0] == 200


def test_guesses_are_counted_before_they_are_checked(api, make_user, fake_clock, monkeypatch):
    # Given an account with an app, and a lock read before any guess failed (as every request
    # of a parallel burst reads it)
    person = enrolled_person(api, make_user)
    fake_clock.advance(60)
    _, _, pending = person.password_step()
    from chalicelib.services import throttles

    monkeypatch.setattr(throttles, "check_allowed", lambda *args, **kwargs: 0.0)
    checked: list[str] = []
    real_check = second_factor.totp.check
    monkeypatch.setattr(second_factor.totp, "check",
                        lambda user_id, code: checked.append(code) or real_check(user_id, code))

    # When twelve wrong guesses arrive
    wrong = "123456" if person.code() != "123456" else "654321"
    answers = [person.second_step(pending, wrong)[:2] for _ in range(12)]

    # Then only the account's free tries were checked; the rest were refused unchecked
    assert len(checked) == 5
    assert [status for status, _ in answers] == [400] * 5 + [429] * 7

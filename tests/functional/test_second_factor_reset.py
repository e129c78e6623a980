"""An admin resets a user's two-step verification (a lost phone, lost recovery codes): the app,
the recovery codes and the passkeys go, the user signs in with the password alone (or sets a
second factor up when one is required), keeps the sessions already open, gets a mail, and the
audit log says which admin did it. Only admins, and never on their own account."""

from __future__ import annotations

import pytest

from tests.functional.auth_support import assert_error_body, mails_to, sign_in
from tests.functional.second_factor_support import Person
from tests.functional.webauthn_support import add_passkey

pytestmark = pytest.mark.functional


def reset_path(user_id: str) -> str:
    return f"/api/admin/users/{user_id}/second-factor/reset"


def test_after_a_reset_the_user_signs_in_with_the_password_alone(
    api, make_user, sent_mail, fake_clock
):
    # Given Ada with an authenticator app and a passkey, signed in on her laptop
    ada = Person(api, make_user("customer")["email"])
    laptop = ada.enrol(sign_in(api, ada.email))
    add_passkey(api, laptop.token)
    admin = make_user("admin", name="Grace Admin")
    admin_token = api.login(admin["email"])
    ada_id = laptop.user["id"]
    status, body, _ = api.call("GET", f"/api/admin/users/{ada_id}", token=admin_token)
    assert body["user"]["second_factors"] == ["passkey", "totp"]

    # When she has lost her phone and an admin resets her two-step verification
    status, body, _ = api.call("POST", reset_path(ada_id), token=admin_token)

    # Then the editor sees nothing set up any more
    assert status == 200, body
    assert body["user"]["second_factors"] == []
    # And she signs in with her password alone
    fake_clock.advance(30)
    status, body, _ = ada.password_step()
    assert status == 200 and "token" in body and "second_factor" not in body, body
    # And her passkeys are gone, her app too; the laptop's session is still open
    status, listed, _ = laptop.call("GET", "/api/me/passkeys")
    assert status == 200 and listed["items"] == [], listed
    status, state, _ = laptop.call("GET", "/api/me/second-factor")
    assert state == {"totp": False, "passkey": False, "recovery_codes_left": 0,
                     "required": False}
    # And she was told by mail, and the audit log names the admin and her
    [mail] = [m for m in mails_to(sent_mail, ada.email) if "reset" in m["subject"]]
    assert "administrator" in mail["subject"]
    status, log, _ = api.call(
        "GET", "/api/admin/audit?kind=signin&action=auth.second_factor.reset", token=admin_token)
    assert status == 200, log
    [entry] = log["items"]
    assert (entry["actor_id"], entry["target"]) == (admin["id"], ada_id)
    assert entry["details"] == {"methods": ["passkey", "totp"], "passkeys": 1}

    # When the admin clicks again, nothing more happens: no second entry, no second mail
    status, body, _ = api.call("POST", reset_path(ada_id), token=admin_token)
    assert status == 200 and body["user"]["second_factors"] == [], body
    log = api.call("GET", "/api/admin/audit?kind=signin&action=auth.second_factor.reset",
                   token=admin_token)[1]
    assert len(log["items"]) == 1
    assert len([m for m in mails_to(sent_mail, ada.email) if "reset" in m["subject"]]) == 1


def test_an_account_that_must_have_a_second_factor_sets_one_up_after_a_reset(
    api, make_org, make_user, fake_clock
):
    # Given Bob of an organization that requires a second factor, his app set up
    vault = make_org("Vault")
    bob = Person(api, make_user("customer", org_id=vault["id"])["email"])
    bob_id = bob.enrol(sign_in(api, bob.email)).user["id"]
    admin_token = api.login(make_user("admin")["email"])
    status, body, _ = api.call("PATCH", f"/api/admin/orgs/{vault['id']}",
                               {"require_second_factor": True}, token=admin_token)
    assert status == 200, body

    # When an admin resets it
    assert api.call("POST", reset_path(bob_id), token=admin_token)[0] == 200

    # Then his next sign-in asks him to set one up again
    status, body, _ = bob.password_step()
    assert (status, body) == (200, {"second_factor": {"methods": ["totp"], "enrol": True}})


def test_only_another_admin_may_reset(api, make_user, fake_clock):
    ada = Person(api, make_user("customer")["email"])
    ada_id = ada.enrol(sign_in(api, ada.email)).user["id"]
    agent = make_user("agent")
    # An agent may not; a customer may not, even her own
    status, body, _ = api.call("POST", reset_path(ada_id), token=api.login(agent["email"]))
    assert status == 403, body
    assert_error_body(body, "forbidden")
    fake_clock.advance(30)
    own = ada.sign_in()
    assert own.call("POST", reset_path(ada_id))[0] == 403
    fake_clock.advance(30)
    # An admin may not reset their own: their Security section asks them to prove it is them
    admin = Person(api, make_user("admin")["email"])
    admin_browser = admin.enrol(sign_in(api, admin.email))
    status, body, _ = admin_browser.call("POST", reset_path(admin_browser.user["id"]))
    assert status == 403, body
    assert_error_body(body, "own_second_factor")
    assert admin_browser.call("GET", "/api/me/second-factor")[1]["totp"] is True
    # And Ada still has her app
    fake_clock.advance(30)
    status, body, _ = ada.password_step()
    assert body == {"second_factor": {"methods": ["totp", "recovery_code"], "enrol": False}}

"""Helpers shared by the conversation tests (tickets, console, folders): the people of a test,
created and signed in on first use, and the few calls every scenario makes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.conftest import Api

DAY = 24 * 3600
Response = tuple[int, Any, dict[str, Any]]

# Who may appear in a scenario: (role, organization, extra attributes).
PEOPLE: dict[str, tuple[str, str | None, dict[str, Any]]] = {
    "alice": ("customer", "Acme", {"name": "Alice"}),
    "bob": ("customer", "Acme", {"name": "Bob"}),
    "boss": ("customer", "Acme", {"name": "Boss", "org_view": True}),
    "carol": ("customer", "Globex", {"name": "Carol", "org_view": True}),
    "sam": ("agent", None, {"name": "Sam Agent", "team_ids": ["support"]}),
    "kim": ("agent", None, {"name": "Kim Agent", "team_ids": ["support"]}),
    "ada": ("admin", None, {"name": "Ada Admin"}),
}


class Cast:
    """The people of one test. Each is created the first time a test names them and signed in
    the first time they call the API, so a test pays only for the people it uses."""

    def __init__(
        self,
        api: Api,
        make_org: Callable[..., dict[str, Any]],
        make_user: Callable[..., dict[str, Any]],
    ) -> None:
        self.api = api
        self._make_org = make_org
        self._make_user = make_user
        self._orgs: dict[str, dict[str, Any]] = {}
        self._users: dict[str, dict[str, Any]] = {}
        self._tokens: dict[str, str] = {}

    def org(self, name: str) -> dict[str, Any]:
        if name not in self._orgs:
            self._orgs[name] = self._make_org(name)
        return self._orgs[name]

    def user(self, who: str) -> dict[str, Any]:
        if who not in self._users:
            role, org, extra = PEOPLE[who]
            org_id = self.org(org)["id"] if org else None
            self._users[who] = self._make_user(role, org_id=org_id, **extra)
        return self._users[who]

    def id(self, who: str) -> str:
        return str(self.user(who)["id"])

    def token(self, who: str) -> str:
        if who not in self._tokens:
            self._tokens[who] = self.api.login(self.user(who)["email"])
        return self._tokens[who]

    def sign_in_again(self) -> None:
        """After the fake clock jumps days ahead every session has timed out."""
        self._tokens.clear()

    def call(self, who: str, method: str, path: str, body: Any = None) -> Response:
        return self.api.call(method, path, body, token=self.token(who))

    def get(self, who: str, path: str) -> Any:
        status, body, _ = self.call(who, "GET", path)
        assert status == 200, (path, body)
        return body

    # -- what the scenarios keep doing -------------------------------------------------------

    def open_ticket(
        self,
        who: str,
        body: str = "My printer is on fire and the smoke alarm is beeping",
        *,
        topic: str = "technical",
        subject: str = "Printer on fire",
        **extra: Any,
    ) -> dict[str, Any]:
        """A customer opens a ticket; returns the ticket summary of the answer."""
        status, created, _ = self.call(
            who, "POST", "/api/portal/tickets",
            {"topic": topic, "subject": subject, "body": body, **extra},
        )
        assert status == 201, created
        return dict(created["ticket"])

    def answer(self, who: str, ticket_id: str, action: str, body: str = "Done.") -> Response:
        return self.call(
            who, "POST", f"/api/console/tickets/{ticket_id}/messages",
            {"action": action, "body": body},
        )

    def reply(self, who: str, ticket_id: str, body: str = "Thanks!") -> Response:
        return self.call(
            who, "POST", f"/api/portal/tickets/{ticket_id}/messages", {"body": body}
        )

    def portal_ticket(self, who: str, ticket_id: str) -> dict[str, Any]:
        return dict(self.get(who, f"/api/portal/tickets/{ticket_id}"))

    def console_ticket(self, who: str, ticket_id: str) -> dict[str, Any]:
        return dict(self.get(who, f"/api/console/tickets/{ticket_id}")["ticket"])

    def change_settings(self, **changes: Any) -> dict[str, Any]:
        status, body, _ = self.call("ada", "PATCH", "/api/admin/settings", changes)
        assert status == 200, body
        return dict(body["settings"])


def assert_error(response: Response, status: int, code: str | None = None) -> dict[str, Any]:
    """A refusal the client can show: the expected status and the one JSON error shape."""
    got, body, _ = response
    assert got == status, body
    assert isinstance(body, dict) and set(body) == {"error"}, body
    error = body["error"]
    assert isinstance(error.get("code"), str) and error["code"], body
    assert isinstance(error.get("message"), str) and error["message"], body
    if code is not None:
        assert error["code"] == code, body
    return dict(error)


def scheduled_event(app_client: Any, rule: str) -> dict[str, Any]:
    """The EventBridge payload a schedule delivers to its Lambda."""
    return dict(
        app_client.events.generate_cw_event(
            source="aws.events",
            detail_type="Scheduled Event",
            detail={},
            resources=[f"arn:aws:events:eu-west-1:123456789012:rule/parley-{rule}"],
            region="eu-west-1",
        )
    )


def run_job(app_client: Any, name: str) -> dict[str, Any]:
    """Invoke a scheduled handler the way Lambda would."""
    return dict(app_client.lambda_.invoke(name, scheduled_event(app_client, name)).payload)

"""Demo data for the local run. The password is published, so this refuses every stage but local."""

from __future__ import annotations

from chalicelib import clock
from chalicelib.config import get_settings
from chalicelib.data import orgs as org_store
from chalicelib.data import settings as settings_store
from chalicelib.data import teams as team_store
from chalicelib.data import users as user_store
from chalicelib.services.passwords import hash_password
from chalicelib.services.sessions import DEMO_PASSWORD
from chalicelib.services.settings import PortalSettings, forget_cached_settings

ORGS = [("acme", "Acme"), ("globex", "Globex")]
# The team every default topic routes to. Its address gets the support alerts of tickets nobody
# is assigned to (shown at /dev/mail); not the portal's own sender address, which is where mail
# comes in.
TEAMS = [("support", "Support", "helpdesk@parley.test")]
# email, name, role, org, organization view
USERS = [
    ("alice@acme.test", "Alice Martin", "customer", "acme", True),
    ("bob@acme.test", "Bob Nowak", "customer", "acme", False),
    ("carol@globex.test", "Carol Dubois", "customer", "globex", False),
    ("agent@parley.test", "Sam Agent", "agent", None, False),
    ("agent2@parley.test", "Kim Agent", "agent", None, False),
    ("admin@parley.test", "Ada Admin", "admin", None, False),
]
# A troubleshooter on the default "technical" topic, so the compose page offers one.
TROUBLESHOOTERS = [
    {
        "id": "vpn-sign-in",
        "name": "Can't sign in to the VPN",
        "topic": "technical",
        "intro": "Three quick questions help us find the cause faster.",
        "questions": [
            {"text": "Which device are you connecting from?",
             "options": ["Company laptop", "Personal computer", "Phone or tablet"]},
            {"text": "Did you change your password in the last few days?",
             "options": ["Yes", "No", "Not sure"]},
            {"text": "What does the error message say?", "options": []},
        ],
    }
]


def load_demo_data() -> list[str]:
    if get_settings().stage != "local":
        raise RuntimeError("demo data (with its published password) is for the local stage only")
    now = clock.now()
    for org_key, name in ORGS:
        if org_store.get_org(org_key) is None:
            org_store.create_org(org_store.OrgModel(org_id=org_key, name=name, created_at=now))
    for team_id, name, team_email in TEAMS:
        if team_store.get_team(team_id) is None:
            team_store.create_team(
                team_store.TeamModel(team_id=team_id, name=name, email=team_email, created_at=now)
            )
    _seed_troubleshooters(now)
    password_hash = hash_password(DEMO_PASSWORD)
    emails = []
    for email, name, role, org_id, org_view in USERS:
        emails.append(email)
        if user_store.find_user_by_email(email) is not None:
            continue
        user_store.create_user(
            user_store.UserModel(
                user_id=email.split("@")[0] + "-" + (org_id or "staff"),
                email=email,
                name=name,
                role=role,
                org_id=org_id,
                org_view=org_view,
                team_ids={"support"} if role != "customer" else None,
                password_hash=password_hash,
                created_at=now,
            )
        )
    return emails


def _seed_troubleshooters(now: float) -> None:
    # Only into settings that never had any: an admin's own forms (or none) are kept.
    item = settings_store.get_settings_item()
    if "troubleshooters" in item.data:
        return
    saved_topics = item.data.get("topics", PortalSettings().model_dump()["topics"])
    topics = {topic.get("id") for topic in saved_topics}
    if not all(form["topic"] in topics for form in TROUBLESHOOTERS):
        return  # the admin removed the demo form's topic: no form rather than no start
    settings = PortalSettings.model_validate(
        {**PortalSettings().model_dump(), **item.data, "troubleshooters": TROUBLESHOOTERS}
    )
    settings_store.save_settings_item(item, settings.model_dump(), now)
    forget_cached_settings()

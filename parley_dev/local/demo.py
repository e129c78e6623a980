"""Demo data for the local run. The password is published, so this refuses every stage but local."""

from __future__ import annotations

from chalicelib import clock
from chalicelib.config import get_settings
from chalicelib.data import orgs as org_store
from chalicelib.data import settings as settings_store
from chalicelib.data import teams as team_store
from chalicelib.data import users as user_store
from chalicelib.services.passwords import hash_password
from chalicelib.services.principal import Principal
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


# A few conversations, so that the portal and the console open on something to read: a billing
# question the team answered (unread for Alice) with an internal note beside it, a technical
# problem solved and rated, a new question from Bob that nobody has taken yet, and Carol's
# ticket that Kim answered. Written once, with the users (a kept dev state is not seeded twice).
CONVERSATIONS: list[tuple[str, str, str, str, list[tuple[str, str, str]]]] = [
    ("alice@acme.test", "billing", "October invoice shows the wrong VAT rate",
     "Hello, invoice 2026-10-0412 applies 23% VAT, but we are VAT-registered in Germany and "
     "should be invoiced with the reverse charge. Could you correct it?", [
         ("agent@parley.test", "note",
          "Finance confirms the VAT id DE 811 907 980 is valid; a credit note is on its way."),
         ("agent@parley.test", "send_leave_open",
          "Thank you, Alice. We are issuing a credit note and a corrected invoice with the "
          "reverse charge; both will be in your documents by Friday."),
     ]),
    ("alice@acme.test", "technical", "Badge reader at the north entrance beeps red",
     "Since this morning the badge reader at the north entrance refuses every badge.", [
         ("agent@parley.test", "send",
          "The reader had lost its network link after the power cut. It is back online; "
          "please try your badge again."),
         ("alice@acme.test", "rate", "5"),
     ]),
    ("bob@acme.test", "general", "Two more seats for the design team",
     "Hi, we are hiring two designers next month. Can we add two seats to our plan, and what "
     "would it cost?", []),
    ("carol@globex.test", "technical", "Export of last quarter's tickets",
     "We need a CSV export of all our tickets from July to September for an audit.", [
         ("agent2@parley.test", "send_leave_open",
          "Hello Carol, I have started the export; you will find it in this ticket's documents "
          "within the hour."),
     ]),
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
    created = False
    for email, name, role, org_id, org_view in USERS:
        emails.append(email)
        if user_store.find_user_by_email(email) is not None:
            continue
        created = True
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
    # The console's customer directory: these accounts were written through the data layer,
    # and a state kept from before the directory existed has none (services/customers.py).
    from chalicelib.services.customers import backfill

    backfill()
    if created:
        _seed_conversations()
        _seed_canned_responses()
    return emails


def _seed_troubleshooters(now: float) -> None:
    # Only into settings that never had any: an admin's own forms (or none) are kept.
    item = settings_store.get_settings_item()
    if "troubleshooters" in item.data:
        return
    saved = {**PortalSettings().model_dump(), **item.data}
    topics = {topic.get("id") for topic in saved["topics"]}
    if not all(form["topic"] in topics for form in TROUBLESHOOTERS):
        return  # the admin removed the demo form's topic: no form rather than no start
    settings = PortalSettings.model_validate({**saved, "troubleshooters": TROUBLESHOOTERS})
    settings_store.save_settings_item(item, settings.model_dump(), now)
    forget_cached_settings()


# Canned responses the console offers from the start: two of the team's (one with a shortcut
# and an action) and one of Sam's own. Placeholders are filled for the ticket they answer.
CANNED: list[tuple[str, dict[str, object]]] = [
    ("admin@parley.test", {
        "title": "Refund on its way", "language": "en", "shortcut": "refund", "action": "send",
        "shared": True, "body": "Hello {{ customer_name }},\n\nWe have issued your refund; it "
        "reaches your account within five working days.\n\nBest regards,\n{{ agent_name }}"}),
    ("admin@parley.test", {
        "title": "Remboursement en cours", "language": "fr", "shortcut": "rembourse",
        "action": "send", "shared": True, "body": "Bonjour {{ customer_name }},\n\nVotre "
        "remboursement est lancé ; il arrive sur votre compte sous cinq jours ouvrés.\n\n"
        "Cordialement,\n{{ agent_name }}"}),
    ("agent@parley.test", {
        "title": "Waiting for the logs", "language": "any", "shortcut": "logs",
        "action": "send_leave_open", "body": "Could you send us the log file of ticket "
        "#{{ ticket_number }}? It is under Help > Export logs."}),
]


def _seed_canned_responses() -> None:
    from chalicelib.services import canned
    from chalicelib.services.tickets import email as ticket_mail

    for email, fields in CANNED:
        user = user_store.find_user_by_email(email)
        assert user is not None, email
        canned.create_response(ticket_mail.principal_of(user), fields)


def _seed_conversations() -> None:
    from chalicelib.services.tickets import console, create, portal
    from chalicelib.services.tickets import email as ticket_mail

    def acting(email: str) -> Principal:
        user = user_store.find_user_by_email(email)
        assert user is not None, email
        return ticket_mail.principal_of(user)

    for customer, topic, subject, body, steps in CONVERSATIONS:
        opened = create.create_ticket(acting(customer), topic=topic, subject=subject, body=body)
        ticket_id = opened["ticket"]["id"]
        for who, action, text in steps:
            if action == "rate":
                portal.customer_view(acting(who), ticket_id)  # read before rating, as a person
                portal.rate(acting(who), ticket_id, int(text), "Fixed within the hour, thanks!")
            else:
                console.answer(acting(who), ticket_id, action, text)

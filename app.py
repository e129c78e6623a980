"""Parley on Chalice: wiring only. Routes live in chalicelib/api, event handlers in
chalicelib/events, rules in chalicelib/services."""

from chalice.app import Chalice

from chalicelib.api import (
    attachments,
    audit,
    auth,
    authorizer,
    canned,
    console,
    customers,
    desk,
    followers,
    health,
    inbound,
    magic_links,
    mail_templates,
    notifications,
    oidc,
    orgs,
    passkeys,
    portal,
    presence,
    second_factor,
    settings,
    suppressions,
    teams,
    users,
)
from chalicelib.config import get_settings
from chalicelib.events import account_mail, housekeeping, inbound_mail, live, mail_feedback, search
from chalicelib.events import notifications as notification_events
from chalicelib.events import sessions as session_events
from chalicelib.observability import publish_metrics

app = Chalice(app_name="parley")
app.api.cors = False  # pages and API share one origin (CloudFront, or the local runner)
app.experimental_feature_flags.update(["WEBSOCKETS"])  # live updates (chalicelib/events/live.py)
app.register_middleware(publish_metrics, "http")  # event handlers: @in_invocation

app.register_blueprint(authorizer.blueprint)
app.register_blueprint(inbound.blueprint)
for api in (health, auth, users, orgs, teams, audit, settings, portal, console, notifications,
            attachments, suppressions):
    app.register_blueprint(api.blueprint)
app.register_blueprint(mail_templates.blueprint)  # the settings page's mail editor
app.register_blueprint(followers.blueprint)  # a ticket's followers, portal and console
app.register_blueprint(customers.blueprint)  # the requester's context, the customer search
app.register_blueprint(canned.blueprint)  # the console's canned responses
app.register_blueprint(presence.blueprint)  # who else is on a conversation (console)
app.register_blueprint(desk.blueprint)  # tags, bulk actions, merging (console)
app.register_blueprint(magic_links.blueprint)  # sign-in by a mailed link (when enabled)
app.register_blueprint(second_factor.blueprint)  # the sign-in's second step, TOTP
app.register_blueprint(passkeys.blueprint)  # passkeys: the profile's, sign-in, second step
app.register_blueprint(oidc.blueprint)  # sign-in with an OpenID provider (SSO)
app.register_blueprint(session_events.blueprint)
app.register_blueprint(housekeeping.blueprint)
for events in (notification_events, mail_feedback, live, inbound_mail, account_mail, search):
    app.register_blueprint(events.blueprint)

if get_settings().is_local:
    from chalicelib.api import dev

    app.register_blueprint(dev.blueprint)

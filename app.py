"""Parley on Chalice: wiring only. Routes live in chalicelib/api, event handlers in
chalicelib/events, rules in chalicelib/services."""

from chalice import Chalice

from chalicelib.api import audit, auth, authorizer, console, health, orgs, portal, settings, users
from chalicelib.config import get_settings
from chalicelib.events import housekeeping
from chalicelib.events import sessions as session_events

app = Chalice(app_name="parley")
app.api.cors = False  # pages and API share one origin (CloudFront, or the local runner)

app.register_blueprint(authorizer.blueprint)
for api in (health, auth, users, orgs, audit, settings, portal, console):
    app.register_blueprint(api.blueprint)
app.register_blueprint(session_events.blueprint)
app.register_blueprint(housekeeping.blueprint)

if get_settings().is_local:
    from chalicelib.api import dev

    app.register_blueprint(dev.blueprint)

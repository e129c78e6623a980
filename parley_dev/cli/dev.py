"""`parley dev` / `make run`: the whole portal on one machine.

moto's ThreadedMotoServer is the AWS account, `chalice local` serves the API from this project's
app.py, the local WebSocket API (parley_dev/local/websocket.py) serves live updates on the next
port, and the event pump plays the part of Lambda's event sources. Everything runs in this one
process, so Ctrl-C or SIGTERM stops all of it and leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Any

PROJECT_DIR = Path(__file__).resolve().parents[2]


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def dev_state_path() -> Path:
    """Where `parley dev` says which emulator it runs (git-ignored); PARLEY_DEV_STATE moves it
    (tests, a second stack)."""
    return Path(os.environ.get("PARLEY_DEV_STATE") or PROJECT_DIR / ".parley-dev.json")


def write_dev_state(moto_url: str, public_url: str, live_url: str = "") -> None:
    """For `parley mail receive`: the emulator's endpoint and the names the stack uses (and,
    for whoever wants it, where the WebSocket API listens)."""
    names = ("PARLEY_STAGE", "AWS_REGION", "PARLEY_INBOUND_BUCKET", "PARLEY_INBOUND_TOPIC",
             "PARLEY_MAIL_DOMAIN", "PARLEY_TABLE_PREFIX")
    state = {
        "endpoint": moto_url, "url": public_url, "live": live_url, "pid": os.getpid(),
        "environment": {n: os.environ[n] for n in names if os.environ.get(n)},
    }
    # Written aside then renamed: whoever waits for the file (`parley mail receive`, the tests)
    # must never read it half written.
    path = dev_state_path()
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(state, indent=2) + "\n")
    os.replace(partial, path)


def read_dev_state() -> dict[str, Any]:
    try:
        state = json.loads(dev_state_path().read_text())
    except (OSError, ValueError):
        return {}
    return state if isinstance(state, dict) else {}


def remove_dev_state() -> None:
    with contextlib.suppress(OSError):
        if read_dev_state().get("pid") == os.getpid():  # another stack's file is not ours
            dev_state_path().unlink()


def _local_environment(moto_url: str, public_url: str, live_endpoint: str) -> dict[str, str]:
    return {
        "PARLEY_STAGE": "local",
        "PARLEY_PUBLIC_URL": public_url,
        # The local WebSocket API's Management API: the stream function's pushes and the
        # pages' live URL (GET /api/notifications/live) come from it, as on AWS.
        "PARLEY_WEBSOCKET_ENDPOINT": live_endpoint,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_REGION": "eu-west-1",
        # Every boto3 and PynamoDB client goes to the emulator, never to a real account.
        "AWS_ENDPOINT_URL": moto_url,
        "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
        "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_LOG_LEVEL": os.environ.get("POWERTOOLS_LOG_LEVEL", "WARNING"),
    }


def start_stack(host: str, port: int) -> tuple[Any, Any, Any, Any, list[str], Any]:
    """Start emulator, resources, demo data, API server, WebSocket API, pump and the OpenID
    provider; returns handles to stop them."""
    import logging

    from moto.server import ThreadedMotoServer

    from parley_dev.local.websocket import LocalWebsocketApi

    # The emulator's per-request log would drown what the portal prints.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    # Bound first (the port after the portal's, else any free one): its URL goes into the
    # environment the app's settings are read from, and the emulator's port is chosen after.
    live = LocalWebsocketApi(host, port + 1 if port else 0)
    moto_port = _free_port(host)
    os.environ.pop("AWS_PROFILE", None)
    os.environ.update(_local_environment(
        f"http://{host}:{moto_port}", f"http://{host}:{port}", live.endpoint))
    from parley_dev.local.oidc_provider import LocalOidcProvider, free_port

    # The demo OpenID provider (Node.js) on the port after the WebSocket API's: it starts while
    # the rest does, and is registered in the demo settings once it answers.
    sso = LocalOidcProvider(host, free_port(host, port + 2 if port else 0),
                            [f"http://{host}:{port}/api/auth/oidc/demo/callback"])
    sso.launch()
    from parley_dev.local.moto_atomic import make_dynamodb_atomic

    make_dynamodb_atomic()  # the portal's request threads write concurrently, as on AWS
    from parley_dev.local.moto_speed import make_moto_faster

    make_moto_faster()
    from parley_dev.local.emulator_events import watch_emulator

    watch_emulator()  # the event pump wakes on the emulator's writes (local/pump.py)
    moto = ThreadedMotoServer(ip_address=host, port=moto_port, verbose=False)
    moto.start()

    from parley_dev.local.demo import load_demo_data
    from parley_dev.local.resources import create_resources

    create_resources()
    emails = load_demo_data()
    quicker_presence()
    from parley_dev.local.oidc_provider import seed_demo_provider

    seed_demo_provider(sso.wait())

    from chalice.cli.factory import CLIFactory

    from parley_dev.local.pump import EventPump
    from parley_dev.local.server import create_server, keep_requests_per_thread

    factory = CLIFactory(str(PROJECT_DIR), environ=os.environ)
    config = factory.create_config_obj(chalice_stage_name="local")
    keep_requests_per_thread(config.chalice_app)
    server = create_server(config.chalice_app, config, host, port)
    pump = EventPump(config.chalice_app)
    server.server.pump = pump  # what GET /dev/pump/drained asks (local/server.py)
    pump.start()
    live.serve(config.chalice_app)
    threading.Thread(target=server.serve_forever, name="chalice-local", daemon=True).start()
    return moto, server, live, pump, emails, sso


# The browser tests' stack sets it (tests/browser/conftest.py): console pages beat this often
# instead of every 5 s, so a test sees who else is on a conversation as a person would, sooner.
# Read by this local tool alone: nothing deployed has it.
QUICKER_PRESENCE = "PARLEY_DEV_PRESENCE_HEARTBEAT_SECONDS"


def quicker_presence() -> None:
    """The presence heartbeat the pages are told (services/presence.py), from QUICKER_PRESENCE
    when it is set."""
    seconds = os.environ.get(QUICKER_PRESENCE, "")
    if seconds:
        from chalicelib.services import presence

        presence.HEARTBEAT_SECONDS = int(seconds)


def _settle_garbage_collector() -> None:
    """What starting made (moto's and botocore's models, the app) lives as long as the process:
    out of the garbage collector's way, so that a full collection looks only at what requests
    make, and collections come less often (each emulator request makes thousands of short-lived
    objects, nearly all freed by reference counting)."""
    import gc

    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 10)


def run_dev(host: str, port: int) -> int:
    # Handlers first: a SIGTERM that arrives while the stack starts, or just after the state
    # file appears, must still stop it cleanly and remove the file (the default action would
    # kill the process and leave a state file naming a dead emulator).
    stopped = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        stopped.set()

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    moto, server, live, pump, emails, sso = start_stack(host, port)
    _settle_garbage_collector()
    # Imported only now: importing the app's modules reads the settings once, and they must
    # see the local stack's environment (the public URL in mailed links, among others).
    from chalicelib.services.sessions import DEMO_PASSWORD

    print(f"Parley is running at http://{host}:{port}/  (API under /api, mail at /dev/mail)")
    print(f"Embedded AWS emulator: {os.environ['AWS_ENDPOINT_URL']}")
    print(f"Live updates (WebSocket API): {live.url}")
    print(f"Demo accounts (password '{DEMO_PASSWORD}', valid on this local stage only):")
    for email in emails:
        print(f"  {email}")
    print(f"Demo SSO (OpenID provider, same password): {sso.issuer}")
    print("  alice@acme.test, agent@parley.test, dana@acme.test (no account: made at sign-in)")
    write_dev_state(os.environ["AWS_ENDPOINT_URL"], f"http://{host}:{port}", live.url)
    print("Press Ctrl-C to stop.", flush=True)

    # Wake up now and then: Linux may deliver the signal to one of the server's threads, and
    # then only the main thread's next trip through the interpreter runs the handler; a wait
    # without a timeout would sleep through it until the caller gives up and kills us.
    while not stopped.wait(0.5):
        pass
    print("Stopping...", flush=True)
    remove_dev_state()
    pump.stop()
    server.shutdown()
    live.stop()  # before the emulator: each connection's $disconnect still reaches its table
    sso.stop()
    moto.stop()
    pump.join(timeout=5)
    return 0


if __name__ == "__main__":
    sys.exit(run_dev("127.0.0.1", 8000))

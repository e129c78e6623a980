"""`parley dev` in a subprocess, as a developer runs it: for tests of the local stack itself."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from parley_dev.cli.dev import PROJECT_DIR

DEMO_PASSWORD = "parley-demo"  # chalicelib/services/sessions.py; local stage only


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def stack_environment(state: Path) -> dict[str, str]:
    # The stack sets its own AWS and Parley environment: none of the tests' may leak in.
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AWS_", "PARLEY_", "POWERTOOLS_"))}
    return {**env, "PARLEY_DEV_STATE": str(state), "PYTHONPATH": str(PROJECT_DIR)}


def descendants(pid: int) -> set[int]:
    """Every process below `pid`, read from /proc (Linux)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def stop(stack: subprocess.Popen[bytes]) -> None:
    stack.terminate()
    try:
        stack.wait(timeout=20)
    except subprocess.TimeoutExpired:
        stack.kill()
        stack.wait(timeout=5)


@pytest.fixture
def local_stack(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """`parley dev` on a free port, started as `make run` starts it, and stopped (SIGTERM)
    afterwards; yields the URL, the emulator's endpoint, the process and its state file."""
    state, port = tmp_path / "dev.json", _free_port()
    stack = subprocess.Popen(  # noqa: S603 - our own command
        [sys.executable, "-c", "from parley_dev.cli import main; main()", "dev", "--port",
         str(port)],
        cwd=PROJECT_DIR, env=stack_environment(state), stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while not state.exists():
            assert stack.poll() is None, "parley dev stopped"
            assert time.monotonic() < deadline, "parley dev did not start"
            time.sleep(0.2)
        yield {"url": f"http://127.0.0.1:{port}", "process": stack, "port": port,
               "state": state, **json.loads(state.read_text())}
    finally:
        if stack.poll() is None:
            stop(stack)

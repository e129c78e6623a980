"""Helpers of the browser tests (the fixtures are in conftest.py)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

PROJECT_DIR = Path(__file__).resolve().parents[2]
ARTIFACTS = PROJECT_DIR / "test-artifacts"
DEMO_PASSWORD = "parley-demo"


def sign_in(page: Any, email: str, password: str = DEMO_PASSWORD) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/(tickets|console|change-password)"))


def screenshot(page: Any, name: str, *, full_page: bool = True) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def no_horizontal_overflow(page: Any) -> tuple[int, int]:
    return tuple(page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"))


def answer_buttons_fit(page: Any, *, rows: tuple[int, int], filled: bool) -> None:
    """The console's four answer buttons: each label on one line (a button one line tall),
    every button inside the composer, on `rows` (least, most) rows; `filled`: the buttons of
    each row reach across it (the phone layout). Font-independent on purpose: what wraps where
    depends on the font a machine has, and users have all kinds."""
    bar = page.locator(".composer__actions")
    area = bar.bounding_box()
    boxes = [button.bounding_box() for button in bar.locator(".btn").all()]
    assert len(boxes) == 4, boxes
    one_line = min(box["height"] for box in boxes)
    assert max(box["height"] for box in boxes) < min(44, one_line * 1.2), boxes
    left, right = area["x"] - 1, area["x"] + area["width"] + 1
    for box in boxes:
        assert box["x"] >= left and box["x"] + box["width"] <= right, (box, area)
    lines = sorted({round(box["y"]) for box in boxes})
    assert rows[0] <= len(lines) <= rows[1], boxes
    if filled:
        for y in lines:
            right = max(b["x"] + b["width"] for b in boxes if round(b["y"]) == y)
            assert right >= area["x"] + area["width"] - 2, (y, boxes, area)


def wait_for(found: Callable[[], T | None], what: str, timeout: float = 20.0) -> T:
    """What `found` returns once it returns something, asking again until `timeout`: for what
    the stack's event pump does after a request has answered (mail sent from a queue, a bounce
    handled), which no page element announces."""
    deadline = time.monotonic() + timeout
    while (result := found()) is None:
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout:.0f} s")
        time.sleep(0.2)  # the interval between two looks, not a wait standing in for one
    return result

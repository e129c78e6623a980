"""The layout holds whatever fonts a machine has: the key screens, at 1280 px and at 390 px, under
two font sets of deliberately different metrics, each given to its own Chromium through a
fontconfig file that knows one set's directory and nothing else.

- DejaVu (fonts-dejavu-core): Debian's default, a wide sans.
- Liberation (fonts-liberation): Arial's metrics, narrower, what most desktops show. fontconfig's
  stock rules would give a Liberation-only machine Liberation *Mono* for `system-ui` (60-latin's
  sans list names Arial after 30-metric-aliases has run), so the set says Liberation Sans is the
  sans, as a distribution shipping it as its default would.

A set that is not installed fails the test with the package to install: skipped, it would pass
on a machine where it proves nothing."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.support import (
    ARTIFACTS,
    answer_buttons_fit,
    no_horizontal_overflow,
    screenshot,
    sign_in,
)

pytestmark = pytest.mark.browser

DESKTOP, PHONE = 1280, 390
TOUCH = 44  # px: the least height of a touch target on a phone
FONT_DIRS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"))
ANSWERS = ["Send", "Send and leave open", "Resolve silently", "Internal note"]


@dataclass(frozen=True)
class FontSet:
    name: str
    package: str  # the Debian package that installs it
    probe: str  # a file of the set: its directory is the set's directory
    family: str  # what the portal's text must then be rendered in
    sans: str | None = None  # the family fontconfig is told is the sans, if its rules pick another

    def directory(self) -> Path:
        for root in FONT_DIRS:
            found = sorted(root.rglob(self.probe)) if root.is_dir() else []
            if found:
                return found[0].parent
        pytest.fail(f"the {self.name} font set is not installed ({self.probe} is in none of "
                    f"{', '.join(map(str, FONT_DIRS))}): apt-get install {self.package}")

    def fontconfig(self, where: Path) -> Path:
        """A fonts.conf that lists this set's directory alone, with its own cache, and keeps the
        system's rules (aliases, hinting) except the user's, which could add directories."""
        rules = Path("/etc/fonts/conf.d")
        includes = "".join(f"<include ignore_missing=\"yes\">{rule}</include>"
                           for rule in sorted(rules.glob("*.conf")) if rule.name != "50-user.conf")
        prefer = f"<prefer><family>{self.sans}</family></prefer>"
        sans = "".join(f"<alias><family>{generic}</family>{prefer}</alias>"
                       for generic in ("sans", "sans-serif")) if self.sans else ""
        (where / "cache").mkdir(exist_ok=True)
        conf = where / "fonts.conf"
        conf.write_text(
            '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">\n'
            f"<fontconfig><dir>{self.directory()}</dir><cachedir>{where / 'cache'}</cachedir>"
            f"{includes}{sans}</fontconfig>\n")
        return conf


FONT_SETS = {
    "dejavu": FontSet("DejaVu", "fonts-dejavu-core", "DejaVuSans.ttf", "DejaVu Sans"),
    "liberation": FontSet("Liberation", "fonts-liberation", "LiberationSans-Regular.ttf",
                          "Liberation Sans", sans="Liberation Sans"),
}


def rendered_families(page: Any, selector: str) -> list[str]:
    """The fonts Chromium really drew an element's text with (DevTools' platform fonts)."""
    cdp = page.context.new_cdp_session(page)
    try:
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        root = cdp.send("DOM.getDocument")["root"]["nodeId"]
        node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
        fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
        return [font["familyName"] for font in fonts]
    finally:
        cdp.detach()


def label_widths(page: Any) -> dict[str, float]:
    """The answer labels' widths in the portal's own font, as the console's buttons set them."""
    return page.evaluate("""labels => Object.fromEntries(labels.map(label => {
        const probe = document.createElement("span");
        probe.className = "btn";
        probe.style.cssText = "position:absolute;visibility:hidden;font-size:.875rem";
        probe.textContent = label;
        document.body.append(probe);
        const width = probe.getBoundingClientRect().width;
        probe.remove();
        return [label, width];
    }))""", ANSWERS)


@dataclass
class FontBrowser:
    font_set: FontSet
    browser: Any
    base_url: str

    def page(self, width: int) -> Any:
        context = self.browser.new_context(
            viewport={"width": width, "height": 860 if width > PHONE else 844},
            base_url=self.base_url, locale="en-GB")
        context.set_default_timeout(15_000)
        return context.new_page()


@pytest.fixture(scope="module")
def font_browsers(launch_chromium: Callable[..., Any], stack: Any,
                  tmp_path_factory: pytest.TempPathFactory
                  ) -> Iterator[Callable[[str], FontBrowser]]:
    """A Chromium per font set, launched when first asked for, with FONTCONFIG_FILE naming the
    set's fonts.conf; it proves on the sign-in page that the set is what it renders with."""
    launched: dict[str, FontBrowser] = {}

    def get(key: str) -> FontBrowser:
        if key not in launched:
            font_set = FONT_SETS[key]
            conf = font_set.fontconfig(tmp_path_factory.mktemp(f"fonts-{key}"))
            browser = launch_chromium(env={**os.environ, "FONTCONFIG_FILE": str(conf)})
            launched[key] = FontBrowser(font_set, browser, stack.url)
            page = launched[key].page(DESKTOP)
            page.goto("/login")
            expect(page.get_by_role("button", name="Sign in")).to_be_visible()
            families = rendered_families(page, "button[type=submit]")
            page.context.close()
            assert families == [font_set.family], (
                f"the {font_set.name} set ({conf}) rendered the sign-in button in {families}, "
                f"not {font_set.family}: the font set did not apply")
        return launched[key]

    yield get
    for running in launched.values():
        running.browser.close()


@pytest.fixture(scope="module")
def conversation(stack: Any) -> str:
    """A customer's ticket the team has answered: a conversation with its reply box for the
    customer, and with its four answer buttons for an agent."""
    ticket_id = stack.call("POST", "/api/portal/tickets", {
        "topic": "billing", "subject": "Invoice INV-2041 lists the April licences twice",
        "body": "Both lines say 25 seats. We have 25 seats in all.",
    }, token=stack.token("alice@acme.test"))["ticket"]["id"]
    stack.call("POST", f"/api/console/tickets/{ticket_id}/messages",
               {"action": "send_leave_open", "body": "Checking with billing now."},
               token=stack.token("agent@parley.test"))
    return str(ticket_id)


# ---------------------------------------------------------------------------------------------
# What a user would notice


BUTTONS = """reach => [...document.querySelectorAll("button, .btn, [role=button]")]
    .filter(el => el.checkVisibility({visibilityProperty: true}) && el.offsetWidth > 1)
    .map(el => {
        // a label that wraps: one text of it on rows at two heights
        const wrapped = [];
        const texts = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
        for (let node = texts.nextNode(); node; node = texts.nextNode()) {
            const range = document.createRange();
            range.selectNodeContents(node);
            const tops = [...range.getClientRects()].filter(r => r.width > 0).map(r => r.top);
            if (tops.length && Math.max(...tops) - Math.min(...tops) > 2) wrapped.push(node.data);
        }
        // what a finger meets: the points of a square of `reach` * 2 px around its centre
        el.scrollIntoView({block: "center", inline: "nearest"});
        const box = el.getBoundingClientRect();
        // its content (text, icons) inside its padding box: nothing cut. (On a phone, not
        // scrollWidth: the touch area drawn past a narrow button, which cuts nothing, counts.)
        const contents = document.createRange();
        contents.selectNodeContents(el);
        const inner = contents.getBoundingClientRect();
        const left = box.left + el.clientLeft, right = left + el.clientWidth;
        const top = box.top + el.clientTop, bottom = top + el.clientHeight;
        const cut = inner.width > 0 && (inner.left < left - .5 || inner.right > right + .5
                                        || inner.top < top - .5 || inner.bottom > bottom + .5);
        const x = box.left + box.width / 2, y = box.top + box.height / 2;
        const missed = [[-1, -1], [0, -1], [1, -1], [-1, 0], [1, 0], [-1, 1], [0, 1], [1, 1]]
            .map(([dx, dy]) => [dx, dy, document.elementFromPoint(x + dx * reach, y + dy * reach)])
            .filter(([, , hit]) => !el.contains(hit))
            .map(([dx, dy, hit]) => `${dx},${dy}: ${hit ? hit.className || hit.tagName : "-"}`);
        return {text: (el.innerText || el.getAttribute("aria-label") || "").trim().slice(0, 40),
                width: box.width, height: box.height, cut, wrapped, missed,
                content: [inner.width, inner.height], room: [el.clientWidth, el.clientHeight],
                scrollWidth: el.scrollWidth, clientWidth: el.clientWidth};
    })"""


def check_screen(page: Any, what: str, *, phone: bool) -> None:
    """What holds on every screen: the page no wider than the window; every button's text whole
    (nothing cut inside it) and its label on one line; on a phone, every button a target of
    TOUCH px each way to a finger (it may look smaller: what takes the tap counts)."""
    scroll_width, client_width = no_horizontal_overflow(page)
    assert scroll_width <= client_width, (
        f"{what}: the page is {scroll_width} px wide in a {client_width} px window")
    buttons = page.evaluate(BUTTONS, (TOUCH - 1) / 2)
    page.evaluate("window.scrollTo(0, 0)")
    assert buttons, f"{what}: no buttons found"
    cut = [b for b in buttons
           if b["cut"] or (not phone and b["scrollWidth"] > b["clientWidth"])]
    assert not cut, f"{what}: text cut inside {cut}"
    wrapped = [b for b in buttons if b["wrapped"]]
    assert not wrapped, f"{what}: labels on two lines in {wrapped}"
    if phone:
        small = [(b["text"], b["width"], b["height"], b["missed"]) for b in buttons if b["missed"]]
        assert not small, f"{what}: touch targets under {TOUCH} px: {small}"


def one_row(page: Any, group: str, what: str) -> None:
    """A group's buttons side by side on one row."""
    boxes = [b.bounding_box() for b in page.locator(group).first.locator("button, .btn").all()
             if b.is_visible()]
    assert boxes, f"{what}: no buttons in {group}"
    middles = [box["y"] + box["height"] / 2 for box in boxes]
    assert max(middles) - min(middles) <= 2, f"{what}: {group} takes more than one row: {boxes}"


# ---------------------------------------------------------------------------------------------
# The tests


def test_each_font_set_really_changes_the_font(font_browsers):
    # Given a Chromium per font set (each checked by its fixture to draw the sign-in button in
    # its set's family), when each lays out the console's answer labels in the portal's font
    measured: dict[str, dict[str, Any]] = {}
    for key in FONT_SETS:
        running = font_browsers(key)
        page = running.page(DESKTOP)
        page.goto("/login")
        expect(page.get_by_role("button", name="Sign in")).to_be_visible()
        measured[key] = {"families": rendered_families(page, "h1, .auth__title"),
                         "labels": label_widths(page)}
        page.context.close()
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "font-sets.json").write_text(json.dumps(measured, indent=2))

    # Then every set draws the title in its own family, and the same labels in other widths
    for key, found in measured.items():
        assert found["families"] == [FONT_SETS[key].family], (key, found)
    assert len({font_set.family for font_set in FONT_SETS.values()}) == len(FONT_SETS)
    dejavu, liberation = (sum(measured[key]["labels"].values()) for key in ("dejavu", "liberation"))
    assert abs(dejavu - liberation) / min(dejavu, liberation) > 0.05, measured


@pytest.mark.parametrize("width", [DESKTOP, PHONE], ids=["desktop", "phone"])
@pytest.mark.parametrize("key", list(FONT_SETS))
def test_key_screens_hold_under_the_font_set(font_browsers, conversation, key, width):
    running = font_browsers(key)
    phone = width == PHONE
    where = f"{key}, {width} px"

    # The sign-in page
    customer = running.page(width)
    customer.goto("/login")
    expect(customer.get_by_role("button", name="Sign in")).to_be_visible()
    check_screen(customer, f"sign-in ({where})", phone=phone)

    # The customer's ticket list, and a conversation with its reply box
    sign_in(customer, "alice@acme.test")
    expect(customer.locator(".ticket-row").first).to_be_visible()
    check_screen(customer, f"ticket list ({where})", phone=phone)
    customer.goto(f"/tickets/{conversation}")
    expect(customer.locator(".message--team")).to_be_visible()
    expect(customer.get_by_label("Your reply")).to_be_visible()
    check_screen(customer, f"customer conversation ({where})", phone=phone)
    screenshot(customer, f"fonts-{key}-{width}-ticket")
    customer.context.close()

    # The console's conversation: its four answer buttons on one row on a desktop; on a phone
    # filling the rows they need, each one line tall
    agent = running.page(width)
    sign_in(agent, "admin@parley.test")
    agent.goto(f"/console/tickets/{conversation}")
    expect(agent.locator(".message--customer")).to_be_visible()
    actions = agent.get_by_role("group", name="Answer actions").get_by_role("button")
    expect(actions).to_have_text(ANSWERS)
    drawn = rendered_families(agent, ".composer__actions .btn--secondary span")
    assert drawn == [running.font_set.family], (where, drawn)
    check_screen(agent, f"console conversation ({where})", phone=phone)
    if phone:
        answer_buttons_fit(agent, rows=(1, 4), filled=True)
    else:
        answer_buttons_fit(agent, rows=(1, 1), filled=False)
        one_row(agent, ".convo-header__actions", f"console conversation ({where})")
    screenshot(agent, f"fonts-{key}-{width}-console")

    # An admin list, its row actions side by side on a desktop
    agent.goto("/admin/users")
    expect(agent.locator(".table--users tbody tr").first).to_be_visible()
    check_screen(agent, f"admin users ({where})", phone=phone)
    if not phone:
        one_row(agent, ".table--users tbody .col-actions", f"admin users ({where})")
    agent.context.close()

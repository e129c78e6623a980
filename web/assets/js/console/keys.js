// @ts-check
// The console's keyboard: j and k open the next and the previous conversation of the list, /
// goes to the list's search, ? shows every shortcut. None of them fires while the agent types in
// a field or a dialog is open; Escape in the answer or the list's search leaves the field, so
// they work again. The composer's own keys (Ctrl/⌘+Enter, ;shortcut then Tab) are composer.js's.
//
// This module reads the list from the page as it is drawn (conversations.js), never from its
// code: any list of `.convo` items with a link to a conversation will do.

import { h, icon } from "../dom.js";
import { t } from "../i18n.js";

const LIST_LINKS = ".convo-list .convo a[href^='/console/tickets/']";
const LIST_SEARCH = ".pane--list [role=search] input, .pane--list input[type=search]";
// Fields Escape leaves: the answer, and the list's search.
const LEAVABLE = ".composer__text, .pane--list input[type=search]";

let installed = false;

/** Apple keyboards say ⌘ where the others say Ctrl (and French ones Entrée for Enter). */
export function sendKeys() {
  const apple = /Mac|iPhone|iPad/.test(navigator.userAgent);
  return [apple ? "⌘" : "Ctrl", t("keys.enterKey")];
}

/** Keys as the page shows them: each in a <kbd>, joined by "+". @param {string[]} keys */
export function keyCombo(keys) {
  /** @type {Child[]} */
  const parts = [];
  keys.forEach((key, index) => {
    if (index) parts.push("+");
    parts.push(h("kbd", { class: "kbd", text: key }));
  });
  return h("span", { class: "key-combo" }, parts);
}

/** Once per page load: the shell calls it for the staff areas (shell/layout.js). */
export function installKeys() {
  if (installed) return;
  installed = true;
  document.addEventListener("keydown", onKey);
}

/** Where the agent is typing: a text field, a list box, an editable region. Buttons, links and
 * check boxes take no letters, so the shortcuts still work there. */
function typingIn(/** @type {EventTarget | null} */ target) {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable || target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  if (target instanceof HTMLInputElement) {
    return !["checkbox", "radio", "button", "submit", "reset", "range", "color", "file"].includes(target.type);
  }
  return false;
}

function onKey(/** @type {KeyboardEvent} */ event) {
  if (event.defaultPrevented || event.isComposing || event.ctrlKey || event.metaKey || event.altKey) return;
  if (document.querySelector("dialog[open]")) return; // a dialog has its own keys (Escape closes it)
  const target = event.target;
  if (typingIn(target)) {
    if (event.key === "Escape" && target instanceof HTMLElement && target.matches(LEAVABLE)) {
      const main = document.getElementById("main");
      if (main) main.focus();
    }
    return;
  }
  if (event.key === "j" || event.key === "k") {
    if (move(event.key === "j" ? 1 : -1)) event.preventDefault();
  } else if (event.key === "/") {
    const search = document.querySelector(LIST_SEARCH);
    if (search instanceof HTMLInputElement) {
      event.preventDefault(); // or the "/" would be typed into it
      search.focus();
      search.select();
    }
  } else if (event.key === "?") {
    event.preventDefault();
    showShortcuts();
  }
}

/** Opens the conversation `step` places from the one focused in the list, else the one open;
 * with neither, j opens the first. Past either end, nothing. */
function move(/** @type {number} */ step) {
  const links = /** @type {HTMLAnchorElement[]} */ ([...document.querySelectorAll(LIST_LINKS)]);
  if (!links.length) return false;
  const focused = links.findIndex((link) => link === document.activeElement);
  const open = links.findIndex((link) => link.getAttribute("aria-current") === "page");
  const from = focused >= 0 ? focused : open;
  const next = from < 0 ? (step > 0 ? 0 : -1) : from + step;
  if (next < 0 || next >= links.length) return false;
  links[next].click(); // the shell's link handling opens it in place
  return true;
}

/** Every shortcut, in a dialog: Escape or Close shuts it, and the focus goes back. */
export function showShortcuts() {
  const returnFocus = document.activeElement;
  const titleId = "shortcuts-title";
  /** @type {[string[][], string][]} */
  const rows = [
    [[["j"]], t("keys.next")],
    [[["k"]], t("keys.previous")],
    [[["/"]], t("keys.search")],
    [[sendKeys()], t("keys.send")],
    [[[";", t("keys.shortcutWord")], ["Tab"]], t("keys.canned")],
    [[["↑"], ["↓"], [t("keys.enterKey")]], t("keys.picker")],
    [[[t("keys.escKey")]], t("keys.escape")],
    [[["?"]], t("keys.help")],
  ];
  const close = h("button", { type: "button", class: "btn btn--primary", text: t("keys.close") });
  const dialog = h("dialog", { class: "card shortcuts", "aria-labelledby": titleId },
    h("h2", { class: "card__title", id: titleId }, icon("settings"), t("keys.title")),
    h("table", { class: "shortcuts__table", "aria-labelledby": titleId },
      h("thead", { class: "sr-only" }, h("tr", {},
        h("th", { scope: "col", text: t("keys.keyColumn") }), h("th", { scope: "col", text: t("keys.actionColumn") }))),
      h("tbody", {}, rows.map(([combos, what]) => h("tr", {},
        h("th", { scope: "row", class: "shortcuts__keys" }, combos.map((keys, index) => [
          index ? " " : null,
          keys.length === 2 && keys[0] === ";" ? h("span", { class: "key-combo" },
            h("kbd", { class: "kbd", text: ";" }), h("span", { class: "kbd kbd--word", text: keys[1] }))
            : keyCombo(keys)])),
        h("td", { text: what }))))),
    h("p", { class: "field__hint", text: t("keys.notInFields") }),
    h("div", { class: "form__actions" }, close));
  close.addEventListener("click", () => dialog.close());
  dialog.addEventListener("close", () => {
    dialog.remove();
    if (returnFocus instanceof HTMLElement && returnFocus.isConnected) returnFocus.focus();
  });
  document.body.append(dialog);
  dialog.showModal();
  close.focus();
}

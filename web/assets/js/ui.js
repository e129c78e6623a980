// @ts-check
// Small building blocks shared by the portal, the console and the admin pages.

import { h, icon } from "./dom.js";
import { t } from "./i18n.js";

/** @type {Record<string, string>} */
const STATUS_TONES = {
  open: "info", new: "new", pending: "warning", resolved: "success", closed: "neutral",
};

export function statusBadge(/** @type {string} */ status) {
  return h("span", { class: `status status--${STATUS_TONES[status] || "neutral"}`, dataset: { status } },
    h("span", { class: "status__dot", "aria-hidden": "true" }),
    t(`status.${status}`));
}

/** A "Load more" button; show(false) hides it, busy(true) disables it while loading. */
export function loadMoreButton(/** @type {() => unknown} */ onClick) {
  const button = h("button", { type: "button", class: "btn btn--secondary", hidden: true,
    text: t("common.loadMore") });
  button.addEventListener("click", onClick);
  return {
    element: button,
    show: (/** @type {boolean} */ visible) => {
      button.hidden = !visible;
    },
    busy: (/** @type {boolean} */ busy) => {
      button.disabled = busy;
      if (busy) button.setAttribute("aria-busy", "true");
      else button.removeAttribute("aria-busy");
    },
  };
}

/** "123 / 10000" under a text area; announced only when close to the limit. */
export function counter(/** @type {HTMLTextAreaElement} */ textarea, /** @type {number} */ max) {
  const output = h("p", { class: "counter muted", "aria-live": "off" });
  const update = () => {
    const length = textarea.value.length;
    output.textContent = t("common.characters", { count: length, max });
    output.classList.toggle("counter--near", length > max * 0.9);
    output.setAttribute("aria-live", length > max * 0.9 ? "polite" : "off");
  };
  textarea.addEventListener("input", update);
  update();
  return output;
}

/** A group of toggle buttons (one pressed). Arrow keys move between them. `set(key)` presses one.
 * @param {string} label @param {[string, string][]} options @param {string} value
 * @param {(key: string) => void} onChange */
export function segmented(label, options, value, onChange) {
  let current = value;
  const buttons = options.map(([key, text]) => {
    const button = h("button", { type: "button", class: "segmented__option", text,
      "aria-pressed": String(key === current), dataset: { value: key } });
    button.addEventListener("click", () => {
      if (key === current) return;
      set(key);
      onChange(key);
    });
    return button;
  });
  const group = h("div", { class: "segmented", role: "group", "aria-label": label }, buttons);
  group.addEventListener("keydown", (event) => {
    if (!["ArrowLeft", "ArrowRight"].includes(event.key)) return;
    const index = buttons.findIndex((button) => button === document.activeElement);
    if (index < 0) return;
    const next = buttons[(index + (event.key === "ArrowRight" ? 1 : buttons.length - 1)) % buttons.length];
    next.focus();
    event.preventDefault();
  });
  function set(/** @type {string} */ key) {
    current = key;
    for (const button of buttons) button.setAttribute("aria-pressed", String(button.dataset.value === key));
  }
  return Object.assign(group, { set });
}

/** An empty list's message, with an optional way forward (a link or button) under it. */
/** @param {string} text @param {Child} [action] */
export function emptyState(text, action = null) {
  return h("div", { class: "empty" }, icon("inbox"), h("p", { text }), action);
}

export function troubleshooterCard(/** @type {TroubleshooterAnswers} */ troubleshooter) {
  return h("section", { class: "card", "aria-labelledby": "ts-title" },
    h("h2", { class: "card__title", id: "ts-title", text: t("ticket.troubleshooter") }),
    h("p", { class: "muted", text: troubleshooter.name }),
    h("dl", { class: "qa" }, (troubleshooter.answers || []).map((qa) =>
      [h("dt", { text: qa.question }), h("dd", { text: qa.answer })])));
}

// @ts-check
// A conversation's tags (the team's own labels; customers never see them): the chips a list row
// shows, and the header's editor that adds one (typed, Enter) or removes one (its ×). Each
// change is the server's: it answers the conversation's view, with the history line.

import { h, icon, uid } from "../dom.js";
import { post } from "../api.js";
import { t } from "../i18n.js";

/** The tags as chips, or nothing for none.
 * @param {string[] | undefined} tags */
export function tagChips(tags) {
  if (!tags || !tags.length) return null;
  return h("span", { class: "tag-list", "aria-label": t("tags.label") },
    tags.map((name) => h("span", { class: "chip chip--tag", text: name })));
}

/** The header's editor. `saved(fresh, message)` after the server took a change; `failed(error)`
 * else. `render(ticket)` shows the ticket's tags.
 * @param {{base: string, saved: (fresh: ConsoleTicketView, message: string) => void,
 *   failed: (error: unknown) => void}} options */
export function tagEditor({ base, saved, failed }) {
  const chips = h("span", { class: "tag-list" });
  const input = h("input", { class: "input input--small tag-input", id: uid("tag"), maxlength: 30,
    autocomplete: "off", placeholder: t("tags.addPlaceholder") });
  const form = h("form", { class: "tag-form" },
    h("label", { class: "sr-only", for: input.id, text: t("tags.add") }), input,
    h("button", { type: "submit", class: "btn btn--ghost btn--small", "aria-label": t("tags.add") },
      icon("plus")));
  const element = h("div", { class: "tag-editor", role: "group", "aria-label": t("tags.label") },
    icon("tag"), chips, form);

  /** @param {{add?: string[], remove?: string[]}} change @param {string} message */
  const send = async (change, message) => {
    try {
      /** @type {ConsoleTicketView} */
      const fresh = await post(`${base}/tags`, change);
      saved(fresh, message);
      return true;
    } catch (error) {
      failed(error);
      return false;
    }
  };

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const name = input.value.trim();
    if (!name) return;
    if (await send({ add: [name] }, t("tags.added", { name: name.toLowerCase() }))) {
      input.value = "";
      input.focus();
    }
  });

  /** @param {ConsoleTicket} ticket */
  const render = (ticket) => {
    const merged = Boolean(ticket.merged_into); // frozen: its survivor carries on
    chips.replaceChildren(...(ticket.tags || []).map((name) => {
      if (merged) return h("span", { class: "chip chip--tag", text: name });
      const remove = h("button", { type: "button", class: "chip__remove",
        "aria-label": t("tags.remove", { name }) }, "×");
      remove.addEventListener("click", () => send({ remove: [name] }, t("tags.removed", { name })));
      return h("span", { class: "chip chip--tag" }, h("span", { text: name }), remove);
    }));
    form.hidden = merged;
    element.hidden = merged && !(ticket.tags || []).length;
  };

  return { element, render };
}

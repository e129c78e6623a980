// @ts-check
// Who a conversation is assigned to, and a picker to change it: me, nobody, or a teammate found
// by name.

import { h, append, clear, uid, initials } from "../dom.js";
import { get } from "../api.js";
import { t, errorText } from "../i18n.js";
import { signedInUser } from "../shell/state.js";

/** `update(ticket)` shows the ticket's assignee as it now is.
 * @param {{ticket: ConsoleTicket, onAssign: (assigneeId: string | null) => void}} options */
export function assigneePicker({ ticket, onAssign }) {
  const button = h("button", { type: "button", class: "picker__button", "aria-expanded": "false",
    "aria-haspopup": "dialog" });
  const panelId = uid("picker");
  button.setAttribute("aria-controls", panelId);
  const search = h("input", { class: "input input--small", type: "search", id: uid("agent-q"),
    placeholder: t("console.findTeammate"), autocomplete: "off" });
  const results = h("ul", { class: "picker__results", "aria-live": "polite" });
  const panel = h("div", { class: "picker__panel", id: panelId, role: "dialog", hidden: true,
    "aria-label": t("console.assignTo") },
  h("label", { for: search.id, class: "sr-only", text: t("console.findTeammate") }), search, results);
  const element = h("div", { class: "picker" }, button, panel);

  const label = () => {
    clear(button);
    append(button, [
      h("span", { class: "avatar avatar--small", "aria-hidden": "true",
        text: ticket.assignee ? initials(ticket.assignee.name) : "–" }),
      h("span", { class: "picker__text" },
        h("span", { class: "picker__caption", text: t("console.assignee") }),
        h("span", { class: "picker__value", text: ticket.assignee ? ticket.assignee.name : t("console.unassigned") })),
      h("span", { "aria-hidden": "true", class: "picker__chevron", text: "▾" })]);
  };

  /** @param {string} text @param {string | null} id @param {string} [sub] */
  const option = (text, id, sub) => {
    const choice = h("button", { type: "button", class: "picker__option" },
      h("span", { class: "avatar avatar--small", "aria-hidden": "true", text: id ? initials(text) : "–" }),
      h("span", {}, h("span", { class: "picker__option-name", text }), sub ? h("span", { class: "muted picker__option-sub", text: sub }) : null));
    choice.addEventListener("click", () => {
      close();
      onAssign(id);
    });
    return h("li", {}, choice);
  };

  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let searchTimer;
  // Searches overlap (opening, then typing): only the latest one fills the list, or an
  // earlier answer arriving late would add its people a second time.
  let latest = 0;
  const find = async () => {
    const mine = ++latest;
    const me = signedInUser();
    const fixed = [option(t("console.assignMe"), me.id, me.email), option(t("console.unassigned"), null)];
    try {
      /** @type {Page<Agent>} */
      const found = await get("/api/console/agents", { q: search.value.trim(), limit: 10 });
      if (mine !== latest) return;
      clear(results);
      results.append(...fixed, ...found.items.filter((agent) => agent.id !== me.id)
        .map((agent) => option(agent.name, agent.id, agent.email)));
    } catch (error) {
      if (mine !== latest) return;
      clear(results);
      results.append(...fixed, h("li", { class: "muted", text: errorText(error) }));
    }
  };
  search.addEventListener("input", () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(find, 200);
  });

  const open = () => {
    panel.hidden = false;
    button.setAttribute("aria-expanded", "true");
    search.value = "";
    find();
    search.focus();
    document.addEventListener("mousedown", outside);
  };
  const close = () => {
    panel.hidden = true;
    button.setAttribute("aria-expanded", "false");
    document.removeEventListener("mousedown", outside);
  };
  const outside = (/** @type {MouseEvent} */ event) => {
    if (!(event.target instanceof Node) || !element.contains(event.target)) close();
  };
  button.addEventListener("click", () => (panel.hidden ? open() : close()));
  element.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !panel.hidden) {
      close();
      button.focus();
    }
  });
  label();
  return Object.assign(element, {
    update(/** @type {ConsoleTicket} */ fresh) {
      ticket = fresh;
      label();
    },
  });
}

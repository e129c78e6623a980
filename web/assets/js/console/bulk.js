// @ts-check
// The bar of actions on the conversations selected in the list: assign (to me, a teammate or
// nobody), add or remove a tag, close. One request applies the action to each, under the rules
// of doing it alone; the bar then says what was done and why the rest was refused ("3 closed,
// 1 refused: only the assignee can close…"), and the list is read again.

import { h, icon, uid } from "../dom.js";
import { get, post } from "../api.js";
import { t, errorText } from "../i18n.js";
import { signedInUser } from "../shell/state.js";

/** What the bar says of a bulk answer: how many were done, how many refused and why (each
 * reason once, in the reader's language).
 * @param {BulkResult} result */
export function bulkReport(result) {
  const parts = [t(`bulk.done.${result.action}`, { count: result.done })];
  if (result.refused) {
    /** @type {Map<string, string>} */
    const reasons = new Map();
    for (const item of result.items) {
      if (item.error && !reasons.has(item.error.code)) reasons.set(item.error.code, errorText(item.error));
    }
    parts.push(t("bulk.refused", { count: result.refused, reasons: [...reasons.values()].join(" ") }));
  }
  return parts.join(", ");
}

/** `selected()` names the selected tickets; `done()` after the server answered (the list then
 * reads itself again and forgets the selection); `clear()` forgets it. `update(count)` shows
 * the bar for that many.
 * @param {{selected: () => string[], done: () => void, clear: () => void}} options */
export function bulkBar({ selected, done, clear }) {
  const count = h("span", { class: "bulk-bar__count" });
  const report = h("div", { class: "bulk-bar__report", role: "status", "aria-live": "polite" });

  const assignee = h("select", { class: "select select--small", id: uid("bulk-assign") },
    h("option", { value: "", text: t("bulk.assignTo") }),
    h("option", { value: "me", text: t("console.assignMe") }),
    h("option", { value: "none", text: t("console.unassigned") }));
  let agentsLoaded = false;
  assignee.addEventListener("focus", async () => {
    if (agentsLoaded) return;
    agentsLoaded = true;
    try {
      /** @type {Page<Agent>} */
      const found = await get("/api/console/agents", { limit: 100 });
      for (const agent of found.items) assignee.append(h("option", { value: agent.id, text: agent.name }));
    } catch {
      agentsLoaded = false; // "me" and "nobody" still work; the next focus tries again
    }
  });
  assignee.addEventListener("change", () => {
    const value = assignee.value;
    if (!value) return;
    assignee.value = "";
    const id = value === "me" ? signedInUser().id : value === "none" ? null : value;
    run({ action: "assign", assignee_id: id });
  });

  const tag = h("input", { class: "input input--small", id: uid("bulk-tag"), maxlength: 30,
    autocomplete: "off", placeholder: t("tags.addPlaceholder") });
  const addTag = h("button", { type: "button", class: "btn btn--ghost btn--small", text: t("bulk.addTag") });
  const removeTag = h("button", { type: "button", class: "btn btn--ghost btn--small", text: t("bulk.removeTag") });
  for (const [button, action] of /** @type {const} */ ([[addTag, "add_tag"], [removeTag, "remove_tag"]])) {
    button.addEventListener("click", () => {
      if (!tag.value.trim()) {
        tag.focus();
        return;
      }
      run({ action, tag: tag.value.trim() });
    });
  }
  const close = h("button", { type: "button", class: "btn btn--secondary btn--small", text: t("console.close") });
  close.addEventListener("click", () => run({ action: "close" }));
  const forget = h("button", { type: "button", class: "btn btn--ghost btn--small", text: t("bulk.clear") });
  forget.addEventListener("click", () => {
    clear();
    report.replaceChildren();
  });

  const controls = [assignee, addTag, removeTag, close, forget];
  const actions = h("div", { class: "bulk-bar__actions" },
    h("label", { class: "sr-only", for: assignee.id, text: t("bulk.assignTo") }), assignee,
    h("span", { class: "bulk-bar__tag" },
      h("label", { class: "sr-only", for: tag.id, text: t("tags.label") }), icon("tag"), tag, addTag, removeTag),
    close, forget);
  const element = h("div", { class: "bulk-bar", role: "region", "aria-label": t("bulk.label") },
    h("div", { class: "bulk-bar__top" }, count), actions, report);

  /** @param {Record<string, unknown>} request */
  async function run(request) {
    const ids = selected();
    if (!ids.length) return;
    for (const control of controls) control.disabled = true;
    report.replaceChildren();
    try {
      /** @type {BulkResult} */
      const result = await post("/api/console/tickets/bulk", { ticket_ids: ids, ...request });
      report.replaceChildren(h("p", { class: result.refused ? "bulk-bar__partial" : "",
        text: bulkReport(result) }));
      if (request.tag !== undefined && !result.refused) tag.value = "";
      done();
    } catch (error) {
      report.replaceChildren(h("p", { class: "form-error", text: errorText(error) }));
    } finally {
      for (const control of controls) control.disabled = false;
    }
  }

  /** @param {number} selectedCount */
  const update = (selectedCount) => {
    count.textContent = t("bulk.selected", { count: selectedCount });
    count.hidden = selectedCount === 0; // the bar stays while it reports what was just done
    actions.hidden = selectedCount === 0;
    element.hidden = selectedCount === 0 && !report.textContent;
  };
  update(0);

  return { element, update };
}

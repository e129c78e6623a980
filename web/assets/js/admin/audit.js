// @ts-check
// The audit log, filtered by kind (changes or sign-ins), action, person and dates, all kept in
// the address; people named by id are looked up once each.

import { h, append, clear, notice, uid } from "../dom.js";
import { get } from "../api.js";
import { t, errorText, formatDate } from "../i18n.js";
import { loadMoreButton, segmented, emptyState } from "../ui.js";
import { adminPage } from "./page.js";
import { AUDIT_ACTIONS, auditAction, auditOutcome, auditTarget, auditDetails, namesAnAccount } from "./audit_text.js";

/** @type {PageFn} */
export async function audit({ main, query }) {
  /** @type {string | null} */
  let cursor = null;
  // Changes first: sign-ins outnumber them many times over. The filters live in the address,
  // so a filtered log can be reloaded or shared.
  const kindAsked = query.get("kind") || "";
  /** @type {Record<string, string>} */
  const filters = {
    kind: ["change", "signin", "all"].includes(kindAsked) ? kindAsked : "change",
    action: query.get("action") || "", actor: query.get("actor") || "",
    since: query.get("since") || "", until: query.get("until") || "",
  };
  const tbody = h("tbody", {});
  const status = h("div", { class: "form-status", "aria-live": "polite" });
  const more = loadMoreButton(() => load());
  more.element.textContent = t("admin.more");
  // Users named by id are looked up once each, and their cells filled in when known.
  /** @type {Map<string, string>} */
  const people = new Map();
  /** @type {Map<string, HTMLElement[]>} */
  const waiting = new Map();
  const userName = (/** @type {string} */ id) => people.get(id) || null;
  const lookUp = (/** @type {string} */ id, /** @type {HTMLElement} */ cell) => {
    if (people.has(id)) return;
    let cells = waiting.get(id);
    if (!cells) {
      /** @type {HTMLElement[]} */
      const asked = [];
      cells = asked;
      waiting.set(id, asked);
      get(`/api/admin/users/${encodeURIComponent(id)}`, null, { quiet: true }).then((/** @type {{user: User}} */ { user }) => {
        const name = user.name && user.email ? `${user.name} (${user.email})` : user.email || user.name || id;
        people.set(id, name);
        for (const el of asked) el.textContent = name;
      }).catch(() => {});
    }
    cells.push(cell);
  };
  // Filters changed while a page was on its way make it stale: only the latest request's
  // answer is shown.
  let generation = 0;
  async function load() {
    const mine = generation;
    more.busy(true);
    try {
      /** @type {Page<AuditEntry>} */
      const page = await get("/api/admin/audit", {
        limit: 50, cursor, kind: filters.kind === "all" ? null : filters.kind, action: filters.action || null,
        actor: filters.actor || null, since: filters.since || null, until: filters.until || null,
      });
      if (mine !== generation) return;
      for (const entry of page.items) {
        const success = entry.outcome === "success";
        const target = auditTarget(entry, userName);
        const targetCell = h("td", { "data-label": t("admin.target"), class: "muted break", text: target || "—" });
        if (entry.target && target === entry.target && namesAnAccount(entry.action)) lookUp(entry.target, targetCell);
        const actor = entry.actor_email || (entry.actor_id ? userName(entry.actor_id) || entry.actor_id : null);
        const actorCell = h("td", { "data-label": t("admin.actor"), class: "break", text: actor || t("admin.auditNobody") });
        if (!entry.actor_email && entry.actor_id && !userName(entry.actor_id)) lookUp(entry.actor_id, actorCell);
        tbody.append(h("tr", { class: entry.outcome && !success ? "is-flagged" : null },
          h("td", { "data-label": t("admin.when"), class: "nowrap", text: formatDate(entry.at) }),
          h("td", { "data-label": t("admin.action") },
            h("span", { class: "audit-action", title: entry.action, text: auditAction(entry.action) })),
          h("td", { "data-label": t("admin.outcome") },
            h("span", { class: `status status--${success ? "success" : "warning"}` },
              h("span", { class: "status__dot", "aria-hidden": "true" }), entry.outcome ? auditOutcome(entry.outcome) : "")),
          actorCell,
          targetCell,
          h("td", { "data-label": t("admin.source"), class: "muted", text: entry.source_ip || "—" }),
          h("td", { "data-label": t("admin.details"), class: `muted break${entry.details ? "" : " admin-cell--empty"}` },
            auditDetails(entry.details) || "—")));
      }
      if (!tbody.children.length) tbody.append(h("tr", {}, h("td", { colspan: "7" }, emptyState(t("admin.noAudit")))));
      cursor = page.next_cursor;
      more.show(Boolean(cursor));
    } catch (error) {
      if (mine === generation) status.replaceChildren(notice("error", errorText(error)));
    } finally {
      more.busy(false);
    }
  }
  const action = h("select", { class: "select select--small", id: uid("action") });
  const actor = h("input", { class: "input input--small", type: "email", id: uid("actor"), maxlength: 254,
    value: filters.actor, placeholder: t("admin.auditActorHint") });
  const since = h("input", { class: "input input--small", type: "date", id: uid("since"), value: filters.since });
  const until = h("input", { class: "input input--small", type: "date", id: uid("until"), value: filters.until });
  const fillActions = () => {
    const names = filters.kind === "all" ? [...AUDIT_ACTIONS.change, ...AUDIT_ACTIONS.signin] : AUDIT_ACTIONS[filters.kind];
    if (!names.includes(filters.action)) filters.action = "";
    append(clear(action), h("option", { value: "", text: t("admin.auditAnyAction") }),
      names.map((name) => h("option", { value: name, text: auditAction(name) })));
    action.value = filters.action;
    // A person's entries are filed by kind (data/audit.py): "everything" needs an action.
    actor.disabled = filters.kind === "all" && !filters.action;
    if (actor.disabled) actor.value = filters.actor = "";
  };
  const reload = () => {
    const params = new URLSearchParams(Object.entries(filters).filter(([key, value]) => value && !(key === "kind" && value === "change")));
    history.replaceState(null, "", `/admin/audit${params.toString() ? `?${params}` : ""}`);
    cursor = null;
    generation += 1;
    clear(tbody);
    status.replaceChildren();
    load();
  };
  const kind = segmented(t("admin.auditKind"), [["change", t("admin.auditKind.change")],
    ["signin", t("admin.auditKind.signin")], ["all", t("admin.auditKind.all")]], filters.kind, (value) => {
    filters.kind = value;
    fillActions();
    reload();
  });
  fillActions();
  action.addEventListener("change", () => {
    filters.action = action.value;
    fillActions();
    reload();
  });
  actor.addEventListener("change", () => {
    filters.actor = actor.value.trim();
    reload();
  });
  for (const [input, key] of /** @type {[HTMLInputElement, string][]} */ ([[since, "since"], [until, "until"]])) {
    input.addEventListener("change", () => {
      filters[key] = input.value;
      reload();
    });
  }
  const clearFilters = h("button", { type: "button", class: "btn btn--ghost btn--small", text: t("admin.auditClear") });
  clearFilters.addEventListener("click", () => {
    Object.assign(filters, { action: "", actor: "", since: "", until: "" });
    actor.value = since.value = until.value = "";
    fillActions();
    reload();
  });
  const labelled = (/** @type {HTMLElement} */ input, /** @type {string} */ label) => h("div", { class: "toolbar__group" },
    h("label", { for: input.id, class: "toolbar__label", text: label }), input);
  append(main, adminPage("audit", t("admin.audit"), t("admin.auditLead"),
    h("div", { class: "toolbar audit-filters" },
      h("div", { class: "toolbar__group" }, kind),
      labelled(action, t("admin.action")), labelled(actor, t("admin.actor")),
      labelled(since, t("admin.auditSince")), labelled(until, t("admin.auditUntil")), clearFilters),
    status,
    h("div", { class: "card card--flush table-scroll" },
      h("table", { class: "table table--audit" },
        h("caption", { class: "sr-only", text: t("admin.audit") }),
        h("thead", {}, h("tr", {}, [t("admin.when"), t("admin.action"), t("admin.outcome"), t("admin.actor"),
          t("admin.target"), t("admin.source"), t("admin.details")].map((label) => h("th", { scope: "col", text: label })))),
        tbody)),
    h("div", { class: "list-footer" }, more.element)));
  await load();
}

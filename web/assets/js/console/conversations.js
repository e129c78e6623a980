// @ts-check
// The console's list of conversations (Open / Closed, assigned to me, unassigned, by team, by
// tag, search): the page of its own, and the pane beside an open conversation. Rows can be
// selected (one by one, or every row shown) for the bulk bar's actions (bulk.js).

import { h, append, clear, icon, notice, uid } from "../dom.js";
import { get } from "../api.js";
import { t, errorText, relativeTime } from "../i18n.js";
import { setTitle } from "../shell/state.js";
import { statusBadge, loadMoreButton, segmented, emptyState } from "../ui.js";
import { consoleConfig, teamName, filterQuery, readFilters } from "./config.js";
import { watchQueue } from "./queue.js";
import { tagChips } from "./tags.js";
import { bulkBar } from "./bulk.js";

/** The list, filtered as `filters` say (and the address keeps), `selectedId` highlighted;
 * `reload()` reads it again after a change.
 * @param {{filters: ConsoleFilters, selectedId: string | null, headingLevel: "h1" | "h2"}} options */
export function listPane({ filters, selectedId, headingLevel }) {
  /** @type {string | null} */
  let cursor = null;
  let request = 0;
  const list = h("ul", { class: "convo-list", "aria-label": t("console.listLabel") });
  const status = h("div", { "aria-live": "polite" });
  const summary = h("p", { class: "list-summary muted", "aria-live": "polite" });
  const more = loadMoreButton(() => load(false));

  // The selection, by ticket id: kept while the rows are read again (a live refresh, Load more)
  // and pruned to the rows shown after a new first page.
  /** @type {Set<string>} */
  const selected = new Set();
  const rowBoxes = () => /** @type {HTMLInputElement[]} */ ([...list.querySelectorAll(".convo__select")]);
  const selectAll = h("input", { type: "checkbox", class: "checkbox", id: uid("select-all") });
  const syncSelection = () => {
    const boxes = rowBoxes();
    for (const box of boxes) box.closest(".convo")?.classList.toggle("is-selected", box.checked);
    const chosen = boxes.filter((box) => box.checked).length;
    selectAll.checked = boxes.length > 0 && chosen === boxes.length;
    selectAll.indeterminate = chosen > 0 && chosen < boxes.length;
    bulk.update(selected.size);
  };
  const bulk = bulkBar({
    selected: () => [...selected],
    done: () => {
      selected.clear();
      load(true, list.querySelectorAll(".convo").length);
    },
    clear: () => {
      selected.clear();
      for (const box of rowBoxes()) box.checked = false;
      syncSelection();
    },
  });
  selectAll.addEventListener("change", () => {
    for (const box of rowBoxes()) {
      box.checked = selectAll.checked;
      if (box.checked) selected.add(box.value);
      else selected.delete(box.value);
    }
    syncSelection();
  });

  const apply = () => {
    const target = (selectedId ? `/console/tickets/${encodeURIComponent(selectedId)}` : "/console") + filterQuery(filters);
    history.replaceState(null, "", target);
    cursor = null;
    load(true);
  };

  const statusGroup = segmented(t("console.statusFilter"), [
    ["open", t("tickets.open")], ["closed", t("tickets.closed")],
  ], filters.status, (value) => {
    filters.status = value;
    apply();
  });
  const mine = h("button", { type: "button", class: "toggle", "aria-pressed": String(filters.mine) },
    h("span", { class: "toggle__track", "aria-hidden": "true" }, h("span", { class: "toggle__thumb" })),
    h("span", { text: t("console.assignedToMe") }));
  const assignee = h("select", { class: "select select--small", id: uid("assignee") },
    h("option", { value: "", text: t("console.anyone") }),
    h("option", { value: "none", text: t("console.unassigned") }));
  assignee.value = filters.assignee === "none" ? "none" : "";
  assignee.disabled = filters.mine;
  mine.addEventListener("click", () => {
    filters.mine = !filters.mine;
    mine.setAttribute("aria-pressed", String(filters.mine));
    assignee.disabled = filters.mine;
    apply();
  });
  assignee.addEventListener("change", () => {
    filters.assignee = assignee.value;
    apply();
  });
  const team = h("select", { class: "select select--small", id: uid("team") },
    h("option", { value: "", text: t("console.allTeams") }));
  consoleConfig().then((config) => {
    for (const id of config.teams) team.append(h("option", { value: id, text: teamName(config, id) }));
    team.value = filters.team;
  }).catch(() => {});
  team.addEventListener("change", () => {
    filters.team = team.value;
    apply();
  });
  // By tag: the team's own labels; the tags of the rows shown are offered as you type.
  const tagOptions = h("datalist", { id: uid("tags") });
  const tagFilter = h("input", { class: "input input--small", type: "search", id: uid("tag"), value: filters.tag,
    maxlength: 30, autocomplete: "off", placeholder: t("tags.filterPlaceholder"), list: tagOptions.id });
  tagFilter.addEventListener("change", () => {
    filters.tag = tagFilter.value.trim().toLowerCase();
    tagFilter.value = filters.tag;
    apply();
  });
  const search = h("input", { class: "input input--search", type: "search", id: uid("q"), value: filters.q,
    maxlength: 200, placeholder: t("console.searchPlaceholder") });
  const searchForm = h("form", { class: "search", role: "search" },
    h("label", { for: search.id, class: "sr-only", text: t("console.search") }), icon("search"), search);
  searchForm.addEventListener("submit", (event) => {
    event.preventDefault();
    filters.q = search.value.trim();
    apply();
  });

  const item = (/** @type {ConsoleTicket} */ ticket) => {
    const current = ticket.id === selectedId;
    const box = h("input", { type: "checkbox", class: "checkbox convo__select", value: ticket.id,
      checked: selected.has(ticket.id), "aria-label": t("bulk.select", { number: ticket.number }) });
    box.addEventListener("change", () => {
      if (box.checked) selected.add(ticket.id);
      else selected.delete(ticket.id);
      syncSelection();
    });
    return h("li", { class: ["convo", ticket.unread && "is-unread", current && "is-current"], dataset: { ticketId: ticket.id } },
    box,
    h("a", { class: "convo__link", href: `/console/tickets/${encodeURIComponent(ticket.id)}${filterQuery(filters)}`,
        "aria-current": current ? "page" : null },
      h("span", { class: "convo__top" },
        ticket.unread ? h("span", { class: "unread-dot" }, h("span", { class: "sr-only", text: t("tickets.unread") })) : null,
        h("span", { class: "convo__requester", text: ticket.requester.name || ticket.requester.email }),
        h("time", { class: "convo__time muted", datetime: ticket.last_activity_at, text: relativeTime(ticket.last_activity_at) })),
      h("span", { class: "convo__title" }, h("span", { class: "muted", text: `#${ticket.number} ` }), ticket.title),
      ticket.subject && ticket.subject !== ticket.title
        ? h("span", { class: "convo__subject muted", text: ticket.subject }) : null,
      h("span", { class: "convo__bottom" },
        statusBadge(ticket.status),
        ticket.messaging_blocked ? h("span", { class: "chip chip--warning" }, icon("lock"), t("console.blocked")) : null,
        ticket.merged_into ? h("span", { class: "chip", text: t("merge.chip", { number: ticket.merged_into.number }) }) : null,
        tagChips(ticket.tags),
        h("span", { class: ["convo__assignee", !ticket.assignee && "muted"] }, icon("user"),
          ticket.assignee ? ticket.assignee.name : t("console.unassigned")))));
  };

  async function load(/** @type {boolean} */ reset, /** @type {number} */ atLeast = 25, live = false) {
    const mineRequest = ++request;
    more.busy(true);
    status.replaceChildren();
    try {
      const assigneeParam = filters.mine ? "me" : filters.assignee || null;
      /** @type {Page<ConsoleTicket>} */
      const page = await get("/api/console/tickets", {
        status: filters.status, assignee: assigneeParam, team: filters.team, q: filters.q, tag: filters.tag,
        limit: reset ? Math.min(100, Math.max(25, atLeast)) : 25, cursor: reset ? null : cursor,
        refresh: live ? 1 : null, // queue.js: not the agent's doing, so not activity
      });
      if (mineRequest !== request) return;
      if (reset) {
        clear(list);
        const shown = new Set(page.items.map((ticket) => ticket.id));
        for (const id of [...selected]) if (!shown.has(id)) selected.delete(id);
      }
      for (const ticket of page.items) list.append(item(ticket));
      const seen = new Set([...tagOptions.children].map((option) => /** @type {HTMLOptionElement} */ (option).value));
      for (const name of page.items.flatMap((ticket) => ticket.tags || [])) {
        if (!seen.has(name)) tagOptions.append(h("option", { value: name }));
        seen.add(name);
      }
      syncSelection();
      cursor = page.next_cursor;
      more.show(Boolean(cursor));
      if (!list.children.length && !cursor) list.append(h("li", {}, emptyState(t("console.none"))));
      summary.textContent = t("tickets.shown", { count: list.querySelectorAll(".convo").length });
    } catch (error) {
      if (mineRequest === request) status.replaceChildren(notice("error", errorText(error)));
    } finally {
      if (mineRequest === request) more.busy(false);
    }
  }

  const heading = h(headingLevel, { class: "pane__title", id: "list-title", text: t("console.title") });
  const element = h("section", { class: "pane pane--list", "aria-labelledby": "list-title" },
    h("div", { class: "pane__header" }, heading,
      h("a", { class: "btn btn--secondary btn--small", href: "/console/new" }, icon("plus"),
        h("span", { text: t("console.new") }))),
    h("div", { class: "pane__filters" },
      searchForm,
      h("div", { class: "pane__filter-row" }, statusGroup, mine),
      h("div", { class: "pane__filter-row" },
        h("label", { class: "sr-only", for: assignee.id, text: t("console.assignee") }), assignee,
        h("label", { class: "sr-only", for: team.id, text: t("console.team") }), team),
      h("div", { class: "pane__filter-row" },
        h("label", { class: "sr-only", for: tagFilter.id, text: t("tags.filter") }), tagFilter, tagOptions)),
    status,
    h("div", { class: "convo-select-all" }, selectAll,
      h("label", { for: selectAll.id, text: t("bulk.selectAll") })),
    bulk.element,
    list,
    h("div", { class: "list-footer" }, summary, more.element));
  load(true);
  // Live (queue.js): read again as many lines as are shown, so the scroll stays where it is.
  watchQueue({ element, list, refresh: () => load(true, list.querySelectorAll(".convo").length, true) });
  return { element, reload: () => load(true) };
}

/** @type {PageFn} */
export async function conversations({ main, query }) {
  setTitle(t("console.title"));
  const filters = readFilters(query);
  const pane = listPane({ filters, selectedId: null, headingLevel: "h1" });
  append(main, h("div", { class: "split" }, pane.element,
    h("section", { class: "pane pane--detail pane--placeholder", "aria-label": t("console.detail") },
      emptyState(t("console.pick")))));
}

// @ts-check
// The customer's ticket list (mine, or my organization's): status, scope, search, per-column
// filters and sort, all kept in the address.

import { h, append, clear, icon, notice, uid } from "../dom.js";
import { get } from "../api.js";
import { t, errorText, formatDate, relativeTime } from "../i18n.js";
import { setTitle } from "../shell/state.js";
import { statusBadge, loadMoreButton, segmented, emptyState } from "../ui.js";
import { portalConfig } from "./config.js";

/** @type {PageFn} */
export async function tickets({ main, query }) {
  const config = await portalConfig();
  const status = query.get("status") || "";
  /** @type {Record<string, string>} */
  const filters = {
    // Every ticket by default, most recent activity first: an answer resolves a ticket, and a
    // customer who comes back to read it must still find it on the first page they see.
    status: ["open", "closed", "all"].includes(status) ? status : "all",
    scope: query.get("scope") === "org" && config.org_view ? "org" : "mine",
    q: query.get("q") || "",
    subject: query.get("subject") || "",
    topic: query.get("topic") || "",
    sort: query.get("sort") === "created" ? "created" : "activity",
  };
  setTitle(filters.scope === "org" ? t("tickets.orgTitle") : t("tickets.title"));
  /** @type {string | null} */
  let cursor = null;
  /** @type {PortalTicket[]} */
  let loaded = [];
  let request = 0;

  const syncUrl = () => {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(filters)) {
      /** @type {Record<string, string>} */
      const defaults = { status: "all", scope: "mine", sort: "activity" };
      if (value && value !== defaults[key]) params.set(key, value);
    }
    const search = params.toString();
    history.replaceState(null, "", `/tickets${search ? `?${search}` : ""}`);
  };

  // The one status filter (the table has none of its own: it would only repeat this one).
  const statusGroup = segmented(t("tickets.statusFilter"), [
    ["all", t("tickets.all")], ["open", t("tickets.open")], ["closed", t("tickets.closed")],
  ], filters.status, (value) => {
    filters.status = value;
    reload();
  });
  const scopeGroup = config.org_view ? segmented(t("tickets.scope"), [
    ["mine", t("tickets.mine")], ["org", t("tickets.organization")],
  ], filters.scope, (value) => {
    filters.scope = value;
    heading.textContent = scopeTitle();
    setTitle(scopeTitle());
    reload();
  }) : null;
  const scopeTitle = () => (filters.scope === "org" ? t("tickets.orgTitle") : t("tickets.title"));
  const heading = h("h1", { class: "page__title", text: scopeTitle() });
  const search = h("input", { class: "input input--search", type: "search", name: "q",
    value: filters.q, maxlength: 200, placeholder: t("tickets.searchPlaceholder") });
  const searchId = uid("search");
  search.id = searchId;
  const searchForm = h("form", { class: "search", role: "search" },
    h("label", { for: searchId, class: "sr-only", text: t("tickets.search") }),
    icon("search"), search,
    h("button", { class: "btn btn--secondary btn--small", type: "submit", text: t("tickets.searchButton") }));
  searchForm.addEventListener("submit", (event) => {
    event.preventDefault();
    filters.q = search.value.trim();
    reload();
  });
  const sortSelect = h("select", { class: "select select--small", id: uid("sort") },
    h("option", { value: "activity", text: t("tickets.sortActivity") }),
    h("option", { value: "created", text: t("tickets.sortCreated") }));
  sortSelect.value = filters.sort;
  sortSelect.addEventListener("change", () => {
    filters.sort = sortSelect.value;
    reload();
  });

  // Per-column filters, in the table's second header row.
  const subjectFilter = h("input", { class: "input input--small", type: "search", value: filters.subject,
    maxlength: 200, "aria-label": t("tickets.filterSubject"), placeholder: t("tickets.filterPlaceholder") });
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let subjectTimer;
  subjectFilter.addEventListener("input", () => {
    clearTimeout(subjectTimer);
    subjectTimer = setTimeout(() => {
      filters.subject = subjectFilter.value.trim();
      reload();
    }, 350);
  });
  const topicSelect = h("select", { class: "select select--small", "aria-label": t("tickets.filterTopic") },
    h("option", { value: "", text: t("tickets.anyTopic") }),
    config.topics.map((topic) => h("option", { value: topic.id, text: topic.name })));
  topicSelect.value = filters.topic;
  topicSelect.addEventListener("change", () => {
    filters.topic = topicSelect.value;
    reload();
  });

  const showRequester = () => filters.scope === "org";
  const requesterHead = h("th", { scope: "col", text: t("tickets.requester") });
  const requesterFilter = h("td", { class: "filters__cell" });
  const tbody = h("tbody", {});
  const table = h("table", { class: "table table--tickets" },
    h("caption", { class: "sr-only", text: t("tickets.caption") }),
    h("thead", {},
      h("tr", {},
        h("th", { scope: "col", class: "col-number", text: "#" }),
        h("th", { scope: "col", text: t("tickets.subject") }),
        h("th", { scope: "col", text: t("tickets.topic") }),
        h("th", { scope: "col", text: t("tickets.status") }),
        requesterHead,
        h("th", { scope: "col", class: "col-date", text: t("tickets.lastActivity") })),
      h("tr", { class: "filters" },
        h("td", { class: "filters__cell col-number" }),
        h("td", { class: "filters__cell" }, subjectFilter),
        h("td", { class: "filters__cell" }, topicSelect),
        h("td", { class: "filters__cell" }),
        requesterFilter,
        h("td", { class: "filters__cell col-date" }))),
    tbody);
  const summary = h("p", { class: "list-summary muted", "aria-live": "polite" });
  const more = loadMoreButton(() => load(false));
  const errorBox = h("div", {});

  const row = (/** @type {PortalTicket} */ ticket) => {
    const unread = ticket.unread;
    const link = h("a", { class: "row-link", href: `/tickets/${encodeURIComponent(ticket.id)}` },
      unread ? h("span", { class: "unread-dot" }, h("span", { class: "sr-only", text: t("tickets.unread") })) : null,
      h("span", { class: "row-link__text", text: ticket.subject }));
    return h("tr", { class: ["ticket-row", unread && "is-unread"], dataset: { ticketId: ticket.id } },
      h("td", { class: "col-number", "data-label": "#" }, h("span", { class: "muted", text: `#${ticket.number}` })),
      h("td", { class: "col-subject", "data-label": t("tickets.subject") }, link,
        h("span", { class: "ticket-row__sub muted" },
          t("tickets.messages", { count: ticket.message_count }))),
      h("td", { class: "col-topic", "data-label": t("tickets.topic") }, h("span", { class: "chip", text: ticket.topic_name })),
      h("td", { class: "col-status", "data-label": t("tickets.status") }, statusBadge(ticket.status)),
      showRequester() ? h("td", { class: "col-requester", "data-label": t("tickets.requester"),
        text: ticket.requester ? ticket.requester.name : "" }) : null,
      h("td", { class: "col-date muted", "data-label": t("tickets.lastActivity") },
        h("time", { datetime: ticket.last_activity_at, title: formatDate(ticket.last_activity_at),
          text: relativeTime(ticket.last_activity_at) })));
  };

  const matchesSubject = (/** @type {PortalTicket} */ ticket) => !filters.subject
    || ticket.subject.toLocaleLowerCase().includes(filters.subject.toLocaleLowerCase());

  async function load(/** @type {boolean} */ reset) {
    const mine = ++request;
    errorBox.replaceChildren();
    more.busy(true);
    try {
      const words = [filters.q, filters.subject].filter(Boolean).join(" ");
      /** @type {Page<PortalTicket>} */
      const page = await get("/api/portal/tickets", {
        scope: filters.scope, status: filters.status, q: words, topic: filters.topic,
        sort: filters.sort, limit: 25, cursor: reset ? null : cursor,
      });
      if (mine !== request) return;
      if (reset) {
        loaded = [];
        clear(tbody);
      }
      const items = page.items.filter(matchesSubject);
      loaded.push(...items);
      requesterHead.hidden = !showRequester();
      requesterFilter.hidden = !showRequester();
      for (const ticket of items) tbody.append(row(ticket));
      cursor = page.next_cursor;
      more.show(Boolean(cursor));
      if (!loaded.length && !cursor) {
        const filtered = filters.q || filters.subject || filters.topic || filters.status !== "all";
        tbody.append(h("tr", {}, h("td", { colspan: "6", class: "table__empty" },
          emptyState(filtered ? t("tickets.noMatch") : t("tickets.none"),
            h("a", { class: "btn btn--primary", href: "/tickets/new" }, icon("plus"),
              h("span", { text: t("nav.newTicket") }))))));
      }
      summary.textContent = t("tickets.shown", { count: loaded.length });
    } catch (error) {
      if (mine === request) errorBox.replaceChildren(notice("error", errorText(error)));
    } finally {
      if (mine === request) more.busy(false);
    }
  }

  function reload() {
    syncUrl();
    cursor = null;
    load(true);
  }

  append(main, h("div", { class: "page" },
    h("div", { class: "page__header" },
      h("div", {},
        heading,
        h("p", { class: "page__lead muted", text: t("tickets.lead") }))),
    h("div", { class: "toolbar" },
      h("div", { class: "toolbar__group" }, statusGroup, scopeGroup),
      h("div", { class: "toolbar__group toolbar__group--grow" }, searchForm),
      h("div", { class: "toolbar__group" },
        h("label", { for: sortSelect.id, class: "toolbar__label", text: t("tickets.sort") }), sortSelect)),
    errorBox,
    h("div", { class: "card card--flush" }, table),
    h("div", { class: "list-footer" }, summary, more.element)));
  await load(true);
}

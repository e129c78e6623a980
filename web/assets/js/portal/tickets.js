// @ts-check
// The customer's ticket list (mine, my organization's, or those I follow): status or unread,
// scope, search, per-column filters and sort, all kept in the address.

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
    status: ["open", "closed", "all", "unread"].includes(status) ? status : "all",
    scope: query.get("scope") === "org" && config.org_view ? "org"
      : query.get("scope") === "following" ? "following" : "mine",
    q: query.get("q") || "",
    subject: query.get("subject") || "",
    topic: query.get("topic") || "",
    sort: query.get("sort") === "created" ? "created" : "activity",
    order: query.get("order") === "asc" ? "asc" : "desc",
  };
  // Unread tickets come in the order of their unread answers: no other order is offered there.
  // Followed tickets come as I was added to them, the latest first (their index's order).
  const sortsBy = (/** @type {string} */ key) => filters.scope !== "following"
    && (key === "activity" || filters.status !== "unread");
  if (!sortsBy(filters.sort)) filters.sort = "activity";
  setTitle(filters.scope === "org" ? t("tickets.orgTitle")
    : t(filters.scope === "following" ? "tickets.followingTitle" : "tickets.title"));
  /** @type {string | null} */
  let cursor = null;
  /** @type {PortalTicket[]} */
  let loaded = [];
  let request = 0;

  const syncUrl = () => {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(filters)) {
      /** @type {Record<string, string>} */
      const defaults = { status: "all", scope: "mine", sort: "activity", order: "desc" };
      if (value && value !== defaults[key]) params.set(key, value);
    }
    const search = params.toString();
    history.replaceState(null, "", `/tickets${search ? `?${search}` : ""}`);
  };

  // The one status filter (the table has none of its own: it would only repeat this one), and
  // Unread: the tickets with an answer to me I have not read, whatever their status.
  const statusGroup = segmented(t("tickets.statusFilter"), [
    ["all", t("tickets.all")], ["open", t("tickets.open")], ["closed", t("tickets.closed")],
    ["unread", t("tickets.unreadFilter")],
  ], filters.status, (value) => {
    filters.status = value;
    if (!sortsBy(filters.sort)) filters.sort = "activity";
    showSort();
    reload();
  });
  /** @type {[string, string][]} */
  const scopes = [["mine", t("tickets.mine")]];
  if (config.org_view) scopes.push(["org", t("tickets.organization")]);
  scopes.push(["following", t("tickets.following")]);
  const scopeGroup = segmented(t("tickets.scope"), scopes, filters.scope, (value) => {
    filters.scope = value;
    heading.textContent = scopeTitle();
    setTitle(scopeTitle());
    showSort();
    reload();
  });
  const scopeTitle = () => t({ org: "tickets.orgTitle", following: "tickets.followingTitle" }[filters.scope]
    || "tickets.title");
  const heading = h("h1", { class: "page__title", text: scopeTitle() });
  // As wide as its placeholder (and a little more) at least: where the toolbar has not that
  // room beside the filters, the search box takes a line of its own rather than cut it off.
  const placeholder = t("tickets.searchPlaceholder");
  const search = h("input", { class: "input input--search", type: "search", name: "q",
    value: filters.q, maxlength: 200, placeholder, size: placeholder.length + 4 });
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
  // Sorting: by what an index orders (the last activity, or the date opened, in which ticket
  // numbers are issued), either way. The column headers sort; where the table stacks into
  // cards (narrow screens) and has no headers, this choice does the same.
  const sortChoice = (/** @type {string} */ sort, /** @type {string} */ order) => h("option", {
    value: `${sort}:${order}`, text: t("tickets.sortChoice", {
      column: t(sort === "created" ? "tickets.sortCreated" : "tickets.sortActivity"),
      order: t(order === "asc" ? "tickets.orderAsc" : "tickets.orderDesc") }) });
  const sortSelect = h("select", { class: "select select--small", id: uid("sort") },
    sortChoice("activity", "desc"), sortChoice("activity", "asc"),
    sortChoice("created", "desc"), sortChoice("created", "asc"));
  sortSelect.addEventListener("change", () => {
    [filters.sort, filters.order] = sortSelect.value.split(":");
    showSort();
    reload();
  });
  const sortGroup = h("div", { class: "toolbar__group toolbar__group--sort" },
    h("label", { for: sortSelect.id, class: "toolbar__label", text: t("tickets.sort") }), sortSelect);
  /** A header that sorts by `key`: a button in it (the keyboard's way in), `aria-sort` on it
   * while the list is sorted so. @param {string} key @param {string} name @param {string} shown */
  const sortHeader = (key, name, shown, className = "") => {
    // A short header ("#") names itself in full to assistive technology, in its label: a
    // hidden span of text would still take room in the narrow column's layout.
    const button = h("button", { type: "button", class: "th-sort", dataset: { sort: key },
      "aria-label": shown === name ? undefined : name, text: shown });
    button.addEventListener("click", () => {
      filters.order = filters.sort === key && filters.order === "desc" ? "asc" : "desc";
      filters.sort = key;
      showSort();
      reload();
    });
    return h("th", { scope: "col", class: className }, button, h("span", { class: "th-plain", text: shown }));
  };
  const numberHead = sortHeader("created", t("tickets.number"), "#", "col-number");
  const activityHead = sortHeader("activity", t("tickets.lastActivity"), t("tickets.lastActivity"), "col-date");
  function showSort() {
    for (const head of [numberHead, activityHead]) {
      const button = /** @type {HTMLButtonElement} */ (head.querySelector(".th-sort"));
      const key = button.dataset.sort || "";
      button.hidden = !sortsBy(key);
      /** @type {HTMLElement} */ (head.querySelector(".th-plain")).hidden = sortsBy(key);
      if (filters.sort === key) head.setAttribute("aria-sort", filters.order === "asc" ? "ascending" : "descending");
      else head.removeAttribute("aria-sort");
    }
    for (const option of sortSelect.options) option.hidden = option.disabled = !sortsBy(option.value.split(":")[0]);
    sortSelect.value = `${filters.sort}:${filters.order}`;
    sortGroup.hidden = filters.scope === "following";
    unreadHint.hidden = filters.status !== "unread";
    unreadHint.textContent = t(filters.scope === "org" ? "tickets.unreadHintOrg" : "tickets.unreadHint");
  }

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

  const unreadHint = h("p", { class: "list-summary muted" });
  const showRequester = () => filters.scope !== "mine";
  const requesterHead = h("th", { scope: "col", text: t("tickets.requester") });
  const requesterFilter = h("td", { class: "filters__cell" });
  const tbody = h("tbody", {});
  const table = h("table", { class: "table table--tickets" },
    h("caption", { class: "sr-only", text: t("tickets.caption") }),
    h("thead", {},
      h("tr", {},
        numberHead,
        h("th", { scope: "col", text: t("tickets.subject") }),
        h("th", { scope: "col", text: t("tickets.topic") }),
        h("th", { scope: "col", text: t("tickets.status") }),
        requesterHead,
        activityHead),
      h("tr", { class: "filters" },
        h("td", { class: "filters__cell col-number" }),
        h("td", { class: "filters__cell" }, subjectFilter),
        h("td", { class: "filters__cell" }, topicSelect),
        h("td", { class: "filters__cell" }),
        requesterFilter,
        h("td", { class: "filters__cell col-date" }))),
    tbody);
  const summary = h("p", { class: "list-summary muted", "aria-live": "polite" });
  showSort();
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
        sort: filters.sort, order: filters.order, limit: 25, cursor: reset ? null : cursor,
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
        const none = filters.status === "unread" && !filters.q && !filters.subject && !filters.topic
          ? t("tickets.noneUnread") : filtered ? t("tickets.noMatch")
            : t(filters.scope === "following" ? "tickets.noneFollowing" : "tickets.none");
        tbody.append(h("tr", {}, h("td", { colspan: "6", class: "table__empty" },
          emptyState(none,
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
      h("div", { class: "toolbar__group toolbar__group--grow toolbar__group--search" }, searchForm),
      sortGroup),
    unreadHint,
    errorBox,
    h("div", { class: "card card--flush" }, table),
    h("div", { class: "list-footer" }, summary, more.element)));
  await load(true);
}

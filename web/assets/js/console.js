// The agent console: conversations (Open / Closed, assigned to me, unassigned, by team, search)
// beside the conversation itself: title, assignee, the four answer actions, internal notes,
// troubleshooter summary, blocking, documents. And tickets opened on a customer's behalf.

import { h, append, clear, icon, field, notice, uid, initials } from "./dom.js";
import { get, post, patch } from "./api.js";
import { t, errorText, formatDate, relativeTime } from "./i18n.js";
import { state, navigate, setTitle, onCleanup } from "./app.js";
import { follow } from "./live.js";
import { keepDraft } from "./drafts.js";
import { documentsArea, pendingFiles, uploadFile, attachmentChips, nameChips } from "./documents.js";
import { statusBadge, loadMoreButton, counter, segmented, emptyState, troubleshooterCard } from "./ui.js";
import { consoleLine } from "./suppressed.js";

export { notifications } from "./feed.js";

let configPromise = null;

/** A team as the admin named it; its id when it has no record (or the API gave no names). */
function teamName(config, id) {
  const names = config.team_names || {};
  return (Object.hasOwn(names, id) && typeof names[id] === "string" && names[id]) || id;
}

function consoleConfig() {
  if (!configPromise) configPromise = get("/api/console/config").catch((error) => {
    configPromise = null;
    throw error;
  });
  return configPromise;
}

const ACTIONS = [
  ["send", "btn--primary", "send"],
  ["send_leave_open", "btn--secondary", "send"],
  ["resolve_silently", "btn--secondary", "check"],
  ["note", "btn--note", "lock"],
];

function readFilters(query) {
  return {
    status: query.get("status") === "closed" ? "closed" : "open",
    mine: query.get("mine") === "1",
    assignee: query.get("assignee") || "",
    team: query.get("team") || "",
    q: query.get("q") || "",
  };
}

function filterQuery(filters) {
  const params = new URLSearchParams();
  if (filters.status !== "open") params.set("status", filters.status);
  if (filters.mine) params.set("mine", "1");
  else if (filters.assignee) params.set("assignee", filters.assignee);
  if (filters.team) params.set("team", filters.team);
  if (filters.q) params.set("q", filters.q);
  const text = params.toString();
  return text ? `?${text}` : "";
}

// ---------------------------------------------------------------------------------------------
// The list pane

function listPane({ filters, selectedId, headingLevel }) {
  let cursor = null;
  let request = 0;
  const list = h("ul", { class: "convo-list", "aria-label": t("console.listLabel") });
  const status = h("div", { "aria-live": "polite" });
  const summary = h("p", { class: "list-summary muted", "aria-live": "polite" });
  const more = loadMoreButton(() => load(false));

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
  const search = h("input", { class: "input input--search", type: "search", id: uid("q"), value: filters.q,
    maxlength: 200, placeholder: t("console.searchPlaceholder") });
  const searchForm = h("form", { class: "search", role: "search" },
    h("label", { for: search.id, class: "sr-only", text: t("console.search") }), icon("search"), search);
  searchForm.addEventListener("submit", (event) => {
    event.preventDefault();
    filters.q = search.value.trim();
    apply();
  });

  const item = (ticket) => {
    const current = ticket.id === selectedId;
    return h("li", { class: ["convo", ticket.unread && "is-unread", current && "is-current"], dataset: { ticketId: ticket.id } },
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
        h("span", { class: ["convo__assignee", !ticket.assignee && "muted"] }, icon("user"),
          ticket.assignee ? ticket.assignee.name : t("console.unassigned")))));
  };

  async function load(reset) {
    const mineRequest = ++request;
    more.busy(true);
    status.replaceChildren();
    try {
      const assigneeParam = filters.mine ? "me" : filters.assignee || null;
      const page = await get("/api/console/tickets", {
        status: filters.status, assignee: assigneeParam, team: filters.team, q: filters.q,
        limit: 25, cursor: reset ? null : cursor,
      });
      if (mineRequest !== request) return;
      if (reset) clear(list);
      for (const ticket of page.items) list.append(item(ticket));
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
        h("label", { class: "sr-only", for: team.id, text: t("console.team") }), team)),
    status,
    list,
    h("div", { class: "list-footer" }, summary, more.element));
  load(true);
  return { element, reload: () => load(true) };
}

export async function conversations({ main, query }) {
  setTitle(t("console.title"));
  const filters = readFilters(query);
  const pane = listPane({ filters, selectedId: null, headingLevel: "h1" });
  append(main, h("div", { class: "split" }, pane.element,
    h("section", { class: "pane pane--detail pane--placeholder", "aria-label": t("console.detail") },
      emptyState(t("console.pick")))));
}

// ---------------------------------------------------------------------------------------------
// One conversation

const EVENT_KINDS = new Set(["system_event"]);

// The server writes each history line in English and records what happened in the message's
// details; the line is said in the reader's language when the details name everything it says.
// Mail events (and lines written before the details carried names) keep the server's text.
const EVENT_LINES = {
  assigned: (d) => (!d.assignee_id ? t("event.unassigned")
    : d.assignee_name ? t("event.assigned", { name: d.assignee_name }) : null),
  title: (d) => ("old" in d ? t("event.title", { old: d.old }) : null),
  blocked: (d) => ("reason" in d ? t("event.blocked", { reason: d.reason }) : null),
  unblocked: () => t("event.unblocked"),
  status: (d) => (d.status === "pending" ? t("event.pending") : d.status === "open" ? t("event.open") : null),
  closed: () => t("event.closed"),
  auto_closed: () => t("event.autoClosed"),
  resolved_by_customer: () => t("event.resolvedByCustomer"),
  rated: (d) => ("score" in d ? t("event.rated", { score: d.score }) : null),
};

function eventText(message) {
  const details = message.details || {};
  const line = EVENT_LINES[details.event];
  return (line && line(details)) || message.body;
}

function messageItem(message, base) {
  if (EVENT_KINDS.has(message.kind)) {
    return h("li", { class: "event", dataset: { seq: String(message.seq) } },
      h("span", { class: "event__text" }, icon("dot"),
        h("span", { text: eventText(message) }),
        message.author.name ? h("span", { class: "muted", text: ` — ${message.author.name}` }) : null,
        h("time", { class: "muted", datetime: message.created_at, text: ` · ${relativeTime(message.created_at)}` })));
  }
  const internal = message.internal;
  const label = message.kind === "internal_note" ? t("console.internalNote")
    : message.kind === "resolve_note" ? t("console.resolvedSilently")
      : message.author.role === "customer" ? t("console.fromCustomer") : t("console.publicReply");
  const action = message.details && message.details.action;
  return h("li", { class: ["message", internal ? "message--internal" : `message--${message.author.role === "customer" ? "customer" : "agent"}`],
    dataset: { seq: String(message.seq), visibility: message.visibility } },
  h("article", { class: "message__card", "aria-label": `${label}: ${message.author.name || ""}` },
    h("header", { class: "message__header" },
      h("span", { class: ["avatar", message.author.role !== "customer" && "avatar--team"], "aria-hidden": "true",
        text: initials(message.author.name) }),
      h("span", { class: "message__author", text: message.author.name || t("console.system") }),
      h("span", { class: ["tag", internal ? "tag--internal" : "tag--public"] },
        internal ? icon("lock") : null, label),
      action === "send" ? h("span", { class: "tag tag--muted", text: t("console.andResolved") }) : null,
      message.channel === "email" ? h("span", { class: "tag tag--muted", text: t("console.viaEmail") }) : null,
      h("time", { class: "message__time muted", datetime: message.created_at, title: formatDate(message.created_at),
        text: relativeTime(message.created_at) })),
    h("div", { class: "message__body", text: message.body }),
    attachmentChips(base, message.attachment_ids)));
}

function assigneePicker({ ticket, onAssign }) {
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

  let searchTimer = null;
  const find = async () => {
    clear(results);
    const me = state.user;
    results.append(option(t("console.assignMe"), me.id, me.email), option(t("console.unassigned"), null));
    try {
      const found = await get("/api/console/agents", { q: search.value.trim(), limit: 10 });
      for (const agent of found.items) {
        if (agent.id !== me.id) results.append(option(agent.name, agent.id, agent.email));
      }
    } catch (error) {
      results.append(h("li", { class: "muted", text: errorText(error) }));
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
  const outside = (event) => {
    if (!element.contains(event.target)) close();
  };
  button.addEventListener("click", () => (panel.hidden ? open() : close()));
  element.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !panel.hidden) {
      close();
      button.focus();
    }
  });
  label();
  element.update = (fresh) => {
    ticket = fresh;
    label();
  };
  return element;
}

export async function conversation({ main, params, query }) {
  const id = params.id;
  const base = `/api/console/tickets/${encodeURIComponent(id)}`;
  const filters = readFilters(query);
  const [view, config] = await Promise.all([get(base), consoleConfig()]);
  let current = view.ticket;
  let lastSeq = Math.max(0, ...view.messages.map((m) => m.seq));
  setTitle(current.title);

  const pane = listPane({ filters, selectedId: id, headingLevel: "h2" });
  const status = h("div", { class: "form-status", "aria-live": "polite" });
  const announcer = h("div", { class: "sr-only thread__announcer", "aria-live": "polite" });
  const thread = h("ol", { class: "thread thread--console", "aria-label": t("thread.labelOldest") });
  const countBadge = h("span", { class: "badge", text: String(view.message_count) });
  for (const message of view.messages) thread.append(messageItem(message, base));

  // The detail holds the newest page of a long thread; earlier pages are read on demand, above.
  let earlierCursor = view.earlier_cursor;
  const earlier = loadMoreButton(async () => {
    earlier.busy(true);
    try {
      const page = await get(`${base}/messages`, { before: earlierCursor });
      const first = thread.firstChild;
      for (const message of [...page.messages].sort((a, b) => a.seq - b.seq)) {
        if (!thread.querySelector(`[data-seq="${message.seq}"]`)) thread.insertBefore(messageItem(message, base), first);
      }
      earlierCursor = page.earlier_cursor;
      earlier.show(Boolean(earlierCursor));
    } catch (error) {
      status.replaceChildren(notice("error", errorText(error)));
    } finally {
      earlier.busy(false);
    }
  });
  earlier.element.textContent = t("thread.earlier");
  earlier.show(Boolean(earlierCursor));

  // Title, editable in place.
  const titleHolder = h("div", { class: "title-edit" });
  const renderTitle = (editing) => {
    clear(titleHolder);
    if (!editing) {
      const edit = h("button", { type: "button", class: "btn btn--ghost btn--small" },
        h("span", { text: t("console.editTitle") }));
      edit.addEventListener("click", () => renderTitle(true));
      append(titleHolder, [h("h1", { class: "page__title convo-title", text: current.title }), edit]);
      return;
    }
    const input = h("input", { class: "input", value: current.title, maxlength: 200, required: true, id: uid("title") });
    const cancel = h("button", { type: "button", class: "btn btn--ghost btn--small", text: t("common.cancel") });
    const form = h("form", { class: "title-edit__form" },
      h("label", { for: input.id, class: "sr-only", text: t("console.title_label") }), input,
      h("button", { type: "submit", class: "btn btn--primary btn--small", text: t("common.save") }), cancel);
    cancel.addEventListener("click", () => {
      renderTitle(false);
      titleHolder.querySelector("button").focus();
    });
    input.addEventListener("keydown", (event) => {
      if (event.key === "Escape") cancel.click();
    });
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        const fresh = await patch(base, { title: input.value });
        applyView(fresh);
        renderTitle(false);
        // Back to the button the edit started from, so keyboard users stay in place.
        titleHolder.querySelector("button").focus();
        pane.reload();
      } catch (error) {
        status.replaceChildren(notice("error", errorText(error)));
      }
    });
    append(titleHolder, [h("h1", { class: "sr-only", text: current.title }), form]);
    input.focus();
    input.select();
  };

  const picker = assigneePicker({
    ticket: current,
    onAssign: async (assigneeId) => {
      try {
        const fresh = await post(`${base}/assign`, {
          assignee_id: assigneeId,
          expected_assignee_id: current.assignee ? current.assignee.id : null,
        });
        applyView(fresh);
        status.replaceChildren(notice("success", assigneeId
          ? t("console.assigned", { name: fresh.ticket.assignee ? fresh.ticket.assignee.name : "" })
          : t("console.nowUnassigned")));
        pane.reload();
      } catch (error) {
        status.replaceChildren(notice("error", errorText(error)));
        if (error.code === "assignee_changed") refresh();
      }
    },
  });

  const closeButton = h("button", { type: "button", class: "btn btn--secondary btn--small", text: t("console.close") });
  closeButton.addEventListener("click", async () => {
    try {
      applyView(await post(`${base}/close`, {}));
      status.replaceChildren(notice("success", t("console.closed")));
      pane.reload();
    } catch (error) {
      status.replaceChildren(notice("error", errorText(error)));
    }
  });

  // Waiting on the customer (pending) and back: customers still see Open unless every status is shown.
  const pendingButton = h("button", { type: "button", class: "btn btn--ghost btn--small" });
  pendingButton.addEventListener("click", async () => {
    const next = current.status === "pending" ? "open" : "pending";
    try {
      applyView(await patch(base, { status: next }));
      status.replaceChildren(notice("success", t(next === "pending" ? "event.pending" : "event.open")));
      pane.reload();
    } catch (error) {
      status.replaceChildren(notice("error", errorText(error)));
    }
  });

  // Block / unblock
  const blockHolder = h("div", { class: "block-holder" });
  const blockButton = h("button", { type: "button", class: "btn btn--ghost btn--small" }, icon("lock"),
    h("span", { text: t("console.block") }));
  blockButton.addEventListener("click", () => {
    const reason = h("textarea", { class: "textarea", rows: 2, maxlength: 500, required: true });
    const cancel = h("button", { type: "button", class: "btn btn--ghost btn--small", text: t("common.cancel") });
    const form = h("form", { class: "block-form card" },
      field(t("console.blockReason"), reason, { hint: t("console.blockHint") }),
      h("div", { class: "form__actions" }, cancel,
        h("button", { type: "submit", class: "btn btn--danger btn--small", text: t("console.blockConfirm") })));
    cancel.addEventListener("click", () => {
      clear(blockHolder);
      blockButton.focus();
    });
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        applyView(await post(`${base}/block`, { reason: reason.value }));
        clear(blockHolder);
        status.replaceChildren(notice("success", t("console.blockedDone")));
      } catch (error) {
        status.replaceChildren(notice("error", errorText(error)));
      }
    });
    blockHolder.replaceChildren(form);
    reason.focus();
  });
  const blockedBanner = h("div", {});

  const header = h("div", { class: "convo-header" });
  const requesterLine = h("p", { class: "convo-header__requester" });
  const statusHolder = h("span", {});
  const details = h("dl", { class: "details" });

  const renderHeader = () => {
    statusHolder.replaceChildren(statusBadge(current.status));
    clear(requesterLine);
    append(requesterLine, [icon("user"), h("span", { text: current.requester.name }),
      h("span", { class: "muted", text: current.requester.email ? ` <${current.requester.email}>` : "" })]);
    if (current.requester.suppression) requesterLine.append(consoleLine(current.requester.suppression));
    closeButton.hidden = !(current.assignee && current.assignee.id === state.user.id && current.status !== "closed");
    blockButton.hidden = current.messaging_blocked;
    pendingButton.hidden = !["new", "open", "pending"].includes(current.status);
    pendingButton.textContent = t(current.status === "pending" ? "console.markOpen" : "console.markPending");
    clear(blockedBanner);
    if (current.messaging_blocked) {
      const unblock = h("button", { type: "button", class: "btn btn--secondary btn--small", text: t("console.unblock") });
      unblock.addEventListener("click", async () => {
        try {
          applyView(await post(`${base}/unblock`, {}));
          status.replaceChildren(notice("success", t("console.unblocked")));
        } catch (error) {
          status.replaceChildren(notice("error", errorText(error)));
        }
      });
      blockedBanner.append(h("div", { class: "notice notice--warning notice--blocked", role: "status" },
        icon("lock"), h("div", {}, h("strong", { text: t("console.blockedTitle") }),
          h("p", { text: current.blocked_reason || "" })), unblock));
    }
    clear(details);
    const topic = config.topics.find((item) => item.id === current.topic);
    const rows = [
      [t("tickets.number"), `#${current.number}`],
      [t("console.requester"), current.requester.name],
      [t("tickets.topic"), topic ? topic.name : current.topic],
      [t("console.team"), teamName(config, current.team_id)],
      [t("console.channel"), t(`channel.${current.channel}`)],
      [t("tickets.created"), formatDate(current.created_at)],
      [t("tickets.lastActivity"), formatDate(current.last_activity_at)],
    ];
    if (current.rating) rows.push([t("rating.title"), `${current.rating}/5${current.rating_comment ? ` — ${current.rating_comment}` : ""}`]);
    for (const [label, value] of rows) append(details, [h("dt", { text: label }), h("dd", { text: value })]);
  };

  function applyView(fresh) {
    current = fresh.ticket;
    addMessages(fresh.messages || [], false);
    picker.update(current);
    renderHeader();
    const h1 = titleHolder.querySelector("h1.convo-title");
    if (h1) h1.textContent = current.title;
    setTitle(current.title);
  }

  async function refresh(background = false) {
    try {
      applyView(await get(base, background ? { refresh: 1 } : null));
    } catch {
      // the next poll tries again
    }
  }

  function addMessages(messages, announce) {
    let added = false;
    for (const message of [...messages].sort((a, b) => a.seq - b.seq)) {
      if (thread.querySelector(`[data-seq="${message.seq}"]`)) continue;
      thread.append(messageItem(message, base));
      lastSeq = Math.max(lastSeq, message.seq);
      added = true;
      if (announce && message.kind !== "system_event") {
        announcer.textContent = t("thread.newMessage", { name: message.author.name || "" });
      }
    }
    if (added) countBadge.textContent = String(Math.max(Number(countBadge.textContent) || 0, lastSeq));
    return added;
  }

  // The composer and its four answer actions.
  const body = h("textarea", { class: "textarea composer__text", rows: 5, maxlength: config.max_message_length,
    id: uid("answer") });
  keepDraft(body, `answer:${id}`); // emptied once sent, which forgets it
  const files = pendingFiles();
  const composerStatus = h("div", { class: "form-status", "aria-live": "polite" });
  const actionButtons = ACTIONS.map(([action, style, iconName]) => {
    const button = h("button", { type: "button", class: `btn ${style}`, dataset: { action },
      title: t(`console.action.${action}.hint`) }, icon(iconName), h("span", { text: t(`console.action.${action}`) }));
    button.addEventListener("click", () => answer(action));
    return button;
  });
  async function answer(action) {
    if (!body.value.trim()) {
      composerStatus.replaceChildren(notice("error", t("error.empty_message")));
      body.focus();
      return;
    }
    for (const button of actionButtons) button.disabled = true;
    composerStatus.replaceChildren();
    try {
      // Files go with the answer: internal until sent with a public one.
      const ids = [];
      for (const file of files.files) ids.push(await uploadFile(base, file));
      const payload = { action, body: body.value };
      if (ids.length) payload.attachment_ids = ids;
      const sent = await post(`${base}/messages`, payload);
      if (ids.length) {
        files.clear();
        docs.refresh();
      }
      addMessages([sent.message], false);
      body.value = "";
      body.dispatchEvent(new Event("input"));
      composerStatus.replaceChildren(notice("success", t(`console.done.${action}`)));
      await refresh();
      pane.reload();
    } catch (error) {
      composerStatus.replaceChildren(notice("error", errorText(error)));
    } finally {
      for (const button of actionButtons) button.disabled = false;
    }
  }
  const composer = h("section", { class: "composer card", "aria-labelledby": "composer-title" },
    h("h2", { class: "card__title", id: "composer-title", text: t("console.answer") }),
    h("label", { for: body.id, class: "sr-only", text: t("console.answerLabel") }), body,
    counter(body, config.max_message_length),
    h("details", { class: "reply__attach" }, h("summary", {}, icon("paperclip"), t("documents.attachFiles")), files.element),
    composerStatus,
    h("div", { class: "composer__actions", role: "group", "aria-label": t("console.answerActions") }, actionButtons));

  const docs = documentsArea({ base, uploadExtra: { visibility: "public" }, onList: () => nameChips(thread),
    hint: t("documents.sharedHint") });

  const back = h("a", { class: "back-link back-link--console", href: `/console${filterQuery(filters)}` }, icon("back"),
    t("console.back"));
  append(header, [
    h("p", { class: "ticket__meta muted" }, `#${current.number}`, " · ", t(`channel.${current.channel}`)),
    titleHolder,
    h("div", { class: "convo-header__row" }, statusHolder, requesterLine),
    h("div", { class: "convo-header__actions" }, picker, pendingButton, closeButton, blockButton)]);
  renderTitle(false);
  renderHeader();

  const detail = h("section", { class: "pane pane--detail", "aria-labelledby": "detail-title" },
    h("span", { id: "detail-title", class: "sr-only", text: t("console.detail") }),
    back, header, status, blockHolder, blockedBanner,
    h("div", { class: "convo-layout" },
      h("div", { class: "convo-main" },
        h("h2", { class: "section-title" }, h("span", { text: t("thread.title") }), countBadge),
        announcer, earlier.element, thread, composer),
      h("aside", { class: "convo-side", "aria-label": t("ticket.aside") },
        view.troubleshooter ? troubleshooterCard(view.troubleshooter) : null,
        docs,
        h("section", { class: "card", "aria-labelledby": "c-details" },
          h("h2", { class: "card__title", id: "c-details", text: t("ticket.details") }), details))));
  append(main, h("div", { class: "split split--detail" }, pane.element, detail));

  const stop = follow({
    ticketId: id,
    lastSeq,
    poll: (after) => get(`${base}/messages`, { after }, { quiet: true }),
    onUpdate: (update) => {
      if (addMessages(update.messages, true)) {
        if (update.messages.some((m) => m.kind === "system_event" || m.author.role === "customer")) refresh(true);
        docs.refresh(true);
      }
    },
  });
  onCleanup(stop);
}

// ---------------------------------------------------------------------------------------------
// A ticket opened on a customer's behalf

export async function onBehalf({ main }) {
  setTitle(t("console.onBehalfTitle"));
  const config = await consoleConfig();
  const customers = new Map();
  const customer = h("select", { class: "select", required: true },
    h("option", { value: "", text: t("console.chooseCustomer") }));
  const customerId = h("input", { class: "input", maxlength: 64, placeholder: t("console.customerIdPlaceholder") });
  const topic = h("select", { class: "select", required: true },
    config.topics.map((item) => h("option", { value: item.id, text: item.name })));
  const subject = h("input", { class: "input", maxlength: 200, required: true });
  const body = h("textarea", { class: "textarea", rows: 7, required: true, maxlength: config.max_message_length });
  const status = h("div", { class: "form-status", "aria-live": "polite" });
  const form = h("form", { class: "form form--wide" },
    field(t("console.customer"), customer, { hint: t("console.customerHint") }),
    h("details", { class: "disclosure" }, h("summary", { text: t("console.customerById") }),
      field(t("console.customerId"), customId(customerId))),
    field(t("compose.topic"), topic),
    field(t("compose.subject"), subject),
    field(t("console.firstMessage"), body, { hint: t("console.firstMessageHint") }),
    counter(body, config.max_message_length),
    status,
    h("div", { class: "form__actions" },
      h("a", { class: "btn btn--ghost", href: "/console", text: t("common.cancel") }),
      h("button", { class: "btn btn--primary", type: "submit", text: t("console.create") })));
  customer.addEventListener("change", () => {
    customer.required = !customerId.value;
  });
  customerId.addEventListener("input", () => {
    customer.required = !customerId.value.trim();
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    status.replaceChildren();
    try {
      const created = await post("/api/console/tickets", {
        requester_id: customerId.value.trim() || customer.value, topic: topic.value,
        subject: subject.value.trim(), body: body.value,
      });
      navigate(`/console/tickets/${encodeURIComponent(created.ticket.id)}`);
    } catch (error) {
      status.replaceChildren(notice("error", errorText(error)));
    }
  });
  append(main, h("div", { class: "page page--narrow" },
    h("a", { class: "back-link", href: "/console" }, icon("back"), t("console.back")),
    h("div", { class: "page__header" }, h("div", {},
      h("h1", { class: "page__title", text: t("console.onBehalfTitle") }),
      h("p", { class: "page__lead muted", text: t("console.onBehalfLead") }))),
    h("div", { class: "card" }, form)));

  // Customers: those of recent conversations, and (for admins) every organization's.
  const add = (id, name, email) => {
    if (!id || customers.has(id)) return;
    customers.set(id, { name, email });
    customer.append(h("option", { value: id, text: email ? `${name} <${email}>` : name }));
  };
  try {
    for (const status of ["open", "closed"]) {
      const page = await get("/api/console/tickets", { status, limit: 100 });
      for (const item of page.items) add(item.requester.id, item.requester.name, item.requester.email);
    }
    if (state.user.role === "admin") {
      const orgs = await get("/api/admin/orgs", { limit: 50 });
      for (const org of orgs.items) {
        const users = await get("/api/admin/users", { org_id: org.id, limit: 100 });
        for (const user of users.items) {
          if (user.role === "customer" && user.status === "active") add(user.id, user.name, user.email);
        }
      }
    }
  } catch {
    // the id field still works
  }
}

function customId(input) {
  if (!input.id) input.id = uid("cid");
  return input;
}

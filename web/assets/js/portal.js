// The customer portal: tickets (mine or my organization's), folders, compose (free text or a
// troubleshooter form), ticket detail, notifications.

import { h, append, clear, icon, field, notice, uid, initials } from "./dom.js";
import { get, post, put } from "./api.js";
import { t, errorText, formatDate, relativeTime } from "./i18n.js";
import { state, navigate, setTitle, refreshCounts, onCleanup } from "./app.js";
import { follow } from "./live.js";
import { keepDraft } from "./drafts.js";
import { documentsArea, pendingFiles, uploadFile, attachmentChips, nameChips } from "./documents.js";
import { statusBadge, loadMoreButton, counter, segmented, emptyState, troubleshooterCard } from "./ui.js";

export { notifications } from "./feed.js";

const CLOSED = new Set(["closed", "resolved"]);
let configPromise = null;

function portalConfig() {
  if (!configPromise) configPromise = get("/api/portal/config").catch((error) => {
    configPromise = null;
    throw error;
  });
  return configPromise;
}

// ---------------------------------------------------------------------------------------------
// Ticket list

export async function tickets({ main, query }) {
  const config = await portalConfig();
  const filters = {
    // Every ticket by default, most recent activity first: an answer resolves a ticket, and a
    // customer who comes back to read it must still find it on the first page they see.
    status: ["open", "closed", "all"].includes(query.get("status")) ? query.get("status") : "all",
    scope: query.get("scope") === "org" && config.org_view ? "org" : "mine",
    q: query.get("q") || "",
    subject: query.get("subject") || "",
    topic: query.get("topic") || "",
    sort: query.get("sort") === "created" ? "created" : "activity",
  };
  setTitle(filters.scope === "org" ? t("tickets.orgTitle") : t("tickets.title"));
  let cursor = null;
  let loaded = [];
  let request = 0;

  const syncUrl = () => {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(filters)) {
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
  let subjectTimer = null;
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

  const row = (ticket) => {
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

  const matchesSubject = (ticket) => !filters.subject
    || ticket.subject.toLocaleLowerCase().includes(filters.subject.toLocaleLowerCase());

  async function load(reset) {
    const mine = ++request;
    errorBox.replaceChildren();
    more.busy(true);
    try {
      const words = [filters.q, filters.subject].filter(Boolean).join(" ");
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

// ---------------------------------------------------------------------------------------------
// Compose

export async function compose({ main }) {
  setTitle(t("compose.title"));
  const config = await portalConfig();
  const topic = h("select", { class: "select", name: "topic", required: true },
    h("option", { value: "", text: t("compose.chooseTopic") }),
    config.topics.map((item) => h("option", { value: item.id, text: item.name })));
  const subject = h("input", { class: "input", name: "subject", maxlength: 200, required: true,
    autocomplete: "off" });
  const body = h("textarea", { class: "textarea", name: "body", rows: 8, required: true,
    maxlength: config.max_message_length });
  const drafts = [keepDraft(subject, "compose:subject"), keepDraft(body, "compose:body")];
  const files = pendingFiles();
  const status = h("div", { class: "form-status", "aria-live": "polite" });
  const submit = h("button", { class: "btn btn--primary", type: "submit" }, icon("send"),
    h("span", { text: t("compose.send") }));
  const form = h("form", { class: "form form--wide" },
    field(t("compose.topic"), topic),
    field(t("compose.subject"), subject),
    field(t("compose.message"), body, { hint: t("compose.hint") }),
    counter(body, config.max_message_length),
    h("div", { class: "field" }, h("span", { class: "field__label", text: t("documents.attachments") }),
      files.element),
    status,
    h("div", { class: "form__actions" },
      h("a", { class: "btn btn--ghost", href: "/tickets", text: t("common.cancel") }), submit));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    submit.disabled = true;
    status.replaceChildren();
    try {
      const created = await post("/api/portal/tickets", {
        topic: topic.value, subject: subject.value.trim(), body: body.value,
      });
      const id = created.ticket.id;
      for (const draft of drafts) draft.clear();
      const failed = [];
      for (const file of files.files) {
        status.replaceChildren(h("p", { class: "muted", text: t("documents.uploading", { name: file.name }) }));
        try {
          await uploadFile(`/api/portal/tickets/${encodeURIComponent(id)}`, file);
        } catch (error) {
          failed.push(`${file.name}: ${errorText(error)}`);
        }
      }
      refreshCounts();
      navigate(`/tickets/${encodeURIComponent(id)}${failed.length ? "?upload=failed" : ""}`);
    } catch (error) {
      status.replaceChildren(notice("error", errorText(error)));
      submit.disabled = false;
    }
  });
  append(main, h("div", { class: "page page--narrow" },
    h("a", { class: "back-link", href: "/tickets" }, icon("back"), t("tickets.back")),
    h("div", { class: "page__header" },
      h("div", {}, h("h1", { class: "page__title", text: t("compose.title") }),
        h("p", { class: "page__lead muted", text: t("compose.lead") }))),
    troubleshooterLinks(config.troubleshooters || []),
    h("div", { class: "card" }, form)));
}

/** The troubleshooters, above the free-text form so a customer sees them before typing: a
 *  compact card each, its name the link (the whole card is its target) and "Start" drawn beside. */
function troubleshooterLinks(forms) {
  if (!forms.length) return null;
  const id = uid("ts");
  return h("section", { class: "troubleshooter-links", "aria-labelledby": id },
    h("h2", { class: "section-title", id, text: t("compose.troubleshooters") }),
    h("ul", { class: "ts-cards" }, forms.map((form) => h("li", { class: "ts-card" },
      h("div", { class: "ts-card__text" },
        h("a", { class: "ts-card__link", href: `/troubleshooters/${encodeURIComponent(form.id)}`, text: form.name }),
        form.intro ? h("p", { class: "ts-card__intro muted", text: form.intro }) : null),
      h("span", { class: "ts-card__start", "aria-hidden": "true" },
        h("span", { text: t("troubleshooter.start") }), icon("back"))))));
}

/** One question of a troubleshooter: a radio group for a choice, a text box for free text.
 *  `read()` gives the answer; `setError` shows a refusal beside the question. */
function troubleshooterQuestion(question, index) {
  if (!question.options.length) {
    const area = h("textarea", { class: "textarea", rows: 3, maxlength: 2000, required: true,
      name: `q${index}` });
    const wrapper = field(question.text, area);
    return { element: wrapper, read: () => area.value.trim(), focus: () => area.focus(),
      setError: wrapper.setError };
  }
  const errorEl = h("p", { class: "field__error", id: uid("qe"), hidden: true });
  const radios = question.options.map((option) => h("input", { type: "radio", class: "radio",
    name: `q${index}`, value: option, id: uid("opt"), required: true, "aria-describedby": errorEl.id }));
  const group = h("fieldset", { class: "field fieldset troubleshooter-question", "aria-describedby": errorEl.id },
    h("legend", { class: "field__label", text: question.text }),
    h("div", { class: "checks checks--stacked" }, radios.map((radio) =>
      h("span", { class: "check" }, radio, h("label", { for: radio.id, text: radio.value })))),
    errorEl);
  return {
    element: group,
    read: () => (radios.find((radio) => radio.checked) || { value: "" }).value,
    focus: () => (radios.find((radio) => radio.checked) || radios[0]).focus(),
    setError: (message) => {
      errorEl.textContent = message || "";
      errorEl.hidden = !message;
      // The group shows it too (a red border, as a text box gets), not only the message.
      if (message) group.setAttribute("aria-invalid", "true");
      else group.removeAttribute("aria-invalid");
      for (const radio of radios) {
        if (message) radio.setAttribute("aria-invalid", "true");
        else radio.removeAttribute("aria-invalid");
      }
    },
  };
}

export async function troubleshooterForm({ main, params }) {
  const config = await portalConfig();
  const form = (config.troubleshooters || []).find((item) => item.id === params.id);
  const back = h("a", { class: "back-link", href: "/tickets/new" }, icon("back"), t("troubleshooter.back"));
  if (!form) {
    setTitle(t("troubleshooter.missing"));
    append(main, h("div", { class: "page page--narrow" }, back, emptyState(t("troubleshooter.missing"))));
    return;
  }
  setTitle(form.name);
  const questions = form.questions.map(troubleshooterQuestion);
  const note = h("textarea", { class: "textarea", rows: 4, maxlength: config.max_message_length });
  const status = h("div", { class: "form-status", "aria-live": "polite" });
  const submit = h("button", { class: "btn btn--primary", type: "submit" }, icon("send"),
    h("span", { text: t("troubleshooter.send") }));
  const element = h("form", { class: "form form--wide", novalidate: true },
    questions.map((question) => question.element),
    field(t("troubleshooter.note"), note, { optional: t("common.optional") }),
    status,
    h("div", { class: "form__actions" },
      h("a", { class: "btn btn--ghost", href: "/tickets/new", text: t("common.cancel") }), submit));
  element.addEventListener("submit", async (event) => {
    event.preventDefault();
    status.replaceChildren();
    const answers = form.questions.map((question, i) => ({ question: question.text, answer: questions[i].read() }));
    let firstMissing = null;
    questions.forEach((question, i) => {
      const missing = !answers[i].answer;
      question.setError(missing ? t("troubleshooter.answerThis") : "");
      if (missing && !firstMissing) firstMissing = question;
    });
    if (firstMissing) {
      firstMissing.focus();
      return;
    }
    submit.disabled = true;
    try {
      const created = await post("/api/portal/tickets", {
        topic: form.topic, subject: form.name, body: note.value,
        troubleshooter: { id: form.id, name: form.name, answers },
      });
      refreshCounts();
      navigate(`/tickets/${encodeURIComponent(created.ticket.id)}`);
    } catch (error) {
      // A refusal about one question goes beside it; anything else under the form.
      const asked = error.details && error.details.question;
      const index = form.questions.findIndex((question) => question.text === asked);
      if (index >= 0) {
        questions[index].setError(errorText(error));
        questions[index].focus();
      }
      status.replaceChildren(notice("error", errorText(error)));
      submit.disabled = false;
    }
  });
  append(main, h("div", { class: "page page--narrow" }, back,
    h("div", { class: "page__header" },
      h("div", {}, h("h1", { class: "page__title", text: form.name }),
        form.intro ? h("p", { class: "page__lead muted", text: form.intro }) : null)),
    h("div", { class: "card" }, element)));
}

// ---------------------------------------------------------------------------------------------
// Ticket detail

function messageItem(message, base) {
  const mine = message.kind === "mine";
  const who = mine ? t("thread.you") : message.author || (message.kind === "team" ? "" : t("thread.customer"));
  const avatarText = mine ? initials(state.user.name) : initials(who);
  return h("li", { class: ["message", `message--${message.kind}`], dataset: { seq: String(message.seq) } },
    h("article", { class: "message__card", "aria-label": who ? t("thread.messageFrom", { name: who }) : t("thread.reply") },
      h("header", { class: "message__header" },
        h("span", { class: ["avatar", message.kind === "team" && "avatar--team"], "aria-hidden": "true" },
          message.kind === "team" && !message.author ? icon("send") : avatarText),
        h("span", { class: "message__author" }, who || t("thread.reply"),
          message.kind === "team" ? h("span", { class: "chip chip--team", text: t("thread.team") }) : null),
        h("time", { class: "message__time muted", datetime: message.created_at, title: formatDate(message.created_at),
          text: relativeTime(message.created_at) })),
      h("div", { class: "message__body", text: message.body }),
      attachmentChips(base, message.attachment_ids)));
}

function ratingForm(ticketId, ticket, onSaved) {
  const legendId = uid("rating");
  const name = uid("score");
  const labels = [];
  const paint = (upTo, className) => labels.forEach((label, i) => label.classList.toggle(className, i < upTo));
  const stars = [1, 2, 3, 4, 5].map((score) => {
    const id = `${name}-${score}`;
    const radio = h("input", { type: "radio", name, id, value: String(score), class: "rating__input",
      checked: ticket.rating === score });
    radio.addEventListener("change", () => paint(score, "is-on"));
    const label = h("label", { for: id, class: "rating__star", title: t(`rating.${score}`) },
      icon("star"), h("span", { class: "sr-only", text: t(`rating.${score}`) }));
    label.addEventListener("mouseenter", () => paint(score, "is-hover"));
    label.addEventListener("mouseleave", () => paint(0, "is-hover"));
    labels.push(label);
    return h("span", { class: "rating__option" }, radio, label);
  });
  paint(ticket.rating || 0, "is-on");
  const comment = h("textarea", { class: "textarea", rows: 3, maxlength: 2000, value: ticket.rating_comment || "" });
  const status = h("div", { class: "form-status", "aria-live": "polite" });
  const form = h("form", { class: "rating" },
    h("fieldset", { class: "rating__set", "aria-labelledby": legendId },
      h("legend", { id: legendId, class: "rating__legend", text: t("rating.question") }),
      h("div", { class: "rating__stars" }, stars)),
    field(t("rating.comment"), comment, { optional: t("common.optional") }),
    status,
    h("button", { class: "btn btn--secondary", type: "submit",
      text: ticket.rating ? t("rating.update") : t("rating.submit") }));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const chosen = form.querySelector("input[type=radio]:checked");
    if (!chosen) {
      status.replaceChildren(notice("error", t("rating.pick")));
      return;
    }
    try {
      const saved = await put(`/api/portal/tickets/${encodeURIComponent(ticketId)}/rating`, {
        score: Number(chosen.value), comment: comment.value,
      });
      onSaved(saved);
      status.replaceChildren(notice("success", t("rating.thanks")));
    } catch (error) {
      status.replaceChildren(notice("error", errorText(error)));
    }
  });
  return form;
}

export async function ticket({ main, params, query }) {
  const id = params.id;
  const base = `/api/portal/tickets/${encodeURIComponent(id)}`;
  const [view, config] = await Promise.all([get(base), portalConfig()]);
  let current = view.ticket;
  let lastSeq = Math.max(0, ...view.messages.map((m) => m.seq));
  setTitle(current.subject);
  refreshCounts();

  const statusHolder = h("span", {});
  const countBadge = h("span", { class: "badge", text: String(view.message_count) });
  const announcer = h("div", { class: "sr-only thread__announcer", "aria-live": "polite" });
  const list = h("ol", { class: "thread", "aria-label": t("thread.label") });
  const notices = h("div", { class: "ticket__notices" });
  const resolveButton = h("button", { class: "btn btn--secondary", type: "button" }, icon("check"),
    h("span", { text: t("ticket.resolve") }));
  const actionStatus = h("div", { class: "form-status", "aria-live": "polite" });
  const ratingHolder = h("div", {});
  const replyHolder = h("div", {});
  const details = h("dl", { class: "details" });

  const byNewest = (messages) => [...messages].sort((a, b) => b.seq - a.seq);
  for (const message of byNewest(view.messages)) list.append(messageItem(message, base));

  // The detail holds the newest page of a long thread; earlier pages are read on demand.
  let earlierCursor = view.earlier_cursor;
  const earlierStatus = h("div", { class: "form-status", "aria-live": "polite" });
  const earlier = loadMoreButton(async () => {
    earlier.busy(true);
    earlierStatus.textContent = "";
    try {
      const page = await get(`${base}/messages`, { before: earlierCursor });
      for (const message of byNewest(page.messages)) {
        if (!list.querySelector(`[data-seq="${message.seq}"]`)) list.append(messageItem(message, base));
      }
      earlierCursor = page.earlier_cursor;
      earlier.show(Boolean(earlierCursor));
    } catch (error) {
      earlierStatus.textContent = errorText(error);
    } finally {
      earlier.busy(false);
    }
  });
  earlier.element.textContent = t("thread.earlier");
  earlier.show(Boolean(earlierCursor));

  const addMessages = (messages, announce) => {
    for (const message of [...messages].sort((a, b) => a.seq - b.seq)) {
      if (list.querySelector(`[data-seq="${message.seq}"]`)) continue;
      list.prepend(messageItem(message, base));
      lastSeq = Math.max(lastSeq, message.seq);
      if (announce && message.kind !== "mine") {
        announcer.textContent = t("thread.newMessage", { name: message.author || t("thread.team") });
      }
    }
    countBadge.textContent = String(Math.max(Number(countBadge.textContent) || 0, lastSeq));
  };

  const renderDetails = () => {
    clear(details);
    const rows = [
      [t("tickets.number"), `#${current.number}`],
      [t("tickets.topic"), current.topic_name],
      [t("tickets.status"), statusBadge(current.status)],
      [t("tickets.created"), formatDate(current.created_at)],
      [t("tickets.lastActivity"), formatDate(current.last_activity_at)],
    ];
    for (const [label, value] of rows) append(details, [h("dt", { text: label }), h("dd", {}, value)]);
  };

  const renderReply = (canReply, refusal) => {
    clear(replyHolder);
    if (!canReply) return;
    const body = h("textarea", { class: "textarea", rows: 4, maxlength: config.max_message_length,
      name: "reply", required: true });
    keepDraft(body, `reply:${id}`); // emptied once sent, which forgets it
    const files = pendingFiles();
    const status = h("div", { class: "form-status", "aria-live": "polite" });
    const send = h("button", { class: "btn btn--primary", type: "submit" }, icon("send"),
      h("span", { text: CLOSED.has(current.status) ? t("ticket.replyReopen") : t("ticket.send") }));
    const form = h("form", { class: "reply" },
      field(t("ticket.yourReply"), body),
      counter(body, config.max_message_length),
      h("details", { class: "reply__attach" },
        h("summary", {}, icon("paperclip"), t("documents.attachFiles")), files.element),
      status,
      h("div", { class: "form__actions" }, send));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (!body.value.trim()) {
        status.replaceChildren(notice("error", t("error.empty_message")));
        return;
      }
      send.disabled = true;
      status.replaceChildren();
      try {
        const ids = [];
        for (const file of files.files) ids.push(await uploadFile(base, file));
        const payload = { body: body.value };
        if (ids.length) payload.attachment_ids = ids;
        const sent = await post(`${base}/messages`, payload);
        addMessages([sent.message], false);
        body.value = "";
        body.dispatchEvent(new Event("input"));
        files.clear();
        if (ids.length && docs.refresh) docs.refresh();
        status.replaceChildren(notice("success", t("ticket.sent")));
        if (CLOSED.has(current.status)) refreshTicket();
        refreshCounts();
      } catch (error) {
        status.replaceChildren(notice("error", errorText(error)));
        if (error.code === "messaging_blocked" || error.code === "reopen_window_passed") refreshTicket();
      } finally {
        send.disabled = false;
      }
    });
    replyHolder.append(form);
    return refusal;
  };

  const renderState = (canReply, refusal, canRate) => {
    statusHolder.replaceChildren(statusBadge(current.status));
    clear(notices);
    if (current.messaging_blocked) {
      notices.append(h("div", { class: "notice notice--warning notice--blocked", role: "status" },
        icon("lock"),
        h("div", {}, h("strong", { text: t("ticket.blockedTitle") }),
          h("p", { text: current.blocked_reason || t("ticket.blockedDefault") }))));
    } else if (refusal && refusal.code === "reopen_window_passed") {
      notices.append(h("div", { class: "notice notice--info", role: "status" },
        h("p", { text: t("error.reopen_window_passed") }),
        h("a", { href: "/tickets/new", text: t("nav.newTicket") })));
    }
    resolveButton.hidden = CLOSED.has(current.status);
    clear(ratingHolder);
    if (canRate) {
      const summaryText = current.rating
        ? h("p", { class: "rating__current" }, t("rating.current", { score: current.rating })) : null;
      ratingHolder.append(h("section", { class: "card", "aria-labelledby": "rating-title" },
        h("h2", { class: "card__title", id: "rating-title" }, icon("star"), h("span", { text: t("rating.title") })),
        summaryText,
        ratingForm(id, current, (saved) => {
          current = { ...current, rating: saved.rating, rating_comment: saved.comment };
          const line = ratingHolder.querySelector(".rating__current");
          const text = t("rating.current", { score: saved.rating });
          if (line) line.textContent = text;
          else ratingHolder.querySelector(".card__title").after(h("p", { class: "rating__current", text }));
        })));
    }
    renderDetails();
    renderReply(canReply, refusal);
  };

  async function refreshTicket(background = false) {
    try {
      const fresh = await get(base, background ? { refresh: 1 } : null);
      current = fresh.ticket;
      addMessages(fresh.messages, false);
      renderState(fresh.can_reply, fresh.reply_refusal, fresh.can_rate);
    } catch {
      // the next poll tries again
    }
  }

  resolveButton.addEventListener("click", async () => {
    resolveButton.disabled = true;
    actionStatus.replaceChildren();
    try {
      const fresh = await post(`${base}/resolve`, {});
      current = fresh.ticket;
      renderState(fresh.can_reply, fresh.reply_refusal, fresh.can_rate);
      actionStatus.replaceChildren(notice("success", t("ticket.resolved")));
    } catch (error) {
      actionStatus.replaceChildren(notice("error", errorText(error)));
    } finally {
      resolveButton.disabled = false;
    }
  });

  const docs = documentsArea({ base, canUpload: !current.messaging_blocked, onList: () => nameChips(list) });
  const troubleshooter = current.troubleshooter ? troubleshooterCard(current.troubleshooter) : null;

  append(main, h("div", { class: "page page--ticket" },
    h("a", { class: "back-link", href: "/tickets" }, icon("back"), t("tickets.back")),
    h("div", { class: "ticket__header" },
      h("div", { class: "ticket__heading" },
        h("p", { class: "ticket__meta muted" }, `#${current.number}`, " · ", current.topic_name),
        h("h1", { class: "page__title ticket__title", text: current.subject }),
        h("div", { class: "ticket__status" }, statusHolder,
          h("span", { class: "muted", text: t("ticket.opened", { date: formatDate(current.created_at, { withTime: false }) }) }))),
      h("div", { class: "ticket__actions" }, resolveButton)),
    actionStatus,
    query.get("upload") === "failed" ? notice("error", t("documents.someFailed")) : null,
    notices,
    h("div", { class: "ticket__layout" },
      h("section", { class: "ticket__conversation", "aria-labelledby": "conversation-title" },
        h("h2", { class: "section-title", id: "conversation-title" },
          h("span", { text: t("thread.title") }), countBadge),
        replyHolder,
        announcer,
        list,
        earlier.element,
        earlierStatus),
      h("aside", { class: "ticket__side", "aria-label": t("ticket.aside") },
        ratingHolder,
        docs,
        troubleshooter,
        h("section", { class: "card", "aria-labelledby": "details-title" },
          h("h2", { class: "card__title", id: "details-title", text: t("ticket.details") }), details)))));
  renderState(view.can_reply, view.reply_refusal, view.can_rate);

  const stop = follow({
    ticketId: id,
    lastSeq,
    poll: (after) => get(`${base}/messages`, { after }, { quiet: true }),
    onUpdate: (update) => {
      if (update.messages.length) {
        addMessages(update.messages, true);
        refreshCounts();
        if (docs.refresh) docs.refresh(true);
      }
      if (update.ticket) {
        const before = JSON.stringify([current.status, current.messaging_blocked, current.blocked_reason]);
        current = { ...current, ...update.ticket };
        const after = JSON.stringify([current.status, current.messaging_blocked, current.blocked_reason]);
        if (before !== after) refreshTicket(true);
      }
    },
  });
  onCleanup(stop);
}

// ---------------------------------------------------------------------------------------------
// Folders

export async function folder({ main, params }) {
  const name = params.folder;
  if (!["inbox", "sent", "trash"].includes(name)) {
    navigate("/folders/inbox", { replace: true });
    return;
  }
  setTitle(t(`folder.${name}`));
  let cursor = null;
  const list = h("ul", { class: "folder-list" });
  const status = h("div", { class: "form-status", "aria-live": "polite" });
  const heading = h("h1", { class: "page__title", text: t(`folder.${name}`) });
  const unreadLine = h("p", { class: "page__lead muted" });
  const more = loadMoreButton(() => load());

  const setUnread = (unread) => {
    const count = (unread && unread[name]) || 0;
    unreadLine.textContent = name === "inbox" || count ? t("folder.unreadCount", { count }) : t(`folder.${name}Lead`);
  };

  const entryItem = (entry) => {
    const item = h("li", { class: ["folder-entry", !entry.read && "is-unread"], dataset: { entryId: entry.id } });
    const render = () => {
      clear(item);
      item.classList.toggle("is-unread", !entry.read);
      const readButton = h("button", { type: "button", class: "btn btn--ghost btn--small",
        text: entry.read ? t("folder.markUnread") : t("folder.markRead") });
      readButton.addEventListener("click", () => change(entry.read ? "unread" : "read"));
      const moveButton = name === "trash"
        ? h("button", { type: "button", class: "btn btn--ghost btn--small", text: t("folder.restore") })
        : h("button", { type: "button", class: "btn btn--ghost btn--small" }, icon("trash"),
          h("span", { text: t("folder.moveToTrash") }));
      moveButton.addEventListener("click", () => change(name === "trash" ? "restore" : "trash"));
      append(item, [
        h("a", { class: "folder-entry__link", href: `/tickets/${encodeURIComponent(entry.ticket_id)}` },
          h("span", { class: "folder-entry__top" },
            !entry.read ? h("span", { class: "unread-dot" }, h("span", { class: "sr-only", text: t("tickets.unread") })) : null,
            h("span", { class: "folder-entry__author", text: entry.author || (name === "sent" ? t("thread.you") : t("thread.team")) }),
            h("time", { class: "folder-entry__time muted", datetime: entry.created_at, text: relativeTime(entry.created_at) })),
          h("span", { class: "folder-entry__title" }, h("span", { class: "muted", text: `#${entry.ticket_number} ` }), entry.title),
          h("span", { class: "folder-entry__preview muted", text: entry.preview })),
        h("div", { class: "folder-entry__actions" }, readButton, moveButton)]);
    };
    const change = async (action) => {
      try {
        const result = await post(`/api/portal/folders/entries/${encodeURIComponent(entry.id)}/${action}`, {});
        setUnread(result.unread);
        refreshCounts();
        if (action === "trash" || action === "restore") {
          item.remove();
          status.replaceChildren(notice("success", action === "trash" ? t("folder.trashed") : t("folder.restored")));
          if (!list.children.length) list.append(h("li", {}, emptyState(t("folder.empty"))));
        } else {
          entry.read = result.entry.read;
          render();
          item.querySelector("button").focus();
        }
      } catch (error) {
        status.replaceChildren(notice("error", errorText(error)));
      }
    };
    render();
    return item;
  };

  async function load() {
    more.busy(true);
    try {
      const page = await get(`/api/portal/folders/${name}`, { limit: 25, cursor });
      for (const entry of page.items) list.append(entryItem(entry));
      if (!list.children.length) list.append(h("li", {}, emptyState(t("folder.empty"))));
      cursor = page.next_cursor;
      more.show(Boolean(cursor));
      setUnread(page.unread);
    } catch (error) {
      status.replaceChildren(notice("error", errorText(error)));
    } finally {
      more.busy(false);
    }
  }

  append(main, h("div", { class: "page" },
    h("div", { class: "page__header" }, h("div", {}, heading, unreadLine)),
    status,
    h("div", { class: "card card--flush" }, list),
    h("div", { class: "list-footer" }, more.element)));
  await load();
}

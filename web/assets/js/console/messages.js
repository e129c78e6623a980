// @ts-check
// The console's thread (oldest first): messages, internal notes and the history lines, each
// history line said in the agent's language where its details allow.

import { h, icon, initials } from "../dom.js";
import { get } from "../api.js";
import { t, formatDate, relativeTime } from "../i18n.js";
import { attachmentChips } from "../documents.js";
import { loadMoreButton } from "../ui.js";

const EVENT_KINDS = new Set(["system_event"]);

// The server writes each history line in English and records what happened in the message's
// details; the line is said in the reader's language when the details name everything it says.
// Mail events (and lines written before the details carried names) keep the server's text.
/** @type {Record<string, (details: Record<string, any>) => string | null>} */
const EVENT_LINES = {
  assigned: (d) => (!d.assignee_id ? t("event.unassigned")
    : d.assignee_name ? t("event.assigned", { name: d.assignee_name }) : null),
  title: (d) => ("old" in d ? t("event.title", { old: d.old }) : null),
  blocked: (d) => ("reason" in d ? t("event.blocked", { reason: d.reason }) : null),
  unblocked: () => t("event.unblocked"),
  status: (d) => (d.status === "pending" ? t("event.pending") : d.status === "open" ? t("event.open") : null),
  closed: (d) => (d.reason ? t("event.closedWithReason", { reason: d.reason }) : t("event.closed")),
  auto_closed: () => t("event.autoClosed"),
  resolved_by_customer: () => t("event.resolvedByCustomer"),
  rated: (d) => ("score" in d ? t("event.rated", { score: d.score }) : null),
  tags: (d) => [
    ...(d.added && d.added.length ? [t("event.tagged", { tags: d.added.join(", ") })] : []),
    ...(d.removed && d.removed.length ? [t("event.untagged", { tags: d.removed.join(", ") })] : []),
  ].join(" ") || null,
  merged_into: (d) => ("number" in d ? t("event.mergedInto", { number: d.number }) : null),
  merged_from: (d) => ("number" in d ? t("event.mergedFrom", { number: d.number }) : null),
};

function eventText(/** @type {ConsoleMessage} */ message) {
  const details = message.details || {};
  const line = EVENT_LINES[details.event];
  return (line && line(details)) || message.body;
}

/** @param {ConsoleMessage} message @param {string} base the ticket's API path */
export function messageItem(message, base) {
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
  // An answer that took an unassigned conversation: the assignment's line in the history.
  const took = message.details && message.details.assigned;
  return h("li", { class: ["message", internal ? "message--internal" : `message--${message.author.role === "customer" ? "customer" : "agent"}`],
    dataset: { seq: String(message.seq), visibility: message.visibility } },
  took ? h("p", { class: "event event--inline" }, h("span", { class: "event__text" }, icon("dot"),
    h("span", { text: t("event.assignedByAnswer", { name: took.assignee_name || "" }) }))) : null,
  h("article", { class: "message__card", "aria-label": `${label}: ${message.author.name || ""}` },
    h("header", { class: "message__header" },
      h("span", { class: ["avatar", message.author.role !== "customer" && "avatar--team"], "aria-hidden": "true",
        text: initials(message.author.name) }),
      h("span", { class: "message__author", text: message.author.name || t("console.system") }),
      h("span", { class: ["tag", internal ? "tag--internal" : "tag--public"] },
        internal ? icon("lock") : null, label),
      action === "send" ? h("span", { class: "tag tag--muted", text: t("console.andResolved") }) : null,
      message.channel === "email" ? h("span", { class: "tag tag--muted", text: t("console.viaEmail") }) : null,
      // Moved here by a merge (services/tickets/merge.py): from which ticket
      message.details && message.details.moved_from
        ? h("span", { class: "tag tag--muted", text: t("merge.movedFrom", { number: message.details.moved_from.number }) }) : null,
      h("time", { class: "message__time muted", datetime: message.created_at, title: formatDate(message.created_at),
        text: relativeTime(message.created_at) })),
    h("div", { class: "message__body", text: message.body }),
    attachmentChips(base, message.attachment_ids)));
}

/** The thread of a conversation, oldest first: the newest page at once, earlier pages on demand
 * above it, new messages at the bottom as they come (`add`, announced when `announce`).
 * @param {string} base the ticket's API path @param {ConsoleTicketView} view
 * @param {(error: unknown) => void} onError */
export function consoleThread(base, view, onError) {
  const messages = view.messages || [];
  let lastSeq = Math.max(0, ...messages.map((m) => m.seq));
  const announcer = h("div", { class: "sr-only thread__announcer", "aria-live": "polite" });
  const list = h("ol", { class: "thread thread--console", "aria-label": t("thread.labelOldest") });
  const countBadge = h("span", { class: "badge", text: String(view.message_count) });
  const has = (/** @type {ConsoleMessage} */ message) => list.querySelector(`[data-seq="${message.seq}"]`);
  for (const message of messages) list.append(messageItem(message, base));

  let earlierCursor = view.earlier_cursor;
  const earlier = loadMoreButton(async () => {
    earlier.busy(true);
    try {
      /** @type {MessagesPage<ConsoleMessage>} */
      const page = await get(`${base}/messages`, { before: earlierCursor });
      const first = list.firstChild;
      for (const message of [...page.messages].sort((a, b) => a.seq - b.seq)) {
        if (!has(message)) list.insertBefore(messageItem(message, base), first);
      }
      earlierCursor = page.earlier_cursor;
      earlier.show(Boolean(earlierCursor));
    } catch (error) {
      onError(error);
    } finally {
      earlier.busy(false);
    }
  });
  earlier.element.textContent = t("thread.earlier");
  earlier.show(Boolean(earlierCursor));

  /** @param {ConsoleMessage[]} fresh @param {boolean} announce @returns {boolean} whether any was new */
  const add = (fresh, announce) => {
    let added = false;
    for (const message of [...fresh].sort((a, b) => a.seq - b.seq)) {
      if (has(message)) continue;
      list.append(messageItem(message, base));
      lastSeq = Math.max(lastSeq, message.seq);
      added = true;
      if (announce && message.kind !== "system_event") {
        announcer.textContent = t("thread.newMessage", { name: message.author.name || "" });
      }
    }
    if (added) countBadge.textContent = String(Math.max(Number(countBadge.textContent) || 0, lastSeq));
    return added;
  };

  return { list, countBadge, announcer, earlier: earlier.element, add, lastSeq: () => lastSeq };
}

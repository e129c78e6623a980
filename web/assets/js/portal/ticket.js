// @ts-check
// One ticket, as its customer sees it: the thread (newest first, the reply box on top), which
// follows new messages live, the state (blocked, too late to reopen), resolving, rating,
// documents, the troubleshooter's answers and the details.

import { h, append, clear, icon, notice } from "../dom.js";
import { get, post } from "../api.js";
import { t, errorText, formatDate } from "../i18n.js";
import { setTitle } from "../shell/state.js";
import { onCleanup, navigate } from "../shell/navigation.js";
import { refreshCounts } from "../shell/counts.js";
import { follow } from "../live.js";
import { documentsArea, nameChips, refusedUploads } from "../documents.js";
import { statusBadge, troubleshooterCard } from "../ui.js";
import { followersCard } from "../followers.js";
import { portalConfig } from "./config.js";
import { portalThread } from "./thread.js";
import { replyForm } from "./reply.js";
import { ratingCard } from "./rating.js";

const CLOSED = new Set(["closed", "resolved"]);

/** What the customer is told above the thread: blocked, or too late to reopen.
 * @param {PortalTicket} ticket @param {ReplyRefusal | null} refusal */
function stateNotice(ticket, refusal) {
  if (ticket.messaging_blocked) {
    return h("div", { class: "notice notice--warning notice--blocked", role: "status" },
      icon("lock"),
      h("div", {}, h("strong", { text: t("ticket.blockedTitle") }),
        h("p", { text: ticket.blocked_reason || t("ticket.blockedDefault") })));
  }
  if (refusal && refusal.code === "reopen_window_passed") {
    return h("div", { class: "notice notice--info", role: "status" },
      h("p", { text: t("error.reopen_window_passed") }),
      h("a", { href: "/tickets/new", text: t("nav.newTicket") }));
  }
  return null;
}

/** @param {PortalTicket} ticket */
function detailRows(ticket) {
  /** @type {[string, Child][]} */
  const rows = [
    [t("tickets.number"), `#${ticket.number}`],
    [t("tickets.topic"), ticket.topic_name],
    [t("tickets.status"), statusBadge(ticket.status)],
    [t("tickets.created"), formatDate(ticket.created_at)],
    [t("tickets.lastActivity"), formatDate(ticket.last_activity_at)],
  ];
  return rows.map(([label, value]) => [h("dt", { text: label }), h("dd", {}, value)]);
}

/** @type {PageFn} */
export async function ticket({ main, params, query }) {
  const id = params.id;
  const base = `/api/portal/tickets/${encodeURIComponent(id)}`;
  /** @type {[PortalTicketView, PortalConfig]} */
  const [view, config] = await Promise.all([get(base), portalConfig()]);
  if (view.ticket.merged_into) {
    // Merged into another of the customer's tickets, which now holds its messages: open that.
    navigate(`/tickets/${encodeURIComponent(view.ticket.merged_into.id)}`, { replace: true });
    return;
  }
  let current = view.ticket;
  setTitle(current.subject);
  refreshCounts();

  const thread = portalThread(base, view);
  const statusHolder = h("span", {});
  const notices = h("div", { class: "ticket__notices" });
  const resolveButton = h("button", { class: "btn btn--secondary", type: "button" }, icon("check"),
    h("span", { text: t("ticket.resolve") }));
  const actionStatus = h("div", { class: "form-status", "aria-live": "polite" });
  const ratingHolder = h("div", {});
  const replyHolder = h("div", {});
  const details = h("dl", { class: "details" });
  const docs = documentsArea({ base, canUpload: !current.messaging_blocked, onList: () => nameChips(thread.list),
    limits: config.attachments });

  /** Everything that follows from the ticket's state: what the server says may be done now.
   * @param {{can_reply: boolean, reply_refusal: ReplyRefusal | null, can_resolve: boolean, can_rate: boolean}} may */
  const renderState = (may) => {
    statusHolder.replaceChildren(statusBadge(current.status));
    append(clear(notices), stateNotice(current, may.reply_refusal));
    // Only the requester resolves and rates: a colleague reading the ticket is not offered it.
    resolveButton.hidden = !may.can_resolve;
    clear(ratingHolder);
    if (may.can_rate) {
      ratingHolder.append(ratingCard(id, current, (saved) => {
        current = { ...current, rating: saved.rating, rating_comment: saved.comment };
      }));
    }
    append(clear(details), detailRows(current));
    clear(replyHolder);
    if (may.can_reply) {
      replyHolder.append(replyForm({
        base, ticketId: id, maxLength: config.max_message_length, reopens: CLOSED.has(current.status),
        limits: config.attachments,
        onSent: (message, withFiles) => {
          thread.add([message], false);
          if (withFiles) docs.refresh();
          if (CLOSED.has(current.status)) refreshTicket();
          refreshCounts();
        },
        onRefused: (error) => {
          if (error.code === "messaging_blocked" || error.code === "reopen_window_passed") refreshTicket();
        },
      }));
    }
  };

  async function refreshTicket(background = false) {
    try {
      /** @type {PortalTicketView} */
      const fresh = await get(base, background ? { refresh: 1 } : null);
      current = fresh.ticket;
      thread.add(fresh.messages, false);
      renderState(fresh);
    } catch {
      // the next poll tries again
    }
  }

  resolveButton.addEventListener("click", async () => {
    resolveButton.disabled = true;
    actionStatus.replaceChildren();
    try {
      /** @type {PortalTicketView} */
      const fresh = await post(`${base}/resolve`, {});
      current = fresh.ticket;
      renderState(fresh);
      actionStatus.replaceChildren(notice("success", t("ticket.resolved")));
    } catch (error) {
      actionStatus.replaceChildren(notice("error", errorText(error)));
    } finally {
      resolveButton.disabled = false;
    }
  });

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
    query.get("upload") === "failed" ? refusedUploads(id) : null,
    notices,
    h("div", { class: "ticket__layout" },
      h("section", { class: "ticket__conversation", "aria-labelledby": "conversation-title" },
        h("h2", { class: "section-title", id: "conversation-title" },
          h("span", { text: t("thread.title") }), thread.countBadge),
        replyHolder,
        thread.announcer,
        thread.list,
        thread.earlier,
        thread.earlierStatus),
      h("aside", { class: "ticket__side", "aria-label": t("ticket.aside") },
        ratingHolder,
        docs,
        // Who else hears of the answers; a follower who leaves no longer reads the ticket.
        followersCard({ base, onLeft: () => navigate("/tickets") }),
        current.troubleshooter ? troubleshooterCard(current.troubleshooter) : null,
        h("section", { class: "card", "aria-labelledby": "details-title" },
          h("h2", { class: "card__title", id: "details-title", text: t("ticket.details") }), details)))));
  renderState(view);

  // What a live update shows is read at once, everywhere (the list, the Inbox, the feed), so
  // an answer that arrives while the ticket is open never raises a badge; a hidden tab reads
  // it when it is shown again.
  let unseen = false;
  const readShown = async () => {
    unseen = document.hidden;
    if (unseen) return;
    try {
      await post(`${base}/read`, { seq: thread.lastSeq() }, { quiet: true });
    } catch {
      // the next update, or opening the ticket again, reads it
    }
    refreshCounts();
  };
  const onShown = () => {
    if (unseen && !document.hidden) readShown();
  };
  document.addEventListener("visibilitychange", onShown);
  onCleanup(() => document.removeEventListener("visibilitychange", onShown));

  const stop = follow({
    ticketId: id,
    lastSeq: thread.lastSeq(),
    poll: (after) => get(`${base}/messages`, { after }, { quiet: true }),
    onUpdate: (/** @type {MessagesPage<PortalMessage, Partial<PortalTicket>>} */ update) => {
      if (update.messages.length) {
        thread.add(update.messages, true);
        readShown();
        docs.refresh(true);
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

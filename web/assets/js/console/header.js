// @ts-check
// What a conversation's header and side say and offer, kept up to date by `render(ticket)`:
// the status, the requester (and why mail to them is suppressed), Close, waiting on the
// customer (pending) and back, Block with a reason and the banner that offers Unblock, and the
// details list.

import { h, append, clear, icon, field } from "../dom.js";
import { post, patch } from "../api.js";
import { t, formatDate } from "../i18n.js";
import { state } from "../shell/state.js";
import { statusBadge } from "../ui.js";
import { consoleLine } from "../suppressed.js";
import { teamName } from "./config.js";

/**
 * `done(fresh, message, listChanged)` after the server took a change; `failed(error)` else.
 * @param {{base: string, config: ConsoleConfig,
 *   done: (fresh: ConsoleTicketView, message: string, listChanged: boolean) => void,
 *   failed: (error: unknown) => void}} options
 */
export function conversationHeader({ base, config, done, failed }) {
  /** @type {ConsoleTicket | null} */
  let current = null;
  /** @param {() => Promise<ConsoleTicketView>} request @param {string} message @param {boolean} listChanged */
  const act = async (request, message, listChanged) => {
    try {
      done(await request(), message, listChanged);
      return true;
    } catch (error) {
      failed(error);
      return false;
    }
  };

  const closeButton = h("button", { type: "button", class: "btn btn--secondary btn--small", text: t("console.close") });
  closeButton.addEventListener("click", () => act(() => post(`${base}/close`, {}), t("console.closed"), true));

  // Waiting on the customer (pending) and back: customers still see Open unless every status is shown.
  const pendingButton = h("button", { type: "button", class: "btn btn--ghost btn--small" });
  pendingButton.addEventListener("click", () => {
    const next = current && current.status === "pending" ? "open" : "pending";
    act(() => patch(base, { status: next }), t(next === "pending" ? "event.pending" : "event.open"), true);
  });

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
      if (await act(() => post(`${base}/block`, { reason: reason.value }), t("console.blockedDone"), false)) {
        clear(blockHolder);
      }
    });
    blockHolder.replaceChildren(form);
    reason.focus();
  });
  const blockedBanner = h("div", {});
  const requesterLine = h("p", { class: "convo-header__requester" });
  const statusHolder = h("span", {});
  const details = h("dl", { class: "details" });

  /** @param {ConsoleTicket} ticket */
  const render = (ticket) => {
    current = ticket;
    statusHolder.replaceChildren(statusBadge(ticket.status));
    clear(requesterLine);
    append(requesterLine, [icon("user"), h("span", { text: ticket.requester.name }),
      h("span", { class: "muted", text: ticket.requester.email ? ` <${ticket.requester.email}>` : "" })]);
    if (ticket.requester.suppression) requesterLine.append(consoleLine(ticket.requester.suppression));
    const mine = Boolean(ticket.assignee && state.user && ticket.assignee.id === state.user.id);
    closeButton.hidden = !(mine && ticket.status !== "closed");
    blockButton.hidden = ticket.messaging_blocked;
    pendingButton.hidden = !["new", "open", "pending"].includes(ticket.status);
    pendingButton.textContent = t(ticket.status === "pending" ? "console.markOpen" : "console.markPending");
    clear(blockedBanner);
    if (ticket.messaging_blocked) {
      const unblock = h("button", { type: "button", class: "btn btn--secondary btn--small", text: t("console.unblock") });
      unblock.addEventListener("click", () => act(() => post(`${base}/unblock`, {}), t("console.unblocked"), false));
      blockedBanner.append(h("div", { class: "notice notice--warning notice--blocked", role: "status" },
        icon("lock"), h("div", {}, h("strong", { text: t("console.blockedTitle") }),
          h("p", { text: ticket.blocked_reason || "" })), unblock));
    }
    append(clear(details), detailRows(ticket, config));
  };

  return { statusHolder, requesterLine, actions: [pendingButton, closeButton, blockButton], blockHolder,
    blockedBanner, details, render };
}

/** @param {ConsoleTicket} ticket @param {ConsoleConfig} config */
function detailRows(ticket, config) {
  const topic = config.topics.find((item) => item.id === ticket.topic);
  const rows = [
    [t("tickets.number"), `#${ticket.number}`],
    [t("console.requester"), ticket.requester.name],
    [t("tickets.topic"), topic ? topic.name : ticket.topic],
    [t("console.team"), teamName(config, ticket.team_id)],
    [t("console.channel"), t(`channel.${ticket.channel}`)],
    [t("tickets.created"), formatDate(ticket.created_at)],
    [t("tickets.lastActivity"), formatDate(ticket.last_activity_at)],
  ];
  if (ticket.rating) rows.push([t("rating.title"), `${ticket.rating}/5${ticket.rating_comment ? ` — ${ticket.rating_comment}` : ""}`]);
  return rows.map(([label, value]) => [h("dt", { text: label }), h("dd", { text: value })]);
}

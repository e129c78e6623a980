// @ts-check
// The portal's thread of a ticket (newest first), and each message as the customer reads it.

import { h, icon, initials } from "../dom.js";
import { get } from "../api.js";
import { t, errorText, formatDate, relativeTime } from "../i18n.js";
import { state } from "../shell/state.js";
import { attachmentChips } from "../documents.js";
import { loadMoreButton } from "../ui.js";

/** @param {PortalMessage} message @param {string} base the ticket's API path */
export function messageItem(message, base) {
  const mine = message.kind === "mine";
  const who = mine ? t("thread.you") : message.author || (message.kind === "team" ? "" : t("thread.customer"));
  const avatarText = mine ? initials(state.user && state.user.name) : initials(who);
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

/** The thread of a ticket, newest first: the newest page at once, earlier pages on demand, and
 * new messages on top as they come (`add`), announced to screen readers when `announce`.
 * @param {string} base the ticket's API path @param {PortalTicketView} view */
export function portalThread(base, view) {
  let lastSeq = Math.max(0, ...view.messages.map((m) => m.seq));
  const countBadge = h("span", { class: "badge", text: String(view.message_count) });
  const announcer = h("div", { class: "sr-only thread__announcer", "aria-live": "polite" });
  const list = h("ol", { class: "thread", "aria-label": t("thread.label") });
  const byNewest = (/** @type {PortalMessage[]} */ messages) => [...messages].sort((a, b) => b.seq - a.seq);
  const has = (/** @type {PortalMessage} */ message) => list.querySelector(`[data-seq="${message.seq}"]`);
  for (const message of byNewest(view.messages)) list.append(messageItem(message, base));

  let earlierCursor = view.earlier_cursor;
  const earlierStatus = h("div", { class: "form-status", "aria-live": "polite" });
  const earlier = loadMoreButton(async () => {
    earlier.busy(true);
    earlierStatus.textContent = "";
    try {
      /** @type {MessagesPage<PortalMessage>} */
      const page = await get(`${base}/messages`, { before: earlierCursor });
      for (const message of byNewest(page.messages)) {
        if (!has(message)) list.append(messageItem(message, base));
      }
      earlierCursor = page.earlier_cursor || null;
      earlier.show(Boolean(earlierCursor));
    } catch (error) {
      earlierStatus.textContent = errorText(error);
    } finally {
      earlier.busy(false);
    }
  });
  earlier.element.textContent = t("thread.earlier");
  earlier.show(Boolean(earlierCursor));

  /** @param {PortalMessage[]} messages @param {boolean} announce */
  const add = (messages, announce) => {
    for (const message of [...messages].sort((a, b) => a.seq - b.seq)) {
      if (has(message)) continue;
      list.prepend(messageItem(message, base));
      lastSeq = Math.max(lastSeq, message.seq);
      if (announce && message.kind !== "mine") {
        announcer.textContent = t("thread.newMessage", { name: message.author || t("thread.team") });
      }
    }
    countBadge.textContent = String(Math.max(Number(countBadge.textContent) || 0, lastSeq));
  };

  return { list, countBadge, announcer, earlier: earlier.element, earlierStatus, add, lastSeq: () => lastSeq };
}

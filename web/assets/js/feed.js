// @ts-check
// The in-portal notification feed, for customers and agents alike.

import { h, append, icon, notice } from "./dom.js";
import { get, post } from "./api.js";
import { t, errorText, relativeTime } from "./i18n.js";
import { setTitle } from "./shell/state.js";
import { navigate } from "./shell/navigation.js";
import { refreshCounts } from "./shell/counts.js";
import { emptyState } from "./ui.js";
import { pager } from "./pager.js";

/** @type {Record<string, string>} */
const KIND_ICONS = { reply: "send", status: "check", customer_message: "inbox", assigned: "user" };

function describe(/** @type {FeedItem} */ item) {
  // An answer that changed the status says both on its one item (one item per answer, as the
  // Inbox has one entry per answer: the two count alike).
  const key = item.kind === "reply" && item.status ? "notifications.kind.replyStatus" : `notifications.kind.${item.kind}`;
  return t(key, { actor: item.actor || t("thread.team"), status: item.status ? t(`status.${item.status}`) : "" });
}

/** @type {PageFn} */
export async function notifications({ main }) {
  setTitle(t("notifications.title"));
  const list = h("ul", { class: "feed" });
  const status = h("div", { class: "form-status", "aria-live": "polite" });
  const lead = h("p", { class: "page__lead muted" });
  const markAll = h("button", { type: "button", class: "btn btn--secondary" }, icon("check"),
    h("span", { text: t("notifications.markAll") }));

  const setUnread = (/** @type {number} */ unread) => {
    lead.textContent = t("notifications.unreadCount", { count: unread });
    markAll.disabled = !unread;
  };

  markAll.addEventListener("click", async () => {
    try {
      /** @type {{unread: number}} */
      const result = await post("/api/notifications/read", { ids: "all" });
      for (const item of list.querySelectorAll(".is-unread")) item.classList.remove("is-unread");
      for (const dot of list.querySelectorAll(".unread-dot")) dot.remove();
      setUnread(result.unread);
      refreshCounts();
      status.replaceChildren(notice("success", t("notifications.allRead")));
    } catch (error) {
      status.replaceChildren(notice("error", errorText(error)));
    }
  });

  const entry = (/** @type {FeedItem} */ item) => {
    const link = h("a", { class: "feed__link", href: item.link },
      h("span", { class: "feed__icon", "aria-hidden": "true" }, icon(KIND_ICONS[item.kind] || "bell")),
      h("span", { class: "feed__text" },
        h("span", { class: "feed__top" },
          item.read ? null : h("span", { class: "unread-dot" }, h("span", { class: "sr-only", text: t("tickets.unread") })),
          h("span", { class: "feed__what", text: describe(item) })),
        h("span", { class: "feed__title" }, h("span", { class: "muted", text: `#${item.ticket_number} ` }), item.title)),
      h("time", { class: "feed__time muted", datetime: item.created_at, text: relativeTime(item.created_at) }));
    link.addEventListener("click", async (event) => {
      if (item.read) return;
      event.preventDefault();
      try {
        await post("/api/notifications/read", { ids: [item.id] });
      } catch {
        // reading the ticket matters more than the mark
      }
      refreshCounts();
      navigate(link.getAttribute("href") || item.link);
    });
    return h("li", { class: ["feed__item", !item.read && "is-unread"] }, link);
  };

  const { more, load } = pager({
    list, status, row: entry,
    empty: () => h("li", {}, emptyState(t("notifications.empty"))),
    fetchPage: async (cursor) => {
      /** @type {Page<FeedItem> & {unread: number}} */
      const page = await get("/api/notifications", { limit: 25, cursor });
      setUnread(page.unread);
      return page;
    },
  });

  append(main, h("div", { class: "page page--narrow" },
    h("div", { class: "page__header" },
      h("div", {}, h("h1", { class: "page__title", text: t("notifications.title") }), lead),
      markAll),
    status,
    h("div", { class: "card card--flush" }, list),
    h("div", { class: "list-footer" }, more.element)));
  await load();
}

// @ts-check
// The portal's message folders (inbox, sent, trash): read / unread (the team's answers: my own
// messages are read by nature), to the trash and back; the trash says when it empties itself.

import { h, append, clear, icon, notice } from "../dom.js";
import { get, post } from "../api.js";
import { t, errorText, relativeTime } from "../i18n.js";
import { setTitle } from "../shell/state.js";
import { navigate } from "../shell/navigation.js";
import { refreshCounts } from "../shell/counts.js";
import { emptyState } from "../ui.js";
import { pager } from "../pager.js";

/** @type {PageFn} */
export async function folder({ main, params }) {
  const name = params.folder;
  if (!["inbox", "sent", "trash"].includes(name)) {
    navigate("/folders/inbox", { replace: true });
    return;
  }
  setTitle(t(`folder.${name}`));
  const list = h("ul", { class: "folder-list" });
  const status = h("div", { class: "form-status", "aria-live": "polite" });
  const heading = h("h1", { class: "page__title", text: t(`folder.${name}`) });
  const unreadLine = h("p", { class: "page__lead muted" });
  const purgeLine = h("p", { class: "page__lead muted", hidden: true });

  const setUnread = (/** @type {FolderUnread | undefined} */ unread) => {
    const count = (unread && unread[name]) || 0;
    unreadLine.textContent = name === "inbox" || count ? t("folder.unreadCount", { count }) : t(`folder.${name}Lead`);
    // The trash's lead is when it empties itself, once the server said so.
    unreadLine.hidden = name === "trash" && !count && !purgeLine.hidden;
  };

  const entryItem = (/** @type {FolderEntry} */ entry) => {
    const item = h("li", { class: ["folder-entry", !entry.read && "is-unread"], dataset: { entryId: entry.id } });
    const render = () => {
      clear(item);
      item.classList.toggle("is-unread", !entry.read);
      // The server refuses "unread" on my own messages (Sent, and those trashed from it).
      const readButton = entry.read && entry.origin === "sent" ? null
        : h("button", { type: "button", class: "btn btn--ghost btn--small",
          text: entry.read ? t("folder.markUnread") : t("folder.markRead") });
      readButton?.addEventListener("click", () => change(entry.read ? "unread" : "read"));
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
    const change = async (/** @type {"read" | "unread" | "trash" | "restore"} */ action) => {
      try {
        /** @type {{unread: FolderUnread, entry: FolderEntry}} */
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
          item.querySelector("button")?.focus();
        }
      } catch (error) {
        status.replaceChildren(notice("error", errorText(error)));
      }
    };
    render();
    return item;
  };

  const { more, load } = pager({
    list, status, row: entryItem,
    empty: () => h("li", {}, emptyState(t("folder.empty"))),
    fetchPage: async (cursor) => {
      /** @type {FolderPage} */
      const page = await get(`/api/portal/folders/${name}`, { limit: 25, cursor });
      if (page.purge_after_days) {
        purgeLine.textContent = t("folder.trashPurge", { count: page.purge_after_days });
        purgeLine.hidden = false;
      }
      setUnread(page.unread);
      return page;
    },
  });

  append(main, h("div", { class: "page" },
    h("div", { class: "page__header" }, h("div", {}, heading, unreadLine, purgeLine)),
    status,
    h("div", { class: "card card--flush" }, list),
    h("div", { class: "list-footer" }, more.element)));
  await load();
}

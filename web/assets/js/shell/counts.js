// @ts-check
// Unread counts in the header and the portal's folder list: every 30 s while the tab is shown;
// a hidden tab asks nothing and refreshes when it is shown again.

import { get, reportAuthProblem, ApiError } from "../api.js";
import { t } from "../i18n.js";
import { state } from "./state.js";

/** @type {ReturnType<typeof setInterval> | null} */
let timer = null;

export async function refreshCounts() {
  if (!state.user || state.user.must_change_password) return;
  try {
    /** @type {{unread: number}} */
    const notifications = await get("/api/notifications/unread-count", null, { quiet: true });
    state.counts.notifications = notifications.unread;
    if (state.user.role === "customer") {
      /** @type {{unread: FolderUnread}} */
      const folders = await get("/api/portal/folders", null, { quiet: true });
      for (const name of ["inbox", "sent", "trash"]) state.counts[name] = folders.unread[name] || 0;
    }
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) reportAuthProblem(error);
    return;
  }
  for (const badge of document.querySelectorAll("[data-count]")) {
    if (!(badge instanceof HTMLElement)) continue;
    const name = badge.dataset.count || "";
    const value = state.counts[name] || 0;
    badge.textContent = value > 99 ? "99+" : String(value);
    badge.hidden = value === 0;
    const label = name === "notifications" ? t("notifications.unreadCount", { count: value })
      : t("folder.unreadCount", { count: value });
    badge.setAttribute("aria-label", label);
  }
}

function refreshVisibleCounts() {
  if (timer && !document.hidden) refreshCounts();
}

export function startCounts() {
  refreshCounts();
  if (timer) return;
  timer = setInterval(refreshVisibleCounts, 30000);
  document.addEventListener("visibilitychange", refreshVisibleCounts);
}

export function stopCounts() {
  if (timer) clearInterval(timer);
  timer = null;
  document.removeEventListener("visibilitychange", refreshVisibleCounts);
}

// @ts-check
// The console's list follows the queue. The page's socket (live.js) follows it: every `queue`
// frame (a ticket opened, its status or assignee changed, anything written on it: the ticket
// and what changed, never the words) reads the list again where it stands, keeping the open
// conversation highlighted, the focused line focused and the scroll where it was, and says
// politely what is new. Without a socket (none configured, not open yet, dropped) the list is
// read every 15 seconds instead; with one, every minute all the same (a push lost, a list index
// a moment behind the push). A hidden tab reads nothing: it catches up once shown.

import { h } from "../dom.js";
import { t } from "../i18n.js";
import { join } from "../live.js";
import { onCleanup } from "../shell/navigation.js";

const POLL_MS = 15000;
const SAFETY_POLL_MS = 60000;
// Frames that come together (a bulk action, an answer and its status) make one reading.
const SETTLE_MS = 300;

/**
 * Keep a list pane live until the page is left.
 * @param {{element: HTMLElement, list: HTMLElement, refresh: () => Promise<void>}} pane
 *   `refresh` reads the list again with the pane's filters, as many lines as it shows.
 */
export function watchQueue({ element, list, refresh }) {
  // Polite, and no role=status of its own: the page's status is the outcome of what the agent did.
  const announcer = h("div", { class: "sr-only queue-news", "aria-live": "polite" });
  element.append(announcer);
  /** @type {ReturnType<typeof setInterval> | undefined} */
  let poller;
  let polling = true; // no socket following the queue
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let settle;
  let stale = false; // something changed while the tab was hidden
  let subscribedBefore = false;
  let stopped = false;

  const lines = () => /** @type {HTMLElement[]} */ ([...list.querySelectorAll(".convo")]);
  // What a reader of the list would notice changed: the lines, their order and what each says
  // (its relative time aside, which changes by itself).
  const reading = () => lines().map((line) => {
    const time = line.querySelector("time");
    return `${line.dataset.ticketId}:${(line.textContent || "").replace(time ? time.textContent || "" : "", "")}`;
  }).join("|");

  const announce = (/** @type {string} */ text) => {
    announcer.textContent = "";
    // A separate task, so the same words twice are announced twice.
    setTimeout(() => { announcer.textContent = text; }, 50);
  };

  async function reload() {
    if (stopped) return;
    if (document.hidden) {
      stale = true;
      return;
    }
    stale = false;
    const active = document.activeElement;
    const focused = active instanceof HTMLElement && list.contains(active)
      ? /** @type {HTMLElement | null} */ (active.closest("[data-ticket-id]")) : null;
    const focusedId = focused ? focused.dataset.ticketId : null;
    const focusedKind = active instanceof HTMLElement ? active.tagName.toLowerCase() : "a"; // link, box
    const scrolled = list.scrollTop;
    const before = new Set(lines().map((line) => line.dataset.ticketId));
    const was = reading();
    await refresh();
    if (stopped) return;
    if (list.scrollTop !== scrolled) list.scrollTop = scrolled;
    if (focusedId && !list.contains(document.activeElement)) {
      const again = lines().find((line) => line.dataset.ticketId === focusedId);
      const same = again && /** @type {HTMLElement | null} */ (again.querySelector(focusedKind));
      if (same) same.focus({ preventScroll: true });
    }
    const arrived = lines().filter((line) => !before.has(line.dataset.ticketId)).length;
    if (arrived) announce(t("console.liveNew", { count: arrived }));
    else if (reading() !== was) announce(t("console.liveUpdated"));
  }

  const soon = () => {
    clearTimeout(settle);
    settle = setTimeout(reload, SETTLE_MS);
  };

  const poll = (/** @type {boolean} */ on) => {
    polling = on;
    clearInterval(poller);
    poller = setInterval(reload, on ? POLL_MS : SAFETY_POLL_MS);
    element.dataset.live = on ? "polling" : "socket"; // how the list keeps up (tests read it)
  };

  const onVisible = () => {
    if (!document.hidden && (stale || polling)) reload();
  };

  document.addEventListener("visibilitychange", onVisible);
  poll(true); // until the socket follows the queue
  const leave = join({
    opened: (send) => send({ action: "subscribe_queue" }),
    frame: (frame) => {
      if (frame.type === "queue") soon();
      else if (frame.type === "queue_subscribed") {
        poll(false);
        // Back after a drop: what changed meanwhile came to nobody.
        if (subscribedBefore) soon();
        subscribedBefore = true;
      }
    },
    closed: () => poll(true),
    leaving: (send) => send({ action: "unsubscribe_queue" }),
  });

  onCleanup(() => {
    stopped = true;
    clearTimeout(settle);
    clearInterval(poller);
    document.removeEventListener("visibilitychange", onVisible);
    leave();
  });
}

// @ts-check
// Who else has this conversation open, and who is typing an answer ("Kim Agent is viewing",
// "Kim Agent is typing…"). The page says it is here with a heartbeat (PUT .../presence) every few
// seconds while it is shown, at once when the agent starts or stops typing, and says goodbye
// when it leaves; each heartbeat answers the others (services/presence.py). The heartbeat is a
// background request: an open page never keeps its session alive by it.

import { h, icon } from "../dom.js";
import { put, api, csrfToken, ApiError } from "../api.js";
import { t } from "../i18n.js";

// No keystroke for this long: no longer typing. Longer than a heartbeat, so every other page
// beats at least once while "typing" lasts, however short the burst of keys.
const TYPING_IDLE_MS = 7000;

/**
 * `watchPresence({base, answerBox})`: `element` shows the others; `stop()` says goodbye.
 * @param {{base: string, answerBox: HTMLTextAreaElement | null}} options
 */
export function watchPresence({ base, answerBox }) {
  const path = `${base}/presence`;
  const element = h("p", { class: "presence", role: "status", "aria-live": "polite", hidden: true });
  let heartbeatMs = 5000; // until the server says
  let typing = false;
  let stopped = false;
  let busy = false;
  let again = false;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let idleTimer;

  /** @param {Viewer[]} viewers */
  const show = (viewers) => {
    element.hidden = viewers.length === 0;
    element.setAttribute("aria-label", t("presence.label"));
    element.replaceChildren(...viewers.map((viewer) => h("span",
      { class: ["presence__who", viewer.typing && "presence__who--typing"] },
      icon(viewer.typing ? "note" : "user"),
      h("span", { text: t(viewer.typing ? "presence.typing" : "presence.viewing", { name: viewer.name }) }))));
  };

  const beat = async () => {
    if (stopped) return;
    if (busy) {
      again = true; // what changed meanwhile goes in the next one, right after
      return;
    }
    busy = true;
    clearTimeout(timer);
    try {
      /** @type {PresenceList} */
      const answer = await put(path, { typing }, { quiet: true });
      if (stopped) return;
      heartbeatMs = Math.max(2, answer.heartbeat_seconds || 5) * 1000;
      show(answer.items);
    } catch (error) {
      // Signed out, or no such ticket any more: nothing to say. A hiccup: the next beat tries.
      if (error instanceof ApiError && [401, 403, 404].includes(error.status)) {
        stop(false);
        return;
      }
    } finally {
      busy = false;
    }
    if (again) {
      again = false;
      beat();
      return;
    }
    schedule();
  };

  // A hidden tab does not beat: its agent is not looking, and leaves the others' list by itself.
  const schedule = () => {
    clearTimeout(timer);
    if (!stopped && !document.hidden) timer = setTimeout(beat, heartbeatMs);
  };

  const setTyping = (/** @type {boolean} */ now) => {
    if (now === typing) return;
    typing = now;
    beat();
  };
  const onInput = () => {
    clearTimeout(idleTimer);
    if (!answerBox || !answerBox.value.trim()) {
      setTyping(false); // sent, or wiped
      return;
    }
    setTyping(true);
    idleTimer = setTimeout(() => setTyping(false), TYPING_IDLE_MS);
  };
  const onVisible = () => {
    if (document.hidden) clearTimeout(timer);
    else beat();
  };
  // Closing the tab or leaving the site: a request that outlives the page (api() cannot).
  const onPageHide = () => {
    const token = csrfToken();
    fetch(path, { method: "DELETE", keepalive: true, credentials: "same-origin",
      headers: token ? { Authorization: `CSRF ${token}` } : {} }).catch(() => {});
  };

  if (answerBox) answerBox.addEventListener("input", onInput);
  document.addEventListener("visibilitychange", onVisible);
  window.addEventListener("pagehide", onPageHide);
  if (!document.hidden) beat(); // opened in the background: from when it is first shown

  /** Stops beating; `goodbye`: tell the server at once (else the item fades by itself). */
  function stop(goodbye = true) {
    if (stopped) return;
    stopped = true;
    clearTimeout(timer);
    clearTimeout(idleTimer);
    if (answerBox) answerBox.removeEventListener("input", onInput);
    document.removeEventListener("visibilitychange", onVisible);
    window.removeEventListener("pagehide", onPageHide);
    if (goodbye) api("DELETE", path, { quiet: true }).catch(() => {});
  }

  return { element, stop };
}

/**
 * What a refused answer's page says (409 `conversation_changed`): who wrote since the agent
 * began, whom it is assigned to now, its status, that the answer is kept, and "Send anyway".
 * @param {ConversationChanged} changed @param {() => void} sendAnyway
 */
export function changedNotice(changed, sendAnyway) {
  const names = [...new Set(changed.authors.map((author) => author.name).filter(Boolean))].join(", ");
  const lines = [
    changed.new_messages && names ? t("collision.wrote", { names, count: changed.new_messages })
      : changed.new_messages || !changed.assignee_changed ? t("collision.activity") : null,
    changed.assignee_changed ? (changed.assignee ? t("collision.assigned", { name: changed.assignee.name })
      : t("collision.unassigned")) : null,
    t("collision.status", { status: t(`status.${changed.status}`) }),
    t("collision.kept"),
  ];
  const button = h("button", { type: "button", class: "btn btn--secondary btn--small", text: t("collision.sendAnyway") });
  button.addEventListener("click", () => {
    button.disabled = true;
    sendAnyway();
  });
  return h("div", { class: "notice notice--warning notice--collision", role: "alert" },
    h("div", {}, h("strong", { text: t("collision.title") }),
      ...lines.filter(Boolean).map((line) => h("p", { text: line }))),
    button);
}

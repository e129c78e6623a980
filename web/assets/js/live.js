// @ts-check
// New messages in an open ticket without a reload: the WebSocket API where one is configured
// (GET /api/notifications/live says where, with a one-minute ticket), polling
// `.../messages?after=<seq>` every few seconds otherwise, or whenever the socket drops.

import { get, ApiError } from "./api.js";

const POLL_MS = 3000;
const SAFETY_POLL_MS = 30000; // with a socket: a slow poll catches anything a push missed

/**
 * follow({ticketId, lastSeq, poll: after => Promise<{messages, last_seq, ticket?}>, onUpdate})
 * Returns a function that stops following.
 * @template {{seq: number}} M
 * @template T
 * @param {{ticketId: string, lastSeq: number, poll: (after: number) => Promise<MessagesPage<M, T>>,
 *   onUpdate: (update: MessagesPage<M, T>) => void}} given
 */
export function follow({ ticketId, lastSeq, poll, onUpdate }) {
  let seq = lastSeq || 0;
  let stopped = false;
  /** @type {ReturnType<typeof setInterval> | undefined} */
  let timer;
  /** @type {WebSocket | null} */
  let socket = null;
  let busy = false;

  const deliver = (/** @type {MessagesPage<M, T> | null} */ update) => {
    if (stopped || !update) return;
    const fresh = (update.messages || []).filter((m) => m.seq > seq);
    if (update.last_seq && update.last_seq > seq) seq = update.last_seq;
    for (const m of fresh) seq = Math.max(seq, m.seq);
    if (fresh.length || update.ticket) onUpdate({ ...update, messages: fresh });
  };

  // A hidden tab asks nothing (most of a deployed portal's requests would be background tabs'
  // polls); it catches up the moment it is shown again.
  const tick = async () => {
    if (stopped || busy || document.hidden) return;
    busy = true;
    try {
      deliver(await poll(seq));
    } catch (error) {
      if (error instanceof ApiError && (error.status === 401 || error.status === 404)) {
        stop();
        return;
      }
      // a network hiccup: try again at the next tick
    } finally {
      busy = false;
    }
  };

  const schedule = (/** @type {number} */ ms) => {
    clearInterval(timer);
    timer = setInterval(tick, ms);
  };

  const openSocket = async () => {
    /** @type {{enabled: boolean, url?: string, ticket?: string} | null} */
    let access;
    try {
      access = await get("/api/notifications/live", null, { quiet: true });
    } catch {
      access = null;
    }
    if (stopped || !access || !access.enabled || !access.url || typeof WebSocket === "undefined") return;
    let opened;
    try {
      opened = new WebSocket(`${access.url}?ticket=${encodeURIComponent(access.ticket || "")}`);
    } catch {
      socket = null;
      return;
    }
    socket = opened;
    opened.addEventListener("open", () => {
      opened.send(JSON.stringify({ action: "subscribe", ticket_id: ticketId }));
      schedule(SAFETY_POLL_MS);
    });
    opened.addEventListener("message", (event) => {
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch {
        return;
      }
      if (frame.type === "messages" && frame.ticket_id === ticketId) deliver(frame);
      else if (frame.type === "subscribed" && frame.last_seq > seq) tick();
    });
    opened.addEventListener("close", () => {
      socket = null;
      if (!stopped) schedule(POLL_MS); // back to polling
    });
  };

  const onVisible = () => {
    if (!document.hidden) tick();
  };

  function stop() {
    stopped = true;
    clearInterval(timer);
    document.removeEventListener("visibilitychange", onVisible);
    if (socket) socket.close();
  }

  document.addEventListener("visibilitychange", onVisible);
  schedule(POLL_MS);
  openSocket();
  return stop;
}

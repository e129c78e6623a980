// @ts-check
// Live updates without a reload. A page opens one WebSocket to the API's WebSocket endpoint
// (GET /api/notifications/live says where, with a one-minute ticket; `parley dev` serves one
// too) and shares it between whatever it follows: an open ticket's new messages (`follow`), the
// console's queue (console/queue.js, through `join`). Whoever follows something polls while
// there is no socket: none configured, not open yet, or dropped (it is opened again, later the
// more often it fails, and not while the tab is hidden).

import { get, ApiError } from "./api.js";

const POLL_MS = 3000;
const SAFETY_POLL_MS = 30000; // with a socket: a slow poll catches anything a push missed
const RETRY_MS = [2000, 5000, 15000, 30000, 60000];
// Pushes that come together (a mail with its files, a burst of messages) are taken in at once:
// what the page does with an update (read the ticket again, the documents) is done once.
const BURST_MS = 150;
// A page replacing another (the next conversation) keeps the socket the last one opened.
const LINGER_MS = 2000;

/**
 * What follows something over the page's socket: `opened(send)` each time the socket opens
 * (subscribe there), `frame(frame)` for every frame, `closed()` when it drops (poll then),
 * `leaving(send)` when the member leaves while the socket stays (unsubscribe there).
 * @typedef {{opened: (send: (frame: object) => void) => void, frame: (frame: any) => void,
 *   closed: () => void, leaving?: (send: (frame: object) => void) => void}} Member
 */

/** @type {Set<Member>} */
const members = new Set();
/** @type {WebSocket | null} */
let socket = null;
/** "idle": none, may open one; "opening"; "open"; "off": the API has none, or we signed out. */
let state = "idle";
let failures = 0;
/** @type {ReturnType<typeof setTimeout> | undefined} */
let retryTimer;
/** @type {ReturnType<typeof setTimeout> | undefined} */
let lingerTimer;

const send = (/** @type {object} */ frame) => {
  if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(frame));
};

/**
 * Follow something over the page's socket; returns `leave`.
 * @param {Member} member
 */
export function join(member) {
  clearTimeout(lingerTimer);
  members.add(member);
  if (state === "open") member.opened(send);
  else if (state === "idle" && retryTimer === undefined) open();
  return () => {
    if (!members.delete(member)) return;
    if (state === "open" && member.leaving) member.leaving(send);
    if (!members.size) {
      clearTimeout(lingerTimer);
      lingerTimer = setTimeout(closeSocket, LINGER_MS);
    }
  };
}

async function open() {
  state = "opening";
  /** @type {{enabled: boolean, url?: string | null, ticket?: string | null} | null} */
  let access = null;
  try {
    access = await get("/api/notifications/live", null, { quiet: true });
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      state = "off"; // signed out: the pages' polls say so
      return;
    }
  }
  if (!members.size) {
    state = "idle";
    return;
  }
  if (access && (!access.enabled || !access.url || typeof WebSocket === "undefined")) {
    state = "off"; // no WebSocket API here: polling it is
    return;
  }
  if (!access) {
    retry(); // a network hiccup
    return;
  }
  let opened;
  try {
    opened = new WebSocket(`${access.url}?ticket=${encodeURIComponent(access.ticket || "")}`);
  } catch {
    retry();
    return;
  }
  socket = opened;
  opened.addEventListener("open", () => {
    if (socket !== opened) return;
    state = "open";
    failures = 0;
    for (const member of [...members]) member.opened(send);
  });
  opened.addEventListener("message", (event) => {
    let frame;
    try {
      frame = JSON.parse(event.data);
    } catch {
      return;
    }
    if (frame && frame.type === "error" && frame.error && frame.error.code === "session_expired") {
      opened.close(); // the server forgot this connection: nothing more will come
      return;
    }
    for (const member of [...members]) member.frame(frame);
  });
  opened.addEventListener("close", () => {
    if (socket !== opened) return;
    socket = null;
    state = "idle";
    for (const member of [...members]) member.closed();
    if (members.size) retry();
  });
}

function retry() {
  state = "idle";
  clearTimeout(retryTimer);
  const delay = RETRY_MS[Math.min(failures, RETRY_MS.length - 1)];
  failures += 1;
  retryTimer = setTimeout(() => {
    retryTimer = undefined;
    if (!members.size || state !== "idle") return;
    if (document.hidden) {
      document.addEventListener("visibilitychange", reopenWhenShown);
      return;
    }
    open();
  }, delay);
}

function reopenWhenShown() {
  if (document.hidden) return;
  document.removeEventListener("visibilitychange", reopenWhenShown);
  if (members.size && state === "idle" && retryTimer === undefined) open();
}

function closeSocket() {
  if (members.size) return;
  clearTimeout(retryTimer);
  retryTimer = undefined;
  document.removeEventListener("visibilitychange", reopenWhenShown);
  const closing = socket;
  socket = null;
  if (state !== "off") state = "idle";
  if (closing) closing.close(1000);
}

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
  let busy = false;
  /** @type {MessagesPage<M, T>[]} */
  let held = [];
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let holding;

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

  const onVisible = () => {
    if (!document.hidden) tick();
  };

  const take = (/** @type {MessagesPage<M, T>} */ frame) => {
    held.push(frame);
    if (holding !== undefined) return;
    holding = setTimeout(() => {
      holding = undefined;
      const frames = held;
      held = [];
      const withTicket = frames.filter((f) => f.ticket);
      const messages = frames.flatMap((f) => f.messages || []).sort((a, b) => a.seq - b.seq);
      if (messages.length && messages[0].seq > seq + 1) {
        tick(); // a push went missing: read from where the page is, the gap included
        return;
      }
      deliver({
        messages,
        last_seq: Math.max(0, ...frames.map((f) => f.last_seq || 0)),
        ticket: withTicket.length ? withTicket[withTicket.length - 1].ticket : undefined,
      });
    }, BURST_MS);
  };

  document.addEventListener("visibilitychange", onVisible);
  schedule(POLL_MS); // until the socket is open (join says so at once when it already is)
  const leave = join({
    opened: (sendFrame) => {
      sendFrame({ action: "subscribe", ticket_id: ticketId });
      schedule(SAFETY_POLL_MS);
    },
    frame: (frame) => {
      // A hidden tab takes nothing in: what it shows next would ask for more (the documents,
      // the header) and be marked read unseen. Shown again, it polls once and catches up.
      if (frame.ticket_id !== ticketId || document.hidden) return;
      if (frame.type === "messages") take(frame);
      else if (frame.type === "subscribed" && frame.last_seq > seq) tick();
    },
    closed: () => {
      if (!stopped) schedule(POLL_MS); // back to polling
    },
    leaving: (sendFrame) => sendFrame({ action: "unsubscribe" }),
  });

  function stop() {
    stopped = true;
    clearInterval(timer);
    clearTimeout(holding);
    document.removeEventListener("visibilitychange", onVisible);
    leave();
  }

  return stop;
}

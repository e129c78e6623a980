// @ts-check
// The session clock. Only what a person does keeps the session open (the server ignores the
// page's background polls), so a tab left alone is signed out after the idle timeout; a minute
// before, a dialog offers to stay signed in. Every signed-in answer says how long is left
// (X-Session-Ends-In), so another tab's activity moves this tab's clock too.

import { h } from "./dom.js";
import { get, post, ApiError } from "./api.js";
import { t } from "./i18n.js";

const WARN_MS = 60 * 1000;
let endsAt = 0; // performance.now() at which the session ends without activity
/** @type {ReturnType<typeof setTimeout> | undefined} */
let timer;
/** @type {{dialog: HTMLDialogElement, text: HTMLElement, returnFocus: Element | null} | null} */
let warning = null; // while the dialog is shown
/** @typedef {{ended: (error: ApiError) => void, signOut: () => void}} Hooks */
/** @type {Hooks} */
let hooks = { ended: () => {}, signOut: () => {} };

/** `secondsLeft` from the server; hooks.ended(error) when it has ended, hooks.signOut().
 * @param {number} secondsLeft @param {Hooks} given */
export function sessionClock(secondsLeft, given) {
  if (!Number.isFinite(secondsLeft)) return;
  hooks = given;
  endsAt = performance.now() + secondsLeft * 1000;
  recheck();
}

export function recheck() {
  clearTimeout(timer);
  if (!endsAt) return;
  const left = endsAt - performance.now();
  if (left > WARN_MS) {
    closeWarning();
    timer = setTimeout(recheck, left - WARN_MS);
  } else if (left > 0) {
    showWarning(left);
    timer = setTimeout(recheck, Math.min(left, 1000));
  } else {
    // A second's grace, so the server agrees the time is up; its answer says why.
    timer = setTimeout(checkEnded, 1000);
  }
}

export function stopSessionClock() {
  clearTimeout(timer);
  timer = undefined;
  endsAt = 0;
  closeWarning();
}

async function checkEnded() {
  try {
    // Not activity: if another tab kept the session open, the answer's header moves the clock.
    await get("/api/auth/session", null, { quiet: true });
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) hooks.ended(error);
    else if (endsAt) timer = setTimeout(checkEnded, 5000);
  }
}

async function staySignedIn() {
  try {
    await post("/api/auth/session/refresh", {}, { quiet: true }); // its header closes the dialog
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) hooks.ended(error);
  }
}

function showWarning(/** @type {number} */ left) {
  if (!warning) {
    const title = h("h2", { class: "card__title", id: "session-warning-title", text: t("session.warningTitle") });
    const text = h("p", { id: "session-warning-text" });
    const stay = h("button", { type: "button", class: "btn btn--primary", text: t("session.stay") });
    const leave = h("button", { type: "button", class: "btn btn--ghost", text: t("session.signOut") });
    stay.addEventListener("click", staySignedIn);
    leave.addEventListener("click", () => hooks.signOut());
    const dialog = h("dialog", { class: "card session-warning", role: "alertdialog",
      "aria-labelledby": "session-warning-title", "aria-describedby": "session-warning-text" },
      title, text, h("div", { class: "form__actions" }, leave, stay));
    // Escape is a person answering: they are here, so it keeps them signed in.
    dialog.addEventListener("cancel", (event) => {
      event.preventDefault();
      staySignedIn();
    });
    warning = { dialog, text, returnFocus: document.activeElement };
    document.body.append(dialog);
    dialog.showModal();
    stay.focus();
  }
  // Read once when the dialog opens (aria-describedby), not announced every second.
  warning.text.textContent = t("session.warningText", { seconds: Math.ceil(left / 1000) });
}

function closeWarning() {
  if (!warning) return;
  const { dialog, returnFocus } = warning;
  warning = null;
  dialog.close();
  dialog.remove();
  if (returnFocus instanceof HTMLElement && returnFocus.isConnected) returnFocus.focus();
}

// @ts-check
// Unsent text kept in this tab: a reply, an answer or a new message survives the session ending
// (and signing in again) or a reload. Kept in sessionStorage, per user and per form, so it never
// outlives the tab nor shows to another account signed in on the same browser; cleared once sent.

import { state } from "./shell/state.js";

const PREFIX = "parley.draft.";

function storageKey(/** @type {string} */ name) {
  return state.user ? `${PREFIX}${state.user.id}:${name}` : null;
}

/** Restores `control`'s text saved under `name`, saves it as it is typed (an empty control
 * forgets it). Returns {clear()} for after sending.
 * @param {HTMLInputElement | HTMLTextAreaElement} control @param {string} name */
export function keepDraft(control, name) {
  const key = storageKey(name);
  const save = () => {
    if (!key) return;
    try {
      if (control.value) sessionStorage.setItem(key, control.value);
      else sessionStorage.removeItem(key);
    } catch {
      // storage full or unavailable: the text stays in the form, only not kept
    }
  };
  try {
    const saved = key ? sessionStorage.getItem(key) : null;
    if (saved && !control.value) {
      control.value = saved;
      control.dispatchEvent(new Event("input"));
    }
  } catch {
    // nothing kept
  }
  control.addEventListener("input", save);
  return {
    clear() {
      if (!key) return;
      try {
        sessionStorage.removeItem(key);
      } catch {
        // nothing to clear
      }
    },
  };
}

/** Signed out on purpose or disabled: the next person at this browser must not find drafts. */
export function forgetDrafts() {
  try {
    for (const key of Object.keys(sessionStorage)) {
      if (key.startsWith(PREFIX)) sessionStorage.removeItem(key);
    }
  } catch {
    // storage unavailable: nothing was kept
  }
}

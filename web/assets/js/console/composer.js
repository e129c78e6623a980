// @ts-check
// The console's composer, under the thread: the answer (kept as a draft until sent), files, and
// its four actions: Send (and resolve), Send and leave open, Resolve silently, Internal note.
// One of them is the chosen action, which Ctrl/⌘+Enter sends with: Send, unless the agent picks
// another or a canned response brings its own. Canned responses (canned.js) come from the picker
// or from a shortcut typed as `;refund` then Tab, filled in for this ticket by the server.

import { h, icon, notice, uid } from "../dom.js";
import { post } from "../api.js";
import { t, errorText } from "../i18n.js";
import { keepDraft } from "../drafts.js";
import { pendingFiles } from "../documents.js";
import { counter } from "../ui.js";
import { cannedPicker, cannedSource, typedShortcut } from "./canned.js";
import { keyCombo, sendKeys } from "./keys.js";

/** [action, button style, icon] */
/** @type {[string, string, string][]} */
const ACTIONS = [
  ["send", "btn--primary", "send"],
  ["send_leave_open", "btn--secondary", "send"],
  ["resolve_silently", "btn--secondary", "check"],
  ["note", "btn--note", "lock"],
];
const DEFAULT_ACTION = "send";

/**
 * `onSent(message, withFiles)` once the server took an answer (the buttons wait for it);
 * `limits`: what the drop zone says and checks first. `expectations()`: what the page showed,
 * sent with each answer; `onConflict(error, sendAnyway)`: the notice of a refusal because the
 * conversation moved on since (null for any other error; conversation.js, presence.js).
 * @param {{base: string, ticketId: string, maxLength: number,
 *   onSent: (message: ConsoleMessage, withFiles: boolean) => Promise<void>,
 *   limits?: AttachmentLimits, expectations?: () => Record<string, unknown>,
 *   onConflict?: (error: unknown, sendAnyway: () => void) => Node | null}} options
 */
export function composer({ base, ticketId, maxLength, onSent, limits, expectations, onConflict }) {
  const body = h("textarea", { class: "textarea composer__text", rows: 5, maxlength: maxLength, id: uid("answer") });
  keepDraft(body, `answer:${ticketId}`); // emptied once sent, which forgets it
  const files = pendingFiles(limits);
  const status = h("div", { class: "form-status", "aria-live": "polite" });
  const buttons = ACTIONS.map(([action, style, iconName]) => {
    const button = h("button", { type: "button", class: `btn ${style}`, dataset: { action },
      title: t(`console.action.${action}.hint`) }, icon(iconName), h("span", { text: t(`console.action.${action}`) }));
    button.addEventListener("click", () => answer(action));
    return button;
  });

  const attach = h("details", { class: "reply__attach" },
    h("summary", {}, icon("paperclip"), t("documents.attachFiles")), files.element);

  // The chosen action: the select says it, its button is ringed, Ctrl/⌘+Enter sends with it.
  // Back to Send once an answer went, so a note chosen for one answer never sends the next.
  const chooser = h("select", { class: "select select--small", id: uid("chosen-action") },
    ACTIONS.map(([action]) => h("option", { value: action, text: t(`console.action.${action}`) })));
  let chosen = DEFAULT_ACTION;
  const choose = (/** @type {string} */ action) => {
    chosen = action;
    chooser.value = action;
    for (const button of buttons) button.classList.toggle("is-chosen", button.dataset.action === action);
  };
  chooser.addEventListener("change", () => choose(chooser.value));
  choose(DEFAULT_ACTION);

  // Canned responses, read (filled for this ticket) when the agent first goes to the answer, so
  // a shortcut typed then finds its response at once.
  const source = cannedSource(ticketId);
  /** @type {[number, number] | null} the part of the answer a picked response replaces */
  let replacing = null;
  let caretKnown = false; // before the agent was in the answer, a response goes at its end
  body.addEventListener("focus", () => {
    caretKnown = true;
    source.load().catch(() => {});
  }, { once: true });
  const picker = cannedPicker({ source, onPick: (response) => insert(response, replacing) });
  const openPicker = h("button", { type: "button", class: "btn btn--ghost btn--small composer__canned",
    "aria-haspopup": "dialog" }, icon("note"), h("span", { text: t("canned.open") }));
  openPicker.addEventListener("click", () => {
    replacing = caretKnown ? [body.selectionStart, body.selectionEnd] : null;
    picker.open();
  });

  /** The response's text (filled for this ticket) in place of `range`, else at the end; its
   * action, if it has one, becomes the chosen one. */
  function insert(/** @type {CannedResponse} */ response, /** @type {[number, number] | null} */ range) {
    const [start, end] = range || [body.value.length, body.value.length];
    body.focus();
    body.setRangeText(response.filled ?? response.body, start, end, "end");
    body.dispatchEvent(new Event("input")); // the draft, the counter and the typing signal follow
    if (response.action) {
      choose(response.action);
      status.replaceChildren(notice("info", t("canned.insertedWithAction",
        { title: response.title, action: t(`console.action.${response.action}`) })));
    } else {
      status.replaceChildren(notice("info", t("canned.inserted", { title: response.title })));
    }
  }

  /** `;word` then Tab: the response with that shortcut, or the picker searching for the word. */
  async function expandShortcut(/** @type {{start: number, word: string}} */ typed) {
    const range = /** @type {[number, number]} */ ([typed.start, body.selectionStart]);
    let found = null;
    try {
      found = typed.word ? await source.byShortcut(typed.word) : null;
    } catch (error) {
      status.replaceChildren(notice("error", errorText(error)));
      return;
    }
    // The agent typed on while the list was read: the shortcut is no longer what they meant.
    if (body.value.slice(range[0], range[1]) !== `;${typed.word}`) return;
    if (found) {
      insert(found, range);
    } else {
      replacing = range;
      picker.open(typed.word);
    }
  }

  // Ctrl/⌘+Enter while the previous answer is still going out (the buttons wait while the page
  // reads the thread again): sent once that is done, if it went out and there is new text, so
  // a key pressed twice never sends twice and a refusal is never sent past.
  let queued = false;
  new MutationObserver(() => {
    if (!queued || buttons[0].disabled) return;
    queued = false;
    if (body.value.trim() && !status.querySelector(".notice--error, .notice--warning")) answer(chosen);
  }).observe(buttons[0], { attributes: true, attributeFilter: ["disabled"] });

  body.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && !event.altKey && !event.shiftKey) {
      event.preventDefault();
      if (buttons.some((button) => button.disabled)) queued = true;
      else answer(chosen);
    } else if (event.key === "Tab" && !event.shiftKey && !event.ctrlKey && !event.metaKey && !event.altKey) {
      const typed = typedShortcut(body);
      if (!typed) return; // Tab leaves the answer, as everywhere
      event.preventDefault();
      expandShortcut(typed);
    }
  });

  async function answer(/** @type {string} */ action) {
    if (!body.value.trim()) {
      status.replaceChildren(notice("error", t("error.empty_message")));
      body.focus();
      return;
    }
    for (const button of buttons) button.disabled = true;
    status.replaceChildren();
    try {
      // Files go with the answer: internal until sent with a public one. Those an earlier try
      // uploaded keep their ids, so trying again does not upload them twice.
      const ids = await files.upload(base);
      if (!ids) {
        attach.open = true;
        status.replaceChildren(notice("error", t("documents.notSent", { count: files.refusals().length })));
        return;
      }
      /** @type {{action: string, body: string, attachment_ids?: string[]}} */
      const payload = { action, body: body.value, ...(expectations ? expectations() : {}) };
      if (ids.length) payload.attachment_ids = ids;
      /** @type {{message: ConsoleMessage}} */
      const sent = await post(`${base}/messages`, payload);
      if (ids.length) files.clear();
      body.value = "";
      body.dispatchEvent(new Event("input"));
      choose(DEFAULT_ACTION);
      status.replaceChildren(notice("success", t(`console.done.${action}`)));
      await onSent(sent.message, ids.length > 0);
    } catch (error) {
      // Someone else answered or reassigned meanwhile: the text and files stay, and the page
      // says what changed and offers Send anyway.
      const conflict = onConflict ? onConflict(error, () => answer(action)) : null;
      status.replaceChildren(conflict || notice("error", errorText(error)));
    } finally {
      for (const button of buttons) button.disabled = false;
    }
  }

  const tip = h("p", { class: "composer__tip muted", id: uid("answer-tip"), text: t("canned.typeShortcut") });
  body.setAttribute("aria-describedby", tip.id);
  return h("section", { class: "composer card", "aria-labelledby": "composer-title" },
    h("div", { class: "composer__head" },
      h("h2", { class: "card__title", id: "composer-title", text: t("console.answer") }), openPicker),
    h("label", { for: body.id, class: "sr-only", text: t("console.answerLabel") }), body,
    h("div", { class: "composer__under" }, tip, counter(body, maxLength)),
    attach,
    status,
    h("div", { class: "composer__actions", role: "group", "aria-label": t("console.answerActions") }, buttons),
    h("div", { class: "composer__chosen" },
      h("label", { for: chooser.id, class: "composer__chosen-label", text: t("console.chosenAction") }), chooser,
      h("span", { class: "composer__chosen-hint muted" }, keyCombo(sendKeys()), " ", t("console.sendsWithChosen"))),
    picker.element);
}

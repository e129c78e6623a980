// @ts-check
// The console's composer, under the thread: the answer (kept as a draft until sent), files, and
// its four actions: Send (and resolve), Send and leave open, Resolve silently, Internal note.

import { h, icon, notice, uid } from "../dom.js";
import { post } from "../api.js";
import { t, errorText } from "../i18n.js";
import { keepDraft } from "../drafts.js";
import { pendingFiles } from "../documents.js";
import { counter } from "../ui.js";

/** [action, button style, icon] */
/** @type {[string, string, string][]} */
const ACTIONS = [
  ["send", "btn--primary", "send"],
  ["send_leave_open", "btn--secondary", "send"],
  ["resolve_silently", "btn--secondary", "check"],
  ["note", "btn--note", "lock"],
];

/**
 * `onSent(message, withFiles)` once the server took an answer (the buttons wait for it);
 * `limits`: what the drop zone says and checks first.
 * @param {{base: string, ticketId: string, maxLength: number,
 *   onSent: (message: ConsoleMessage, withFiles: boolean) => Promise<void>,
 *   limits?: AttachmentLimits}} options
 */
export function composer({ base, ticketId, maxLength, onSent, limits }) {
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
      const payload = { action, body: body.value };
      if (ids.length) payload.attachment_ids = ids;
      /** @type {{message: ConsoleMessage}} */
      const sent = await post(`${base}/messages`, payload);
      if (ids.length) files.clear();
      body.value = "";
      body.dispatchEvent(new Event("input"));
      status.replaceChildren(notice("success", t(`console.done.${action}`)));
      await onSent(sent.message, ids.length > 0);
    } catch (error) {
      status.replaceChildren(notice("error", errorText(error)));
    } finally {
      for (const button of buttons) button.disabled = false;
    }
  }

  return h("section", { class: "composer card", "aria-labelledby": "composer-title" },
    h("h2", { class: "card__title", id: "composer-title", text: t("console.answer") }),
    h("label", { for: body.id, class: "sr-only", text: t("console.answerLabel") }), body,
    counter(body, maxLength),
    attach,
    status,
    h("div", { class: "composer__actions", role: "group", "aria-label": t("console.answerActions") }, buttons));
}

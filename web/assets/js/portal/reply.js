// @ts-check
// The portal's reply box, on top of the thread: the text (kept as a draft until sent), files
// to attach, and Send (or "Send and reopen" on a resolved ticket).

import { h, icon, field, notice } from "../dom.js";
import { post, ApiError } from "../api.js";
import { t, errorText } from "../i18n.js";
import { keepDraft } from "../drafts.js";
import { pendingFiles, uploadFile } from "../documents.js";
import { counter } from "../ui.js";

/**
 * @param {{base: string, ticketId: string, maxLength: number, reopens: boolean,
 *   onSent: (message: PortalMessage, withFiles: boolean) => void,
 *   onRefused: (error: ApiError) => void}} options
 *   `reopens`: the ticket is resolved or closed, and a reply opens it again.
 */
export function replyForm({ base, ticketId, maxLength, reopens, onSent, onRefused }) {
  const body = h("textarea", { class: "textarea", rows: 4, maxlength: maxLength, name: "reply", required: true });
  keepDraft(body, `reply:${ticketId}`); // emptied once sent, which forgets it
  const files = pendingFiles();
  const status = h("div", { class: "form-status", "aria-live": "polite" });
  const send = h("button", { class: "btn btn--primary", type: "submit" }, icon("send"),
    h("span", { text: reopens ? t("ticket.replyReopen") : t("ticket.send") }));
  const form = h("form", { class: "reply" },
    field(t("ticket.yourReply"), body),
    counter(body, maxLength),
    h("details", { class: "reply__attach" },
      h("summary", {}, icon("paperclip"), t("documents.attachFiles")), files.element),
    status,
    h("div", { class: "form__actions" }, send));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!body.value.trim()) {
      status.replaceChildren(notice("error", t("error.empty_message")));
      return;
    }
    send.disabled = true;
    status.replaceChildren();
    try {
      const ids = [];
      for (const file of files.files) ids.push(await uploadFile(base, file));
      /** @type {{body: string, attachment_ids?: string[]}} */
      const payload = { body: body.value };
      if (ids.length) payload.attachment_ids = ids;
      /** @type {{message: PortalMessage}} */
      const sent = await post(`${base}/messages`, payload);
      body.value = "";
      body.dispatchEvent(new Event("input"));
      files.clear();
      status.replaceChildren(notice("success", t("ticket.sent")));
      onSent(sent.message, ids.length > 0);
    } catch (error) {
      status.replaceChildren(notice("error", errorText(error)));
      if (error instanceof ApiError) onRefused(error);
    } finally {
      send.disabled = false;
    }
  });
  return form;
}

// @ts-check
// The portal's reply box, on top of the thread: the text (kept as a draft until sent), files
// to attach, and Send (or "Send and reopen" on a resolved ticket).

import { h, icon, field, notice } from "../dom.js";
import { post, ApiError } from "../api.js";
import { t, errorText } from "../i18n.js";
import { keepDraft } from "../drafts.js";
import { pendingFiles } from "../documents.js";
import { counter } from "../ui.js";

/** The files of each ticket's unsent reply, with the ids of those already uploaded: the box is
 * built again when the ticket changes (status, blocked), and its files must outlive it as its
 * text does, or a reply sent then would upload them a second time.
 * @type {Map<string, ReturnType<typeof pendingFiles>>} */
const unsentFiles = new Map();

/**
 * @param {{base: string, ticketId: string, maxLength: number, reopens: boolean,
 *   onSent: (message: PortalMessage, withFiles: boolean) => void,
 *   onRefused: (error: ApiError) => void, limits?: AttachmentLimits}} options
 *   `reopens`: the ticket is resolved or closed, and a reply opens it again; `limits`: what the
 *   drop zone says and checks first.
 */
export function replyForm({ base, ticketId, maxLength, reopens, onSent, onRefused, limits }) {
  const body = h("textarea", { class: "textarea", rows: 4, maxlength: maxLength, name: "reply", required: true });
  keepDraft(body, `reply:${ticketId}`); // emptied once sent, which forgets it
  const files = unsentFiles.get(ticketId) || pendingFiles(limits);
  unsentFiles.set(ticketId, files);
  const status = h("div", { class: "form-status", "aria-live": "polite" });
  const send = h("button", { class: "btn btn--primary", type: "submit" }, icon("send"),
    h("span", { text: reopens ? t("ticket.replyReopen") : t("ticket.send") }));
  // Open when it holds files (the box built again), so what they are is in view.
  const attach = h("details", { class: "reply__attach", open: files.count() > 0 },
    h("summary", {}, icon("paperclip"), t("documents.attachFiles")), files.element);
  const form = h("form", { class: "reply" },
    field(t("ticket.yourReply"), body),
    counter(body, maxLength),
    attach,
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
      // Files uploaded by an earlier try keep their ids: sent again, they are not uploaded again.
      const ids = await files.upload(base);
      if (!ids) {
        attach.open = true;
        status.replaceChildren(notice("error", t("documents.notSent", { count: files.refusals().length })));
        return;
      }
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

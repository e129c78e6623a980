// @ts-check
// A new ticket: the troubleshooters on offer first, as cards, then the free-text form with its
// files (uploaded once the ticket exists; those refused are named, with why, on its page).

import { h, append, icon, field, notice, uid } from "../dom.js";
import { post } from "../api.js";
import { t, errorText } from "../i18n.js";
import { setTitle } from "../shell/state.js";
import { navigate } from "../shell/navigation.js";
import { refreshCounts } from "../shell/counts.js";
import { keepDraft } from "../drafts.js";
import { pendingFiles, keepRefusals } from "../documents.js";
import { counter } from "../ui.js";
import { portalConfig } from "./config.js";

/** @type {PageFn} */
export async function compose({ main }) {
  setTitle(t("compose.title"));
  const config = await portalConfig();
  const topic = h("select", { class: "select", name: "topic", required: true },
    h("option", { value: "", text: t("compose.chooseTopic") }),
    config.topics.map((item) => h("option", { value: item.id, text: item.name })));
  const subject = h("input", { class: "input", name: "subject", maxlength: 200, required: true,
    autocomplete: "off" });
  const body = h("textarea", { class: "textarea", name: "body", rows: 8, required: true,
    maxlength: config.max_message_length });
  const drafts = [keepDraft(subject, "compose:subject"), keepDraft(body, "compose:body")];
  const files = pendingFiles(config.attachments);
  const status = h("div", { class: "form-status", "aria-live": "polite" });
  const submit = h("button", { class: "btn btn--primary", type: "submit" }, icon("send"),
    h("span", { text: t("compose.send") }));
  const form = h("form", { class: "form form--wide" },
    field(t("compose.topic"), topic),
    field(t("compose.subject"), subject),
    field(t("compose.message"), body, { hint: t("compose.hint") }),
    counter(body, config.max_message_length),
    h("div", { class: "field" }, h("span", { class: "field__label", text: t("documents.attachments") }),
      files.element),
    status,
    h("div", { class: "form__actions" },
      h("a", { class: "btn btn--ghost", href: "/tickets", text: t("common.cancel") }), submit));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    // A file refused before any upload (too large, one too many) is said before the ticket exists.
    const refused = files.refusedNow();
    if (refused) {
      status.replaceChildren(notice("error", t("documents.notSent", { count: refused })));
      return;
    }
    submit.disabled = true;
    status.replaceChildren();
    try {
      /** @type {{ticket: PortalTicket}} */
      const created = await post("/api/portal/tickets", {
        topic: topic.value, subject: subject.value.trim(), body: body.value,
      });
      const id = created.ticket.id;
      for (const draft of drafts) draft.clear();
      // The ticket exists: its page (not this form, which would open another) names what failed.
      const uploaded = await files.upload(`/api/portal/tickets/${encodeURIComponent(id)}`);
      if (!uploaded) keepRefusals(id, files.refusals());
      refreshCounts();
      navigate(`/tickets/${encodeURIComponent(id)}${uploaded ? "" : "?upload=failed"}`);
    } catch (error) {
      status.replaceChildren(notice("error", errorText(error)));
      submit.disabled = false;
    }
  });
  append(main, h("div", { class: "page page--narrow" },
    h("a", { class: "back-link", href: "/tickets" }, icon("back"), t("tickets.back")),
    h("div", { class: "page__header" },
      h("div", {}, h("h1", { class: "page__title", text: t("compose.title") }),
        h("p", { class: "page__lead muted", text: t("compose.lead") }))),
    troubleshooterLinks(config.troubleshooters || []),
    h("div", { class: "card" }, form)));
}

/** The troubleshooters, above the free-text form so a customer sees them before typing: a
 *  compact card each, its name the link (the whole card is its target) and "Start" drawn beside. */
function troubleshooterLinks(/** @type {Troubleshooter[]} */ forms) {
  if (!forms.length) return null;
  const id = uid("ts");
  return h("section", { class: "troubleshooter-links", "aria-labelledby": id },
    h("h2", { class: "section-title", id, text: t("compose.troubleshooters") }),
    h("ul", { class: "ts-cards" }, forms.map((form) => h("li", { class: "ts-card" },
      h("div", { class: "ts-card__text" },
        h("a", { class: "ts-card__link", href: `/troubleshooters/${encodeURIComponent(form.id)}`, text: form.name }),
        form.intro ? h("p", { class: "ts-card__intro muted", text: form.intro }) : null),
      h("span", { class: "ts-card__start", "aria-hidden": "true" },
        h("span", { text: t("troubleshooter.start") }), icon("back"))))));
}

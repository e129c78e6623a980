// @ts-check
// A troubleshooter: its questions as radio groups or text boxes, an optional note, and "Send to
// support", which opens the ticket with the answers; a refusal goes beside its question.

import { h, append, icon, field, notice, uid } from "../dom.js";
import { post, ApiError } from "../api.js";
import { t, errorText } from "../i18n.js";
import { setTitle } from "../shell/state.js";
import { navigate } from "../shell/navigation.js";
import { refreshCounts } from "../shell/counts.js";
import { emptyState } from "../ui.js";
import { portalConfig } from "./config.js";

/** One question of a troubleshooter: a radio group for a choice, a text box for free text.
 *  `read()` gives the answer; `setError` shows a refusal beside the question.
 * @param {TroubleshooterQuestion} question @param {number} index */
function troubleshooterQuestion(question, index) {
  if (!question.options.length) {
    const area = h("textarea", { class: "textarea", rows: 3, maxlength: 2000, required: true,
      name: `q${index}` });
    const wrapper = field(question.text, area);
    return { element: wrapper, read: () => area.value.trim(), focus: () => area.focus(),
      setError: wrapper.setError };
  }
  const errorEl = h("p", { class: "field__error", id: uid("qe"), hidden: true });
  const radios = question.options.map((option) => h("input", { type: "radio", class: "radio",
    name: `q${index}`, value: option, id: uid("opt"), required: true, "aria-describedby": errorEl.id }));
  const group = h("fieldset", { class: "field fieldset troubleshooter-question", "aria-describedby": errorEl.id },
    h("legend", { class: "field__label", text: question.text }),
    h("div", { class: "checks checks--stacked" }, radios.map((radio) =>
      h("span", { class: "check" }, radio, h("label", { for: radio.id, text: radio.value })))),
    errorEl);
  return {
    element: group,
    read: () => (radios.find((radio) => radio.checked) || { value: "" }).value,
    focus: () => (radios.find((radio) => radio.checked) || radios[0]).focus(),
    setError: (/** @type {string | undefined} */ message) => {
      errorEl.textContent = message || "";
      errorEl.hidden = !message;
      // The group shows it too (a red border, as a text box gets), not only the message.
      if (message) group.setAttribute("aria-invalid", "true");
      else group.removeAttribute("aria-invalid");
      for (const radio of radios) {
        if (message) radio.setAttribute("aria-invalid", "true");
        else radio.removeAttribute("aria-invalid");
      }
    },
  };
}

/** @type {PageFn} */
export async function troubleshooterForm({ main, params }) {
  const config = await portalConfig();
  const form = (config.troubleshooters || []).find((item) => item.id === params.id);
  const back = h("a", { class: "back-link", href: "/tickets/new" }, icon("back"), t("troubleshooter.back"));
  if (!form) {
    setTitle(t("troubleshooter.missing"));
    append(main, h("div", { class: "page page--narrow" }, back, emptyState(t("troubleshooter.missing"))));
    return;
  }
  setTitle(form.name);
  const questions = form.questions.map(troubleshooterQuestion);
  const note = h("textarea", { class: "textarea", rows: 4, maxlength: config.max_message_length });
  const status = h("div", { class: "form-status", "aria-live": "polite" });
  const submit = h("button", { class: "btn btn--primary", type: "submit" }, icon("send"),
    h("span", { text: t("troubleshooter.send") }));
  const element = h("form", { class: "form form--wide", novalidate: true },
    questions.map((question) => question.element),
    field(t("troubleshooter.note"), note, { optional: t("common.optional") }),
    status,
    h("div", { class: "form__actions" },
      h("a", { class: "btn btn--ghost", href: "/tickets/new", text: t("common.cancel") }), submit));
  element.addEventListener("submit", async (event) => {
    event.preventDefault();
    status.replaceChildren();
    const answers = form.questions.map((question, i) => ({ question: question.text, answer: questions[i].read() }));
    questions.forEach((question, i) => question.setError(answers[i].answer ? "" : t("troubleshooter.answerThis")));
    const firstMissing = questions.find((question, i) => !answers[i].answer);
    if (firstMissing) {
      firstMissing.focus();
      return;
    }
    submit.disabled = true;
    try {
      /** @type {{ticket: PortalTicket}} */
      const created = await post("/api/portal/tickets", {
        topic: form.topic, subject: form.name, body: note.value,
        troubleshooter: { id: form.id, name: form.name, answers },
      });
      refreshCounts();
      navigate(`/tickets/${encodeURIComponent(created.ticket.id)}`);
    } catch (error) {
      // A refusal about one question goes beside it; anything else under the form.
      const details = error instanceof ApiError && !Array.isArray(error.details) ? error.details : null;
      const asked = details && details.question;
      const index = form.questions.findIndex((question) => question.text === asked);
      if (index >= 0) {
        questions[index].setError(errorText(error));
        questions[index].focus();
      }
      status.replaceChildren(notice("error", errorText(error)));
      submit.disabled = false;
    }
  });
  append(main, h("div", { class: "page page--narrow" }, back,
    h("div", { class: "page__header" },
      h("div", {}, h("h1", { class: "page__title", text: form.name }),
        form.intro ? h("p", { class: "page__lead muted", text: form.intro }) : null)),
    h("div", { class: "card" }, element)));
}

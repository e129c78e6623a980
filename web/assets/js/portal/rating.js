// @ts-check
// The rating a customer gives a closed ticket: one to five stars and a comment.

import { h, icon, field, notice, uid } from "../dom.js";
import { put } from "../api.js";
import { t, errorText } from "../i18n.js";

/** @typedef {{rating: number, comment: string | null}} Rated */

/** The rating card of a closed ticket: the score given, and the form to give or change it.
 * @param {string} ticketId @param {PortalTicket} ticket @param {(saved: Rated) => void} onRated */
export function ratingCard(ticketId, ticket, onRated) {
  const title = h("h2", { class: "card__title", id: "rating-title" }, icon("star"), h("span", { text: t("rating.title") }));
  const card = h("section", { class: "card", "aria-labelledby": "rating-title" },
    title,
    ticket.rating ? h("p", { class: "rating__current" }, t("rating.current", { score: ticket.rating })) : null,
    ratingForm(ticketId, ticket, (saved) => {
      onRated(saved);
      const line = card.querySelector(".rating__current");
      const text = t("rating.current", { score: saved.rating });
      if (line) line.textContent = text;
      else title.after(h("p", { class: "rating__current", text }));
    }));
  return card;
}

/** @param {string} ticketId @param {PortalTicket} ticket @param {(saved: Rated) => void} onSaved */
function ratingForm(ticketId, ticket, onSaved) {
  const legendId = uid("rating");
  const name = uid("score");
  /** @type {HTMLLabelElement[]} */
  const labels = [];
  const paint = (/** @type {number} */ upTo, /** @type {string} */ className) => labels.forEach((label, i) => label.classList.toggle(className, i < upTo));
  const stars = [1, 2, 3, 4, 5].map((score) => {
    const id = `${name}-${score}`;
    const radio = h("input", { type: "radio", name, id, value: String(score), class: "rating__input",
      checked: ticket.rating === score });
    radio.addEventListener("change", () => paint(score, "is-on"));
    const label = h("label", { for: id, class: "rating__star", title: t(`rating.${score}`) },
      icon("star"), h("span", { class: "sr-only", text: t(`rating.${score}`) }));
    label.addEventListener("mouseenter", () => paint(score, "is-hover"));
    label.addEventListener("mouseleave", () => paint(0, "is-hover"));
    labels.push(label);
    return h("span", { class: "rating__option" }, radio, label);
  });
  paint(ticket.rating || 0, "is-on");
  const comment = h("textarea", { class: "textarea", rows: 3, maxlength: 2000, value: ticket.rating_comment || "" });
  const status = h("div", { class: "form-status", "aria-live": "polite" });
  const form = h("form", { class: "rating" },
    h("fieldset", { class: "rating__set", "aria-labelledby": legendId },
      h("legend", { id: legendId, class: "rating__legend", text: t("rating.question") }),
      h("div", { class: "rating__stars" }, stars)),
    field(t("rating.comment"), comment, { optional: t("common.optional") }),
    status,
    h("button", { class: "btn btn--secondary", type: "submit",
      text: ticket.rating ? t("rating.update") : t("rating.submit") }));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const chosen = form.querySelector("input[type=radio]:checked");
    if (!(chosen instanceof HTMLInputElement)) {
      status.replaceChildren(notice("error", t("rating.pick")));
      return;
    }
    try {
      /** @type {Rated} */
      const saved = await put(`/api/portal/tickets/${encodeURIComponent(ticketId)}/rating`, {
        score: Number(chosen.value), comment: comment.value,
      });
      onSaved(saved);
      status.replaceChildren(notice("success", t("rating.thanks")));
    } catch (error) {
      status.replaceChildren(notice("error", errorText(error)));
    }
  });
  return form;
}

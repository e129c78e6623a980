// @ts-check
// A conversation's title (the agents' name for it; the customer keeps their subject), edited
// in place: Edit, then Save or Cancel (Escape), focus back on the button it started from.

import { h, append, clear, uid } from "../dom.js";
import { patch } from "../api.js";
import { t } from "../i18n.js";

/**
 * @param {{base: string, ticket: ConsoleTicket, onSaved: (fresh: ConsoleTicketView) => void,
 *   onError: (error: unknown) => void}} options
 */
export function titleEditor({ base, ticket, onSaved, onError }) {
  let current = ticket;
  const holder = h("div", { class: "title-edit" });
  const focusButton = () => holder.querySelector("button")?.focus();
  const render = (/** @type {boolean} */ editing) => {
    clear(holder);
    if (!editing) {
      const edit = h("button", { type: "button", class: "btn btn--ghost btn--small" },
        h("span", { text: t("console.editTitle") }));
      edit.addEventListener("click", () => render(true));
      append(holder, [h("h1", { class: "page__title convo-title", text: current.title }), edit]);
      return;
    }
    const input = h("input", { class: "input", value: current.title, maxlength: 200, required: true, id: uid("title") });
    const cancel = h("button", { type: "button", class: "btn btn--ghost btn--small", text: t("common.cancel") });
    const form = h("form", { class: "title-edit__form" },
      h("label", { for: input.id, class: "sr-only", text: t("console.title_label") }), input,
      h("button", { type: "submit", class: "btn btn--primary btn--small", text: t("common.save") }), cancel);
    cancel.addEventListener("click", () => {
      render(false);
      focusButton();
    });
    input.addEventListener("keydown", (event) => {
      if (event.key === "Escape") cancel.click();
    });
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        /** @type {ConsoleTicketView} */
        const fresh = await patch(base, { title: input.value });
        onSaved(fresh);
        render(false);
        // Back to the button the edit started from, so keyboard users stay in place.
        focusButton();
      } catch (error) {
        onError(error);
      }
    });
    append(holder, [h("h1", { class: "sr-only", text: current.title }), form]);
    input.focus();
    input.select();
  };
  render(false);
  return {
    element: holder,
    /** The ticket as it now is: the heading follows its title. */
    update(/** @type {ConsoleTicket} */ fresh) {
      current = fresh;
      const heading = holder.querySelector("h1.convo-title");
      if (heading) heading.textContent = current.title;
    },
  };
}

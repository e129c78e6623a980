// @ts-check
// Merging a conversation into another of the same customer: "Merge into…" offers the
// customer's other tickets by number (open first), says what will happen, and once the server
// merged them opens the survivor. A merged conversation says where it went instead.

import { h, clear, icon, field, uid } from "../dom.js";
import { get, post } from "../api.js";
import { t, errorText } from "../i18n.js";
import { navigate } from "../shell/navigation.js";
import { filterQuery } from "./config.js";

/** `button` goes with the header's actions, `holder` under the header (the form, or where a
 * merged conversation went); `render(ticket)` keeps them to the ticket.
 * @param {{base: string, filters: ConsoleFilters, failed: (error: unknown) => void}} options */
export function mergeControl({ base, filters, failed }) {
  const holder = h("div", { class: "merge-holder" });
  const button = h("button", { type: "button", class: "btn btn--ghost btn--small" }, icon("merge"),
    h("span", { text: t("merge.open") }));
  /** @type {ConsoleTicket | null} */
  let current = null;

  const closeForm = () => {
    clear(holder);
    if (current) render(current);
    button.focus();
  };

  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      /** @type {MergeCandidates} */
      const found = await get(`${base}/merge-candidates`);
      holder.replaceChildren(form(found.items));
    } catch (error) {
      failed(error);
    } finally {
      button.disabled = false;
    }
  });

  /** @param {MergeCandidate[]} candidates */
  const form = (candidates) => {
    if (!candidates.length) {
      const dismiss = h("button", { type: "button", class: "btn btn--ghost btn--small", text: t("common.cancel") });
      dismiss.addEventListener("click", closeForm);
      return h("div", { class: "notice notice--info merge-form", role: "status" },
        h("p", { text: t("merge.none") }), dismiss);
    }
    const select = h("select", { class: "select", id: uid("survivor"), required: true },
      candidates.map((c) => h("option", { value: c.id,
        text: t("merge.candidate", { number: c.number, subject: c.subject || c.title,
          status: t(`status.${c.status}`) }) })));
    const status = h("div", { class: "form-status", "aria-live": "polite" });
    const cancel = h("button", { type: "button", class: "btn btn--ghost btn--small", text: t("common.cancel") });
    const submit = h("button", { type: "submit", class: "btn btn--primary btn--small", text: t("merge.confirm") });
    const element = h("form", { class: "merge-form card" },
      h("h2", { class: "card__title", text: t("merge.title", { number: current ? current.number : "" }) }),
      field(t("merge.survivor"), select, { hint: t("merge.hint") }),
      status,
      h("div", { class: "form__actions" }, cancel, submit));
    cancel.addEventListener("click", closeForm);
    element.addEventListener("submit", async (event) => {
      event.preventDefault();
      submit.disabled = true;
      status.replaceChildren();
      try {
        /** @type {MergeResult} */
        const result = await post(`${base}/merge`, { into: select.value });
        navigate(`/console/tickets/${encodeURIComponent(result.survivor.id)}${filterQuery(filters)}`);
      } catch (error) {
        status.replaceChildren(h("p", { class: "form-error", role: "alert", text: errorText(error) }));
        submit.disabled = false;
      }
    });
    queueMicrotask(() => select.focus());
    return element;
  };

  /** @param {ConsoleTicket} ticket */
  const render = (ticket) => {
    current = ticket;
    const survivor = ticket.merged_into;
    button.hidden = Boolean(survivor);
    if (survivor) {
      holder.replaceChildren(h("div", { class: "notice notice--info notice--merged", role: "status" },
        icon("merge"), h("p", {}, t("merge.mergedInto"), " ",
          h("a", { href: `/console/tickets/${encodeURIComponent(survivor.id)}${filterQuery(filters)}`,
            text: t("merge.survivorLink", { number: survivor.number }) }))));
    } else if (holder.querySelector(".notice--merged")) {
      clear(holder);
    }
  };

  return { button, holder, render };
}

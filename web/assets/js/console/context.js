// @ts-check
// The customer beside a conversation (GET .../customer): who the requester is (organization,
// language, whether mail reaches them), their other tickets, open ones first, each a link to its
// conversation, and how they rated the team. And, for an admin, closing a conversation someone
// else holds (or nobody), with the reason its history and the audit log keep.

import { h, append, clear, field, notice, uid } from "../dom.js";
import { get, post } from "../api.js";
import { t, errorText, relativeTime, formatDate, language, LANGUAGES } from "../i18n.js";
import { state } from "../shell/state.js";
import { statusBadge } from "../ui.js";
import { consoleLine } from "../suppressed.js";

/**
 * @typedef {{id: string, name: string}} CustomerOrg
 * @typedef {{id: string, name: string, email: string, language: string, status: string,
 *   org: CustomerOrg | null, email_suppressed: boolean, suppression: Suppression | null}} CustomerProfile
 * @typedef {{id: string, number: number, title: string, subject: string, status: string,
 *   state: string, last_activity_at: string}} CustomerTicketLine
 * @typedef {{ticket_id: string, number: number, subject: string, rating: number,
 *   comment: string | null}} CustomerRating
 * @typedef {{customer: CustomerProfile, tickets: CustomerTicketLine[], more_tickets: boolean,
 *   ratings: {average: number | null, count: number, items: CustomerRating[]}}} CustomerContext
 */

/** The panel; it reads the context once the page is drawn. `element` goes beside the thread
 * (the side column, which moves under the thread on narrow screens).
 * @param {{base: string}} options the conversation's API path */
export function customerContext({ base }) {
  const titleId = uid("c-customer");
  const body = h("div", { class: "customer-context", "aria-busy": "true" },
    h("p", { class: "muted", text: t("customer.loading") }));
  const element = h("section", { class: "card", "aria-labelledby": titleId },
    h("h2", { class: "card__title", id: titleId, text: t("customer.title") }), body);

  const load = async () => {
    try {
      /** @type {CustomerContext} */
      const context = await get(`${base}/customer`);
      append(clear(body), contents(context));
    } catch (error) {
      body.replaceChildren(notice("error", errorText(error)));
    } finally {
      body.removeAttribute("aria-busy");
    }
  };
  load();
  return { element, refresh: load };
}

/** @param {CustomerContext} context */
function contents({ customer, tickets, more_tickets: more, ratings }) {
  const rows = [
    [t("customer.organization"), customer.org ? customer.org.name : "—"],
    [t("customer.language"), /** @type {Record<string, string>} */ (LANGUAGES)[customer.language] || customer.language],
    [t("customer.mail"), customer.suppression ? consoleLine(customer.suppression) : t("customer.mailDelivered")],
  ];
  if (customer.status !== "active") rows.push([t("customer.account"), t(`customer.status.${customer.status}`)]);
  const details = h("dl", { class: "details" },
    rows.map(([label, value]) => [h("dt", { text: label }), h("dd", {}, value)]));

  const listId = uid("c-tickets");
  const list = tickets.length
    ? h("ul", { class: "customer-tickets", "aria-labelledby": listId }, tickets.map((ticket) => h("li", { class: "customer-tickets__item" },
      h("a", { href: `/console/tickets/${encodeURIComponent(ticket.id)}`, class: "customer-tickets__link" },
        h("span", { class: "muted", text: `#${ticket.number} ` }), ticket.subject),
      h("span", { class: "customer-tickets__meta" }, statusBadge(ticket.status),
        h("time", { class: "muted", datetime: ticket.last_activity_at, title: formatDate(ticket.last_activity_at),
          text: relativeTime(ticket.last_activity_at) })))))
    : h("p", { class: "muted", text: t("customer.noOtherTickets") });
  const moreNote = more && customer.email
    ? h("p", { class: "muted customer-context__more" }, t("customer.moreTickets"), " ",
      h("a", { href: `/console?q=${encodeURIComponent(customer.email)}`, text: t("customer.searchAll") }))
    : null;

  const ratingsId = uid("c-ratings");
  const rated = ratings.count
    ? [h("p", { class: "customer-context__average", text: t("customer.average",
      { average: new Intl.NumberFormat(language(), { maximumFractionDigits: 1 }).format(ratings.average || 0),
        count: ratings.count }) }),
    h("ul", { class: "customer-ratings", "aria-labelledby": ratingsId }, ratings.items.map((item) => h("li", {},
      h("a", { href: `/console/tickets/${encodeURIComponent(item.ticket_id)}`, text: `#${item.number}` }), " ",
      h("strong", { text: t("customer.score", { score: item.rating }) }),
      item.comment ? h("span", { class: "muted", text: ` — “${item.comment}”` }) : null)))]
    : [h("p", { class: "muted", text: t("customer.noRatings") })];

  return [
    h("p", { class: "customer-context__who" }, h("strong", { text: customer.name }),
      customer.email ? h("span", { class: "muted customer-context__email", text: customer.email }) : null),
    details,
    h("h3", { class: "customer-context__heading", id: listId, text: t("customer.otherTickets") }),
    list, moreNote,
    h("h3", { class: "customer-context__heading", id: ratingsId, text: t("customer.ratings") }),
    ...rated,
  ];
}

/** Close, for an admin, a conversation someone else holds (or nobody): asks the reason, which
 * the thread's history line shows and the audit log keeps. The assignee's own Close is the
 * header's. `render(ticket)` shows or hides it as the ticket now is.
 * @param {{base: string, done: (fresh: ConsoleTicketView, message: string) => void,
 *   failed: (error: unknown) => void}} options */
export function adminClose({ base, done, failed }) {
  const holder = h("div", { class: "block-holder" });
  const button = h("button", { type: "button", class: "btn btn--secondary btn--small", hidden: true,
    text: t("console.closeWithReason") });
  /** @type {ConsoleTicket | null} */
  let current = null;

  button.addEventListener("click", () => {
    const reason = h("textarea", { class: "textarea", rows: 2, maxlength: 500, required: true });
    const cancel = h("button", { type: "button", class: "btn btn--ghost btn--small", text: t("common.cancel") });
    const held = current && current.assignee ? current.assignee.name : "";
    const form = h("form", { class: "block-form card" },
      field(t("console.closeReason"), reason, {
        hint: held ? t("console.closeReasonHint", { name: held }) : t("console.closeReasonHintNobody") }),
      h("div", { class: "form__actions" }, cancel,
        h("button", { type: "submit", class: "btn btn--primary btn--small", text: t("console.closeConfirm") })));
    cancel.addEventListener("click", () => {
      clear(holder);
      button.focus();
    });
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        /** @type {ConsoleTicketView} */
        const fresh = await post(`${base}/close`, { reason: reason.value });
        clear(holder);
        done(fresh, t("console.closed"));
      } catch (error) {
        failed(error);
      }
    });
    holder.replaceChildren(form);
    reason.focus();
  });

  /** @param {ConsoleTicket} ticket */
  const render = (ticket) => {
    current = ticket;
    const user = state.user;
    const mine = Boolean(ticket.assignee && user && ticket.assignee.id === user.id);
    button.hidden = !(user && user.role === "admin" && !mine && ticket.status !== "closed");
    if (button.hidden) clear(holder);
  };
  return { button, holder, render };
}

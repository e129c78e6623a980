// @ts-check
// A ticket opened by an agent on a customer's behalf (a call, a visit). The customer is found by
// any part of their name, address or organization among every customer, those who never wrote
// too (GET /api/console/customers, the customer directory: services/customers.py), or named by id.

import { h, append, icon, field, notice, uid, clear } from "../dom.js";
import { get, post } from "../api.js";
import { t, errorText } from "../i18n.js";
import { setTitle } from "../shell/state.js";
import { navigate } from "../shell/navigation.js";
import { counter } from "../ui.js";
import { consoleConfig } from "./config.js";

/** @typedef {{id: string, name: string, email: string, org: {id: string, name: string}}} CustomerMatch */

const MIN_LETTERS = 2;
const LIMIT = 20; // customers listed; more means the search should be narrower

/** @type {PageFn} */
export async function onBehalf({ main }) {
  setTitle(t("console.onBehalfTitle"));
  const config = await consoleConfig();
  const customer = customerFinder();
  const customerId = h("input", { class: "input", maxlength: 64, placeholder: t("console.customerIdPlaceholder") });
  const topic = h("select", { class: "select", required: true },
    config.topics.map((item) => h("option", { value: item.id, text: item.name })));
  const subject = h("input", { class: "input", maxlength: 200, required: true });
  const body = h("textarea", { class: "textarea", rows: 7, required: true, maxlength: config.max_message_length });
  const status = h("div", { class: "form-status", "aria-live": "polite" });
  const form = h("form", { class: "form form--wide" },
    customer.element,
    h("details", { class: "disclosure" }, h("summary", { text: t("console.customerById") }),
      field(t("console.customerId"), customerId)),
    field(t("compose.topic"), topic),
    field(t("compose.subject"), subject),
    field(t("console.firstMessage"), body, { hint: t("console.firstMessageHint") }),
    counter(body, config.max_message_length),
    status,
    h("div", { class: "form__actions" },
      h("a", { class: "btn btn--ghost", href: "/console", text: t("common.cancel") }),
      h("button", { class: "btn btn--primary", type: "submit", text: t("console.create") })));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    status.replaceChildren();
    const requesterId = customerId.value.trim() || customer.chosen();
    if (!requesterId) {
      status.replaceChildren(notice("error", t("console.chooseCustomer")));
      customer.focus();
      return;
    }
    try {
      /** @type {{ticket: ConsoleTicket}} */
      const created = await post("/api/console/tickets", {
        requester_id: requesterId, topic: topic.value, subject: subject.value.trim(), body: body.value,
      });
      navigate(`/console/tickets/${encodeURIComponent(created.ticket.id)}`);
    } catch (error) {
      status.replaceChildren(notice("error", errorText(error)));
    }
  });
  append(main, h("div", { class: "page page--narrow" },
    h("a", { class: "back-link", href: "/console" }, icon("back"), t("console.back")),
    h("div", { class: "page__header" }, h("div", {},
      h("h1", { class: "page__title", text: t("console.onBehalfTitle") }),
      h("p", { class: "page__lead muted", text: t("console.onBehalfLead") }))),
    h("div", { class: "card" }, form)));
}

/** A search field and, under it, the customers it finds as radio buttons (one is chosen).
 * Searches overlap as the agent types: only the latest answer fills the list. */
function customerFinder() {
  const search = h("input", { class: "input", type: "search", maxlength: 200, autocomplete: "off",
    id: uid("customer-q") });
  const said = h("p", { class: "field__hint", "aria-live": "polite" });
  const choices = h("div", { class: "checks checks--stacked customer-choices" });
  const legendId = uid("customer-legend");
  const element = h("fieldset", { class: "field fieldset", "aria-labelledby": legendId },
    h("legend", { class: "field__label", id: legendId, text: t("console.customer") }),
    field(t("console.findCustomer"), search, { hint: t("console.findCustomerHint") }),
    said, choices);

  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  let latest = 0;
  const find = async () => {
    const mine = ++latest;
    const q = search.value.trim();
    if (q.length < MIN_LETTERS) {
      clear(choices);
      said.textContent = q ? t("console.typeMore", { count: MIN_LETTERS }) : "";
      return;
    }
    try {
      /** @type {{items: CustomerMatch[]}} */
      const found = await get("/api/console/customers", { q, limit: LIMIT });
      if (mine !== latest) return;
      const kept = chosen();
      choices.replaceChildren(...found.items.map((match) => choice(match, match.id === kept)));
      const count = found.items.length;
      said.textContent = count >= LIMIT ? t("console.customersMore", { count })
        : count ? t("console.customersFound", { count }) : t("console.noCustomerFound");
    } catch (error) {
      if (mine !== latest) return;
      clear(choices);
      said.textContent = errorText(error);
    }
  };
  search.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(find, 250);
  });
  // Enter searches at once rather than submitting a form with no customer chosen yet
  search.addEventListener("keydown", (event) => {
    if (event.key !== "Enter") return;
    event.preventDefault();
    clearTimeout(timer);
    find();
  });

  const chosen = () => {
    const checked = choices.querySelector("input:checked");
    return checked instanceof HTMLInputElement ? checked.value : "";
  };
  return { element, chosen, focus: () => search.focus() };
}

/** @param {CustomerMatch} match @param {boolean} checked */
function choice(match, checked) {
  const radio = h("input", { type: "radio", name: "customer", value: match.id, id: uid("customer"), checked });
  return h("span", { class: "check" }, radio,
    h("label", { for: radio.id },
      h("strong", { text: match.name }), " ",
      h("span", { class: "muted", text: `<${match.email}> · ${match.org.name}` })));
}

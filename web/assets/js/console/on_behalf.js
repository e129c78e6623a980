// @ts-check
// A ticket opened by an agent on a customer's behalf: the customer picked from recent
// conversations (and, for admins, every organization's), or named by id.

import { h, append, icon, field, notice, uid } from "../dom.js";
import { get, post } from "../api.js";
import { t, errorText } from "../i18n.js";
import { setTitle, signedInUser } from "../shell/state.js";
import { navigate } from "../shell/navigation.js";
import { counter } from "../ui.js";
import { consoleConfig } from "./config.js";

/** @type {PageFn} */
export async function onBehalf({ main }) {
  setTitle(t("console.onBehalfTitle"));
  const config = await consoleConfig();
  /** @type {Map<string, {name: string, email: string}>} */
  const customers = new Map();
  const customer = h("select", { class: "select", required: true },
    h("option", { value: "", text: t("console.chooseCustomer") }));
  const customerId = h("input", { class: "input", maxlength: 64, placeholder: t("console.customerIdPlaceholder") });
  const topic = h("select", { class: "select", required: true },
    config.topics.map((item) => h("option", { value: item.id, text: item.name })));
  const subject = h("input", { class: "input", maxlength: 200, required: true });
  const body = h("textarea", { class: "textarea", rows: 7, required: true, maxlength: config.max_message_length });
  const status = h("div", { class: "form-status", "aria-live": "polite" });
  const form = h("form", { class: "form form--wide" },
    field(t("console.customer"), customer, { hint: t("console.customerHint") }),
    h("details", { class: "disclosure" }, h("summary", { text: t("console.customerById") }),
      field(t("console.customerId"), customId(customerId))),
    field(t("compose.topic"), topic),
    field(t("compose.subject"), subject),
    field(t("console.firstMessage"), body, { hint: t("console.firstMessageHint") }),
    counter(body, config.max_message_length),
    status,
    h("div", { class: "form__actions" },
      h("a", { class: "btn btn--ghost", href: "/console", text: t("common.cancel") }),
      h("button", { class: "btn btn--primary", type: "submit", text: t("console.create") })));
  customer.addEventListener("change", () => {
    customer.required = !customerId.value;
  });
  customerId.addEventListener("input", () => {
    customer.required = !customerId.value.trim();
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    status.replaceChildren();
    try {
      /** @type {{ticket: ConsoleTicket}} */
      const created = await post("/api/console/tickets", {
        requester_id: customerId.value.trim() || customer.value, topic: topic.value,
        subject: subject.value.trim(), body: body.value,
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

  // Customers: those of recent conversations, and (for admins) every organization's.
  /** @param {string} id @param {string} name @param {string} email */
  const add = (id, name, email) => {
    if (!id || customers.has(id)) return;
    customers.set(id, { name, email });
    customer.append(h("option", { value: id, text: email ? `${name} <${email}>` : name }));
  };
  try {
    for (const status of ["open", "closed"]) {
      /** @type {Page<ConsoleTicket>} */
      const page = await get("/api/console/tickets", { status, limit: 100 });
      for (const item of page.items) add(item.requester.id, item.requester.name, item.requester.email);
    }
    if (signedInUser().role === "admin") {
      /** @type {Page<Org>} */
      const orgs = await get("/api/admin/orgs", { limit: 50 });
      for (const org of orgs.items) {
        /** @type {Page<User>} */
        const users = await get("/api/admin/users", { org_id: org.id, limit: 100 });
        for (const user of users.items) {
          if (user.role === "customer" && user.status === "active") add(user.id, user.name, user.email);
        }
      }
    }
  } catch {
    // the id field still works
  }
}

function customId(/** @type {HTMLInputElement} */ input) {
  if (!input.id) input.id = uid("cid");
  return input;
}

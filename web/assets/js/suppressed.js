// @ts-check
// Telling people an address is suppressed (the portal no longer emails it): the customer, in a
// notice across the portal, and agents, beside the requester in the console. Small on purpose:
// the portal and the console load it; the admin page (suppressions.js) builds on it.

import { h, icon } from "./dom.js";
import { t, has, formatDate } from "./i18n.js";

/** Why an address is suppressed, in words: the reason, and SES's type in brackets. */
export function reasonText(/** @type {{reason: string, detail?: string | null}} */ suppression) {
  const key = `suppressions.reason.${suppression.reason}`;
  const reason = has(key) ? t(key) : suppression.reason;
  return suppression.detail ? `${reason} (${suppression.detail})` : reason;
}

/** The console's line beside the requester. */
export function consoleLine(/** @type {Suppression} */ suppression) {
  const text = t("console.suppressed", { reason: reasonText(suppression), since: formatDate(suppression.since, { withTime: false }) });
  // A chip shortens what does not fit (a phone): the title keeps the whole line.
  return h("span", { class: "chip chip--warning", dataset: { suppression: suppression.reason }, title: text, text });
}

/** The portal's notice to a customer whose own address is suppressed. */
export function portalNotice(/** @type {Suppression} */ suppression, /** @type {string} */ email) {
  const key = has(`portal.mailSuppressed.${suppression.reason}`) ? `portal.mailSuppressed.${suppression.reason}` : "portal.mailSuppressed.bounce";
  return h("div", { class: "announcement mail-suppressed", role: "status", "aria-label": t("portal.mailSuppressedTitle", { email }) },
    h("div", { class: "announcement__inner" }, icon("bell"),
      h("div", {},
        h("p", {}, h("strong", { text: t("portal.mailSuppressedTitle", { email }) })),
        h("p", { text: t(key, { since: formatDate(suppression.since, { withTime: false }) }) }))));
}

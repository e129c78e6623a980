// @ts-check
// Administration: suppressed addresses, the ones the portal no longer emails because their mail
// bounced for good or their owner reported it as spam, with the evidence, and lifting one.
// Everything the evidence says came from outside (a remote mail server's words): text only.

import { h, append, icon, notice, uid } from "../dom.js";
import { api, get } from "../api.js";
import { t, has, errorText, formatDate } from "../i18n.js";
import { emptyState } from "../ui.js";
import { pager } from "../pager.js";
import { reasonText } from "../suppressed.js";
import { adminPage } from "./page.js";

// What an admin judges an entry by comes first; the identifiers that trace it in SES's or our
// logs follow, folded away.
const EVIDENCE_FIRST = ["source", "status", "diagnostic", "complaint_type"];
const EVIDENCE_ORDER = [...EVIDENCE_FIRST, "bounce_type", "bounce_subtype", "timestamp", "reporting_mta",
  "user_agent", "message_id", "ses_message_id", "feedback_id", "delivery_id"];

function evidenceItems(/** @type {[string, unknown][]} */ entries) {
  return entries.map(([key, value]) => {
    const labelKey = `suppressions.evidenceKey.${key}`;
    const sourceKey = `suppressions.source.${value}`;
    const when = key === "timestamp" && !Number.isNaN(Date.parse(String(value)));
    const text = key === "source" && has(sourceKey) ? t(sourceKey)
      : when ? formatDate(String(value)) : String(value);
    return h("div", { class: "audit-details__item" },
      h("dt", { text: has(labelKey) ? t(labelKey) : key }), h("dd", { text }));
  });
}

function evidenceList(/** @type {SuppressionEntry["evidence"]} */ evidence) {
  const rank = (/** @type {string} */ key) => (EVIDENCE_ORDER.includes(key) ? EVIDENCE_ORDER.indexOf(key) : EVIDENCE_ORDER.length);
  const entries = Object.entries(evidence || {}).sort(([a], [b]) => rank(a) - rank(b));
  if (!entries.length) return null;
  const first = entries.filter(([key]) => EVIDENCE_FIRST.includes(key));
  const rest = entries.filter(([key]) => !EVIDENCE_FIRST.includes(key));
  return h("div", {},
    first.length ? h("dl", { class: "audit-details" }, evidenceItems(first)) : null,
    rest.length ? h("details", { class: "disclosure" },
      h("summary", { text: t("suppressions.moreEvidence") }),
      h("dl", { class: "audit-details" }, evidenceItems(rest))) : null);
}

/** @type {PageFn} */
export async function suppressions({ main }) {
  let lookingUp = "";
  const tbody = h("tbody", {});
  const status = h("div", { class: "form-status", "aria-live": "polite" });

  const row = (/** @type {SuppressionEntry} */ entry) => {
    const action = h("td", { class: "col-actions" });
    const tr = h("tr", { dataset: { email: entry.email } },
      h("td", { "data-label": t("suppressions.address"), class: "break" }, h("strong", { text: entry.email })),
      h("td", { "data-label": t("suppressions.why") },
        h("span", {}, h("span", { class: "chip chip--warning", text: reasonText({ reason: entry.reason }) }),
          entry.detail ? h("span", { class: "muted", text: ` ${entry.detail}` }) : null)),
      h("td", { "data-label": t("suppressions.since"), class: "nowrap", text: formatDate(entry.since) }),
      h("td", { "data-label": t("suppressions.evidence"), class: "muted break" }, evidenceList(entry.evidence) || "—"),
      action);
    const liftButton = h("button", { type: "button", class: "btn btn--secondary btn--small", text: t("suppressions.lift"),
      "aria-label": t("suppressions.liftLabel", { email: entry.email }) });
    const showButton = () => {
      action.replaceChildren(liftButton);
    };
    liftButton.addEventListener("click", () => {
      // Confirmed in place, not with window.confirm: the question names the address.
      const questionId = uid("lift");
      const yes = h("button", { type: "button", class: "btn btn--danger btn--small", text: t("suppressions.liftYes"),
        "aria-describedby": questionId });
      const no = h("button", { type: "button", class: "btn btn--ghost btn--small", text: t("common.cancel") });
      no.addEventListener("click", () => {
        showButton();
        liftButton.focus();
      });
      yes.addEventListener("click", async () => {
        yes.disabled = true;
        try {
          await api("DELETE", `/api/admin/suppressions/${encodeURIComponent(entry.email)}`);
          tr.remove();
          if (!tbody.children.length) tbody.append(emptyRow());
          status.replaceChildren(notice("success", t("suppressions.lifted", { email: entry.email })));
        } catch (error) {
          yes.disabled = false;
          status.replaceChildren(notice("error", errorText(error)));
        }
      });
      action.replaceChildren(h("div", { class: "lift-confirm", role: "group" },
        h("p", { id: questionId, class: "muted", text: t("suppressions.liftConfirm", { email: entry.email }) }),
        yes, no));
      yes.focus();
    });
    showButton();
    return tr;
  };

  const emptyRow = () => h("tr", {}, h("td", { colspan: "5" },
    emptyState(lookingUp ? t("suppressions.notFound", { email: lookingUp }) : t("suppressions.none"))));

  const { more, load } = pager({
    list: tbody, status, row, empty: emptyRow,
    fetchPage: (cursor) => get("/api/admin/suppressions", lookingUp ? { email: lookingUp } : { limit: 50, cursor }),
  });
  more.element.textContent = t("admin.more");

  // One address, looked up by key: the quickest answer to "why does X get no mail?"
  const address = h("input", { class: "input input--search", type: "search", id: uid("sq"), maxlength: 254,
    placeholder: "name@example.com" });
  const find = h("form", { class: "toolbar", role: "search" },
    h("div", { class: "toolbar__group toolbar__group--grow search" },
      h("label", { for: address.id, class: "sr-only", text: t("suppressions.find") }), icon("search"), address),
    h("button", { type: "submit", class: "btn btn--secondary btn--small", text: t("suppressions.findButton") }));
  find.addEventListener("submit", (event) => {
    event.preventDefault();
    lookingUp = address.value.trim().length >= 3 ? address.value.trim() : "";
    status.replaceChildren();
    load(true);
  });
  address.addEventListener("search", () => {
    if (address.value.trim() || !lookingUp) return;
    lookingUp = "";
    load(true);
  });

  append(main, adminPage("suppressions", t("admin.suppressions"), t("suppressions.lead"), find, status,
    h("div", { class: "card card--flush table-scroll" },
      h("table", { class: "table table--audit table--suppressions" },
        h("caption", { class: "sr-only", text: t("admin.suppressions") }),
        h("thead", {}, h("tr", {}, [t("suppressions.address"), t("suppressions.why"), t("suppressions.since"),
          t("suppressions.evidence"), ""].map((label) => h("th", { scope: "col", text: label })))),
        tbody)),
    h("div", { class: "list-footer" }, more.element)));
  await load(true);
}

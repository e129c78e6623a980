// Staff: mail the inbound checks held back. Spam, virus and DMARC quarantines are released by an
// agent who trusts them; mail that could not be handled (an error, an attempt that died) is run
// again. Loaded only for agents and admins.

import { h, append, clear, notice, uid } from "./dom.js";
import { get, post } from "./api.js";
import { t, has, errorText, formatDate } from "./i18n.js";
import { setTitle } from "./app.js";
import { loadMoreButton, emptyState } from "./ui.js";

const STATUSES = ["quarantined", "processing", "failed", "rejected", "dropped", "done"];
const STATUS_TONES = {
  quarantined: "warning", processing: "info", failed: "warning", rejected: "neutral",
  dropped: "neutral", done: "success",
};

/** Why a delivery ended where it did: our words for the outcomes we know, its code otherwise. */
function outcomeText(item) {
  const key = `inbound.outcome.${item.outcome}`;
  return has(key) ? t(key) : item.outcome || "";
}

function statusChip(item) {
  const status = item.stuck ? "stuck" : item.status;
  return h("span", { class: `status status--${item.stuck ? "warning" : STATUS_TONES[item.status] || "neutral"}` },
    h("span", { class: "status__dot", "aria-hidden": "true" }), t(`inbound.status.${status}`));
}

function retryable(item) {
  return (item.status === "quarantined" && !item.releasable) || item.status === "failed" || item.stuck;
}

/** What a release or retry came to, in a sentence, with the conversation it became. */
async function resultMessage(item) {
  if (item.status === "done" && item.ticket_id) {
    let number = "";
    try {
      number = (await get(`/api/console/tickets/${encodeURIComponent(item.ticket_id)}`, null, { quiet: true })).ticket.number;
    } catch {
      // the link still leads there
    }
    const text = item.outcome === "ticket" ? t("inbound.result.ticket", { number })
      : t("inbound.result.added", { number });
    return notice("success", [text, " ",
      h("a", { href: `/console/tickets/${encodeURIComponent(item.ticket_id)}`, text: t("inbound.openConversation") })]);
  }
  if (item.status === "quarantined") {
    return notice("warning", t("inbound.result.stillHeld", { why: [outcomeText(item), item.reason].filter(Boolean).join(": ") }));
  }
  return notice("info", t("inbound.result.other", { status: t(`inbound.status.${item.status}`), why: outcomeText(item) }));
}

export async function inbound({ main, query }) {
  setTitle(t("inbound.title"));
  let status = STATUSES.includes(query.get("status")) ? query.get("status") : "quarantined";
  let cursor = null;
  const tbody = h("tbody", {});
  const result = h("div", { class: "form-status", "aria-live": "polite" });
  const more = loadMoreButton(() => load(false));
  const filter = h("select", { class: "select select--small", id: uid("inbound-status") },
    STATUSES.map((value) => h("option", { value, text: t(`inbound.status.${value}`), selected: value === status })));

  const row = (item) => {
    const actions = h("td", { class: "col-actions" });
    const tr = h("tr", { dataset: { deliveryId: item.id } },
      h("td", { "data-label": t("inbound.received"), class: "nowrap", text: formatDate(item.received_at) }),
      h("td", { "data-label": t("inbound.from"), class: "break", text: item.sender || t("inbound.unknownSender") }),
      h("td", { "data-label": t("inbound.subject"), class: "break", text: item.subject || t("inbound.noSubject") }),
      h("td", { "data-label": t("inbound.why") },
        h("div", {}, statusChip(item), " ", h("strong", { text: outcomeText(item) })),
        item.reason ? h("p", { class: "muted break", text: item.reason }) : null,
        item.stuck && item.lease_until
          ? h("p", { class: "muted", text: t("inbound.stuckSince", { when: formatDate(item.lease_until) }) }) : null),
      actions);
    const act = (action, label, style) => {
      const button = h("button", { type: "button", class: `btn btn--small ${style}`, text: label });
      button.addEventListener("click", async () => {
        for (const other of actions.querySelectorAll("button")) other.disabled = true;
        result.replaceChildren(notice("info", t("inbound.working")));
        try {
          const updated = await post(`/api/admin/inbound/${encodeURIComponent(item.id)}/${action}`, {});
          tr.replaceWith(row(updated));
          result.replaceChildren(await resultMessage(updated));
        } catch (error) {
          result.replaceChildren(notice("error", errorText(error)));
          for (const other of actions.querySelectorAll("button")) other.disabled = false;
        }
      });
      return button;
    };
    if (item.releasable) actions.append(act("release", t("inbound.release"), "btn--primary"));
    if (retryable(item)) actions.append(act("retry", t("inbound.retry"), "btn--secondary"));
    if (item.ticket_id) {
      actions.append(h("a", { class: "btn btn--ghost btn--small", href: `/console/tickets/${encodeURIComponent(item.ticket_id)}`,
        text: t("inbound.openConversation") }));
    }
    return tr;
  };

  async function load(reset) {
    more.busy(true);
    try {
      const page = await get("/api/admin/inbound", { status, limit: 50, cursor: reset ? null : cursor });
      if (reset) clear(tbody);
      for (const item of page.items) tbody.append(row(item));
      if (!tbody.children.length) {
        tbody.append(h("tr", {}, h("td", { colspan: "5", class: "table__empty" }, emptyState(t("inbound.none")))));
      }
      cursor = page.next_cursor;
      more.show(Boolean(cursor));
    } catch (error) {
      result.replaceChildren(notice("error", errorText(error)));
    } finally {
      more.busy(false);
    }
  }
  filter.addEventListener("change", () => {
    status = filter.value;
    history.replaceState(null, "", status === "quarantined" ? "/console/inbound" : `/console/inbound?status=${status}`);
    result.replaceChildren();
    load(true);
  });

  append(main, h("div", { class: "page page--admin" },
    h("div", { class: "page__header" }, h("div", {},
      h("h1", { class: "page__title", text: t("inbound.title") }),
      h("p", { class: "page__lead muted", text: t("inbound.lead") }))),
    h("div", { class: "toolbar" },
      h("div", { class: "toolbar__group" },
        h("label", { for: filter.id, class: "toolbar__label", text: t("inbound.show") }), filter)),
    result,
    h("div", { class: "card card--flush table-scroll" },
      h("table", { class: "table table--inbound" },
        h("caption", { class: "sr-only", text: t("inbound.title") }),
        h("thead", {}, h("tr", {}, [t("inbound.received"), t("inbound.from"), t("inbound.subject"), t("inbound.why"), ""]
          .map((label) => h("th", { scope: "col", text: label })))),
        tbody)),
    h("div", { class: "list-footer" }, more.element)));
  await load(true);
}

// @ts-check
// Staff: mail the inbound checks held back. A held message is read here first, as text (its
// HTML never reaches the page: a suspect message's markup is what must not run in a staff
// member's browser), then released by an agent who trusts it, run again when it could not be
// handled (an error, an attempt that died), or discarded. A dropped message a person did write
// (taken for an automatic reply, say) is forced through. Loaded only for agents and admins.

import { h, append, clear, notice, uid } from "../dom.js";
import { get, post } from "../api.js";
import { t, has, errorText, formatDate } from "../i18n.js";
import { setTitle } from "../shell/state.js";
import { emptyState } from "../ui.js";
import { pager } from "../pager.js";
import { readerBody } from "./held_reader.js";

const STATUSES = ["quarantined", "processing", "failed", "rejected", "dropped", "done"];
// Held mail a person may open: everything that was received and not (yet) handled.
const READABLE = ["quarantined", "failed", "dropped", "rejected"];
/** @type {Record<string, string>} */
const STATUS_TONES = {
  quarantined: "warning", processing: "info", failed: "warning", rejected: "neutral",
  dropped: "neutral", done: "success",
};

/** Why a delivery ended where it did: our words for the outcomes we know, its code otherwise. */
function outcomeText(/** @type {InboundItem} */ item) {
  const key = `inbound.outcome.${item.outcome}`;
  return has(key) ? t(key) : item.outcome || "";
}

function statusChip(/** @type {InboundItem} */ item) {
  const status = item.stuck ? "stuck" : item.status;
  return h("span", { class: `status status--${item.stuck ? "warning" : STATUS_TONES[item.status] || "neutral"}` },
    h("span", { class: "status__dot", "aria-hidden": "true" }), t(`inbound.status.${status}`));
}

function retryable(/** @type {InboundItem} */ item) {
  return (item.status === "quarantined" && !item.releasable) || item.status === "failed" || item.stuck;
}

function discardable(/** @type {InboundItem} */ item) {
  return item.status === "quarantined" || item.status === "failed" || item.stuck;
}

function readable(/** @type {InboundItem} */ item) {
  // An unreadable notice named no message at all.
  return READABLE.includes(item.status) && item.outcome !== "unreadable";
}

function forcible(/** @type {InboundItem} */ item) {
  return item.status === "dropped" && Boolean(item.forcible);
}

/** The release this hold calls for: [action body, label] choices, in the order offered.
 * @param {InboundItem} item @returns {[Record<string, string>, string][]} */
function releaseChoices(item) {
  if (!item.releasable) return [];
  if (item.outcome === "unverified_sender") {
    return [[{}, t("inbound.releaseAs", { sender: item.sender || t("inbound.unknownSender") })]];
  }
  if (item.outcome === "not_participant") {
    /** @type {[Record<string, string>, string][]} */
    const choices = [];
    if (item.answers_ticket_number) {
      choices.push([{ into: "ticket" }, t("inbound.releaseInto", { number: item.answers_ticket_number })]);
    }
    choices.push([{ into: "new" }, t("inbound.releaseNew")]);
    return choices;
  }
  return [[{}, t("inbound.release")]];
}

/** A hold that is a judgment of who wrote it is let through only from the reader. */
function releasableFromRow(/** @type {InboundItem} */ item) {
  return item.releasable && !["unverified_sender", "not_participant"].includes(item.outcome || "");
}

/** What a release or retry came to, in a sentence, with the conversation it became. */
async function resultMessage(/** @type {InboundItem} */ item) {
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
  if (item.status === "dropped" && item.outcome === "discarded") {
    return notice("success", t("inbound.result.discarded"));
  }
  if (item.status === "quarantined") {
    return notice("warning", t("inbound.result.stillHeld", { why: [outcomeText(item), item.reason].filter(Boolean).join(": ") }));
  }
  return notice("info", t("inbound.result.other", { status: t(`inbound.status.${item.status}`), why: outcomeText(item) }));
}

/** @type {PageFn} */
export async function inbound({ main, query }) {
  setTitle(t("inbound.title"));
  const asked = query.get("status") || "";
  let status = STATUSES.includes(asked) ? asked : "quarantined";
  const tbody = h("tbody", {});
  const result = h("div", { class: "form-status", "aria-live": "polite", tabindex: "-1" });
  const filter = h("select", { class: "select select--small", id: uid("inbound-status") },
    STATUSES.map((value) => h("option", { value, text: t(`inbound.status.${value}`), selected: value === status })));

  const row = (/** @type {InboundItem} */ item) => {
    const actions = h("div", { class: "toolbar__group" });
    const tr = h("tr", { dataset: { deliveryId: item.id } },
      h("td", { "data-label": t("inbound.received"), class: "nowrap", text: formatDate(item.received_at) }),
      h("td", { "data-label": t("inbound.from"), class: "break", text: item.sender || t("inbound.unknownSender") }),
      h("td", { "data-label": t("inbound.subject"), class: "break", text: item.subject || t("inbound.noSubject") }),
      h("td", { "data-label": t("inbound.why") },
        h("div", {}, statusChip(item), " ", h("strong", { text: outcomeText(item) })),
        item.reason ? h("p", { class: "muted break", text: item.reason }) : null,
        item.stuck && item.lease_until
          ? h("p", { class: "muted", text: t("inbound.stuckSince", { when: formatDate(item.lease_until) }) }) : null),
      h("td", { class: "col-actions" }, actions));
    /** @type {HTMLTableRowElement | null} */
    let reader = null;
    /** @type {HTMLButtonElement | null} */
    let readButton = null;

    const closeReader = () => {
      if (!reader) return;
      reader.remove();
      reader = null;
      if (readButton) {
        readButton.setAttribute("aria-expanded", "false");
        readButton.focus();
      }
    };

    /** Runs an action; the row (and its reader) make way for the delivery as it now is. */
    const buttons = () => [...actions.querySelectorAll("button"), ...(reader ? reader.querySelectorAll("button") : [])];
    const run = async (/** @type {string} */ action, /** @type {Record<string, string>} */ body) => {
      for (const button of buttons()) button.disabled = true;
      result.replaceChildren(notice("info", t("inbound.working")));
      try {
        /** @type {InboundItem} */
        const updated = await post(`/api/admin/inbound/${encodeURIComponent(item.id)}/${action}`, body);
        if (reader) reader.remove();
        tr.replaceWith(row(updated));
        result.replaceChildren(await resultMessage(updated));
        // The row the focus was on is gone: the outcome is where the reader goes on.
        result.focus();
      } catch (error) {
        result.replaceChildren(notice("error", errorText(error)));
        for (const button of buttons()) button.disabled = false;
      }
    };

    /** @param {string} action @param {string} label @param {string} style
     * @param {Record<string, string>} [body] @param {HTMLElement} [where] */
    const act = (action, label, style, body = {}, where = actions) => {
      const button = h("button", { type: "button", class: `btn btn--small ${style}`, text: label });
      button.addEventListener("click", () => run(action, body));
      where.append(button);
      return button;
    };

    const openReader = async () => {
      const titleId = uid("held-title");
      // .form only for its spacing: a column of blocks with gaps between them.
      const content = h("div", { class: "form" }, h("p", { class: "muted", text: t("common.loading") }));
      const section = h("section", { class: "card", "aria-labelledby": titleId },
        h("h2", { class: "card__title break", id: titleId, tabindex: "-1",
          text: item.subject || t("inbound.noSubject") }),
        content);
      reader = h("tr", { class: "inbound-reader", id: uid("held") },
        h("td", { colspan: "5" }, section));
      readButton?.setAttribute("aria-controls", reader.id);
      readButton?.setAttribute("aria-expanded", "true");
      tr.after(reader);
      // Opened below its row, which may be at the bottom of the screen: bring it into view.
      section.querySelector("h2")?.focus({ preventScroll: true });
      section.scrollIntoView({ block: "nearest" });
      const opened = reader;
      /** @type {HeldMail} */
      let held;
      try {
        held = await get(`/api/admin/inbound/${encodeURIComponent(item.id)}`);
      } catch (error) {
        if (reader !== opened) return;
        content.replaceChildren(notice("error", errorText(error)),
          h("div", { class: "form__actions" }, closeButton()));
        return;
      }
      if (reader !== opened) return;
      clear(content);
      append(content, readerBody(held), readerActions({ ...item, ...held.delivery }));
    };

    const closeButton = () => {
      const button = h("button", { type: "button", class: "btn btn--ghost btn--small", text: t("inbound.close") });
      button.addEventListener("click", closeReader);
      return button;
    };

    /** What may be done with the message once read: the release it calls for, retry, discard. */
    const readerActions = (/** @type {InboundItem} */ current) => {
      const bar = h("div", { class: "form__actions" });
      const hint = current.outcome === "unverified_sender"
        ? t("inbound.releaseAsHint", { sender: current.sender || t("inbound.unknownSender") })
        : current.outcome === "not_participant" && current.releasable ? t("inbound.releaseIntoHint") : "";
      for (const [body, label] of releaseChoices(current)) act("release", label, "btn--primary", body, bar);
      if (retryable(current)) act("retry", t("inbound.retry"), "btn--secondary", {}, bar);
      if (forcible(current)) act("force", t("inbound.force"), "btn--primary", {}, bar);
      if (discardable(current)) {
        const discard = h("button", { type: "button", class: "btn btn--danger-ghost btn--small", text: t("inbound.discard") });
        discard.addEventListener("click", () => confirmDiscard(bar, discard));
        bar.append(discard);
      }
      bar.append(closeButton());
      return h("div", {}, hint ? h("p", { class: "muted", text: hint }) : null, bar);
    };

    /** Discarding is for good: it is asked once more, in place, the safe answer focused. */
    const confirmDiscard = (/** @type {HTMLElement} */ bar, /** @type {HTMLButtonElement} */ discard) => {
      const questionId = uid("discard-q");
      const cancel = h("button", { type: "button", class: "btn btn--ghost btn--small", text: t("common.cancel") });
      const confirm = h("button", { type: "button", class: "btn btn--danger btn--small", text: t("inbound.discardConfirm") });
      const ask = h("div", { class: "notice notice--warning notice--blocked", role: "group", "aria-labelledby": questionId },
        h("div", {}, h("p", { id: questionId, text: t("inbound.discardQuestion") }),
          h("div", { class: "form__actions" }, cancel, confirm)));
      bar.hidden = true;
      bar.after(ask);
      cancel.addEventListener("click", () => {
        ask.remove();
        bar.hidden = false;
        discard.focus();
      });
      confirm.addEventListener("click", () => run("discard", {}));
      cancel.focus();
    };

    if (readable(item)) {
      const button = h("button", { type: "button", class: "btn btn--secondary btn--small", text: t("inbound.read"),
        "aria-label": t("inbound.readLabel", { subject: item.subject || t("inbound.noSubject") }),
        "aria-expanded": "false" });
      button.addEventListener("click", () => (reader ? closeReader() : openReader()));
      actions.append(button);
      readButton = button;
    }
    if (releasableFromRow(item)) act("release", t("inbound.release"), "btn--primary");
    if (retryable(item)) act("retry", t("inbound.retry"), "btn--secondary");
    if (forcible(item)) act("force", t("inbound.force"), "btn--primary");
    if (item.ticket_id) {
      actions.append(h("a", { class: "btn btn--ghost btn--small", href: `/console/tickets/${encodeURIComponent(item.ticket_id)}`,
        text: t("inbound.openConversation") }));
    }
    return tr;
  };

  const { more, load } = pager({
    list: tbody, status: result, row,
    fetchPage: (cursor) => get("/api/admin/inbound", { status, limit: 50, cursor }),
    empty: () => h("tr", {}, h("td", { colspan: "5", class: "table__empty" }, emptyState(t("inbound.none")))),
  });
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

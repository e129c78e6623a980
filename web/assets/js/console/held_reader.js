// @ts-check
// A held message as a staff member reads it before releasing it: who sent it (and any doubt
// about that), the checks' verdicts, its text, its attachments' names, the parser's warnings.
// Every value goes into text nodes, never parsed as HTML: a suspect message's markup must not
// run in a staff member's browser.

import { h, notice, formatBytes } from "../dom.js";
import { t, has, formatDate } from "../i18n.js";

const VERDICT_NAMES = ["spam", "virus", "spf", "dkim", "dmarc"];

function mailbox(/** @type {string | null | undefined} */ address, /** @type {string | null | undefined} */ name) {
  if (!address) return t("inbound.unknownSender");
  return name && name !== address ? `${name} <${address}>` : address;
}

/** The message as text: every value goes into text nodes (h's `text`), never parsed as HTML. */
export function readerBody(/** @type {HeldMail} */ held) {
  /** @type {([string, string] | null)[]} */
  const rows = [
    [t("inbound.reader.from"), mailbox(held.from.address, held.from.name)],
    held.envelope_from && held.envelope_from.toLowerCase() !== (held.from.address || "").toLowerCase()
      ? [t("inbound.reader.envelope"), held.envelope_from] : null,
    held.to.length ? [t("inbound.reader.to"), held.to.join(", ")] : null,
    held.cc.length ? [t("inbound.reader.cc"), held.cc.join(", ")] : null,
    held.reply_to.length && held.reply_to.join(",").toLowerCase() !== (held.from.address || "").toLowerCase()
      ? [t("inbound.reader.replyTo"), held.reply_to.join(", ")] : null,
    held.date ? [t("inbound.reader.date"), formatDate(held.date)] : null,
  ];
  const facts = rows.filter((row) => row !== null);
  const checks = VERDICT_NAMES.filter((name) => held.verdicts[name]).map((name) => {
    const status = held.verdicts[name];
    const word = has(`inbound.verdict.${status}`) ? t(`inbound.verdict.${status}`) : status;
    return h("li", { text: t("inbound.checkResult", { check: t(`inbound.check.${name}`), result: word }) });
  });
  if (held.dmarc_policy) checks.push(h("li", { text: t("inbound.dmarcPolicy", { policy: held.dmarc_policy }) }));
  const doubt = held.sender_doubt
    || (held.delivery.outcome === "unverified_sender" ? held.delivery.reason || " " : "");
  return [
    doubt ? notice("warning", h("div", {}, h("strong", { text: t("inbound.reader.doubt") }), " ", doubt.trim())) : null,
    h("dl", { class: "qa" },
      facts.map(([label, value]) => [h("dt", { text: label }), h("dd", { text: value })]),
      checks.length ? [h("dt", { text: t("inbound.reader.checks") }), h("dd", {}, h("ul", {}, checks))] : null),
    h("h3", { class: "section-title", text: t("inbound.reader.message") }),
    held.text.trim()
      ? h("pre", { class: "message__body", text: held.text })
      : h("p", { class: "muted", text: t("inbound.reader.noText") }),
    held.text_truncated ? h("p", { class: "muted", text: t("inbound.reader.truncated") }) : null,
    held.has_html ? h("p", { class: "muted", text: t("inbound.reader.htmlHidden") }) : null,
    held.attachments.length ? [
      h("h3", { class: "section-title", text: t("inbound.reader.attachments") }),
      h("ul", {}, held.attachments.map((file) =>
        h("li", { class: "break", text: `${file.filename} (${file.content_type}, ${formatBytes(file.size)})` }))),
    ] : null,
    held.warnings.length ? h("details", { class: "disclosure" },
      h("summary", { text: t("inbound.reader.warnings", { count: held.warnings.length }) }),
      h("ul", {}, held.warnings.map((warning) => h("li", { class: "break", text: warning })))) : null,
  ];
}

// @ts-check
// The audit log in words: actions, outcomes, targets, details and before → after, in the
// reader's language (a code this page does not know yet shows as it is).

import { h } from "../dom.js";
import { t, has } from "../i18n.js";
import { humanize } from "./page.js";

/** An action's name in the admin's language; a code this page does not know yet shows as is. */
export function auditAction(/** @type {string} */ action) {
  const key = `admin.auditAction.${action}`;
  return has(key) ? t(key) : action;
}

export function auditOutcome(/** @type {string} */ outcome) {
  const key = `admin.auditOutcome.${outcome}`;
  return has(key) ? t(key) : outcome;
}

/** A detail's value as short text: lists joined, roles and known codes in words.
 * @param {string} key @param {unknown} value @returns {string} */
function auditValue(key, value) {
  if (value == null || value === "") return "—";
  if (Array.isArray(value)) return value.length ? value.map((v) => auditValue(key, v)).join(", ") : "—";
  if (typeof value === "object") return Object.entries(value).map(([k, v]) => `${k}: ${auditValue(k, v)}`).join(", ");
  if (key === "role" && has(`role.${value}`)) return t(`role.${value}`);
  if ((key === "method" || key === "methods") && has(`admin.signInMethod.${value}`)) return t(`admin.signInMethod.${value}`);
  return String(value);
}

// What the filters offer: the actions of each kind the server records (services/audit.py:
// kind_of files every `auth.*` action as a sign-in, everything else as a change).
/** @type {Record<string, string[]>} */
export const AUDIT_ACTIONS = {
  change: ["settings.update", "user.create", "user.update", "user.disable", "org.create", "org.rename", "org.update",
    "team.create", "team.update", "inbound.retry", "inbound.release", "inbound.discard", "inbound.force",
    "suppression.lift", "access.denied", "attachment.rejected", "follower.add", "follower.remove",
    "ticket.close", "canned.create", "canned.update", "canned.delete", "ticket.merge"],
  signin: ["auth.login", "auth.logout", "auth.lockout", "auth.password_change", "auth.reset",
    "auth.reset_request", "auth.register", "auth.verify_email", "auth.magic_link.request",
    "auth.second_factor.enrol", "auth.second_factor.use", "auth.second_factor.remove",
    "auth.second_factor.recovery", "auth.second_factor.recovery_codes", "auth.second_factor.reset",
    "auth.passkey.register", "auth.passkey.remove"],
};

/** A changed field's name in words: the audit's own label, else the setting's name. */
function auditField(/** @type {string} */ path) {
  const key = `admin.auditDetail.${path}`;
  if (has(key)) return t(key);
  const [first, ...rest] = path.split(".");
  return [humanize(first), ...rest].join(" · ");
}

/** Before → after, one line per changed field (settings down to a mail override's subject). */
function auditChanges(/** @type {AuditChange[]} */ changes) {
  return h("ul", { class: "audit-changes" }, changes.map((change) => h("li", {
    text: change.more ? t("admin.auditMoreChanges", { count: change.more }) : t("admin.auditChange", {
      field: auditField(change.field),
      before: auditValue(change.field, change.before), after: auditValue(change.field, change.after),
    }),
  })));
}

export function auditDetails(/** @type {AuditEntry["details"]} */ details) {
  if (!details || typeof details !== "object") return null;
  return h("dl", { class: "audit-details" }, Object.entries(details).map(([key, value]) => {
    const labelKey = `admin.auditDetail.${key}`;
    const shown = key === "changes" && Array.isArray(value) ? auditChanges(value) : auditValue(key, value);
    return h("div", { class: "audit-details__item" },
      h("dt", { text: has(labelKey) ? t(labelKey) : key }), h("dd", {}, shown));
  }));
}

/** Actions whose target is an account other than the actor's, named by a look-up. */
export function namesAnAccount(/** @type {string} */ action) {
  return action.startsWith("user.") || action === "auth.second_factor.reset";
}

/** Who a target is, in words where the entry or a look-up says it; else its code.
 * @param {AuditEntry} entry @param {(id: string) => string | null} userName */
export function auditTarget(entry, userName) {
  const target = entry.target || "";
  if (!target) return null;
  if (target === "portal") return t("admin.auditTarget.portal");
  if (target.startsWith("ticket:")) return t("admin.auditTarget.ticket", { id: target.slice(7, 15) });
  if (target.startsWith("inbound:")) return t("admin.auditTarget.inbound");
  if (/^(org|team)\./.test(entry.action) && entry.details && entry.details.name) return String(entry.details.name);
  if (namesAnAccount(entry.action)) return userName(target) || target;
  // A sign-in, a reset and the like name the account the actor's email already shows.
  if (entry.action.startsWith("auth.") && (target === entry.actor_id || entry.actor_email)) {
    return userName(target) || entry.actor_email || target;
  }
  // A shared canned response: its title when the change was made.
  if (entry.action.startsWith("canned.") && entry.details && entry.details.title) return String(entry.details.title);
  return target;
}

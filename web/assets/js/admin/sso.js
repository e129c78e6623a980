// @ts-check
// The settings page's "Single sign-on" section: the OpenID providers people may sign in with
// (portal setting `sso_providers`, services/oidc_config.py). Each provider: its name on the
// button, an id (in its addresses), the issuer, the client id, WHERE its client secret is kept
// (never the secret), the roles it admits, and the email domains it speaks for, each with the
// organization new customers join and whether password sign-in is off there. Saved on its own
// (the settings API is a merge: the rest of the settings are not sent).

import { h, icon, field, notice, uid } from "../dom.js";
import { patch, problemsOf } from "../api.js";
import { t, errorText, fieldErrorText } from "../i18n.js";
import { section } from "./controls.js";

const ROLES = ["customer", "agent", "admin"];

/**
 * @typedef {{ id: string, name: string, issuer: string, client_id: string, client_secret_ref: string,
 *   roles: string[], domains: Record<string, string>, create_accounts: boolean,
 *   password_off_domains: string[] }} SsoProvider
 * @typedef {{ block: HTMLElement, errorEl: HTMLElement, value: () => SsoProvider }} ProviderBlock
 */

/** One row of a provider's domains: the domain, the organization of the customers it creates
 * there, whether password sign-in is off for it.
 * @param {Org[]} orgs @param {{domain?: string, org?: string, off?: boolean}} value */
function domainRow(orgs, value) {
  const domain = h("input", { class: "input input--small", value: value.domain || "", maxlength: 253,
    placeholder: "example.com", autocomplete: "off" });
  const org = h("select", { class: "select select--small" },
    h("option", { value: "", text: t("sso.noOrg") }),
    orgs.map((o) => h("option", { value: o.id, text: o.name, selected: o.id === value.org })));
  if (value.org && !orgs.some((o) => o.id === value.org)) {
    org.append(h("option", { value: value.org, text: value.org, selected: true }));
  }
  const off = h("input", { type: "checkbox", class: "checkbox", id: uid("off"), checked: Boolean(value.off) });
  const remove = h("button", { type: "button", class: "btn btn--ghost btn--small rows__remove" },
    icon("trash"), h("span", { class: "sr-only", text: t("admin.removeRow") }));
  const row = h("div", { class: "rows__row" },
    h("label", { class: "rows__cell" }, h("span", { class: "rows__label", text: t("sso.domain") }), domain),
    h("label", { class: "rows__cell" }, h("span", { class: "rows__label", text: t("sso.org") }), org),
    h("span", { class: "check" }, off, h("label", { for: off.id, text: t("sso.passwordOff") })),
    remove);
  remove.addEventListener("click", () => row.remove());
  return Object.assign(row, {
    read: () => ({ domain: domain.value.trim().toLowerCase(), org: org.value, off: off.checked }),
  });
}

/** @param {Org[]} orgs @param {Partial<SsoProvider>} value @param {() => void} removed
 * @returns {ProviderBlock} */
function providerBlock(orgs, value, removed) {
  const text = (/** @type {string} */ current, /** @type {Record<string, unknown>} */ attrs = {}) =>
    h("input", { class: "input", value: current, autocomplete: "off", ...attrs });
  const name = text(value.name || "", { maxlength: 60 });
  const id = text(value.id || "", { maxlength: 40, pattern: "[a-z0-9][a-z0-9_-]*" });
  const issuer = text(value.issuer || "", { maxlength: 500, type: "url", placeholder: "https://" });
  const clientId = text(value.client_id || "", { maxlength: 500 });
  const secretRef = text(value.client_secret_ref || "", { maxlength: 2048 });
  const redirect = h("code", { class: "sso-redirect" });
  const showRedirect = () => {
    redirect.textContent = `${location.origin}/api/auth/oidc/${id.value.trim() || "…"}/callback`;
  };
  id.addEventListener("input", showRedirect);
  showRedirect();
  const roles = ROLES.map((role) => {
    const input = h("input", { type: "checkbox", class: "checkbox", value: role, id: uid("role"),
      checked: (value.roles || ["customer"]).includes(role) });
    return { input, el: h("span", { class: "check" }, input, h("label", { for: input.id, text: t(`role.${role}`) })) };
  });
  const create = h("input", { type: "checkbox", class: "checkbox", id: uid("create"),
    checked: Boolean(value.create_accounts) });
  const rows = h("div", { class: "rows" });
  const off = new Set(value.password_off_domains || []);
  for (const [domain, org] of Object.entries(value.domains || {})) {
    rows.append(domainRow(orgs, { domain, org, off: off.has(domain) }));
  }
  const addDomain = h("button", { type: "button", class: "btn btn--secondary btn--small" }, icon("plus"),
    h("span", { text: t("sso.addDomain") }));
  addDomain.addEventListener("click", () => {
    const row = domainRow(orgs, {});
    rows.append(row);
    row.querySelector("input")?.focus();
  });
  const errorEl = h("p", { class: "field__error field__error--lines", role: "alert", hidden: true });
  const legend = h("legend", { class: "field__label" });
  const label = () => { legend.textContent = name.value.trim() || t("sso.untitled"); };
  name.addEventListener("input", label);
  label();
  const remove = h("button", { type: "button", class: "btn btn--ghost btn--small" }, icon("trash"),
    h("span", { text: t("sso.remove") }));
  const block = h("fieldset", { class: "field fieldset sso-provider" }, legend,
    h("div", { class: "grid grid--2" },
      field(t("sso.name"), name, { hint: t("sso.nameHint") }), field(t("sso.id"), id, { hint: t("sso.idHint") })),
    field(t("sso.issuer"), issuer, { hint: t("sso.issuerHint") }),
    h("div", { class: "grid grid--2" },
      field(t("sso.clientId"), clientId), field(t("sso.secretRef"), secretRef, { hint: t("sso.secretRefHint") })),
    h("p", { class: "field__hint" }, t("sso.redirect"), " ", redirect),
    h("fieldset", { class: "field fieldset" }, h("legend", { class: "field__label", text: t("sso.roles") }),
      h("div", { class: "checks" }, roles.map((r) => r.el))),
    h("fieldset", { class: "field fieldset" }, h("legend", { class: "field__label", text: t("sso.domains") }),
      h("p", { class: "field__hint", text: t("sso.domainsHint") }), rows, addDomain),
    h("div", { class: "field field--check" }, create, h("label", { for: create.id, text: t("sso.createAccounts") }),
      h("p", { class: "field__hint", text: t("sso.createAccountsHint") })),
    errorEl, h("div", { class: "form__actions" }, remove));
  remove.addEventListener("click", () => {
    block.remove();
    removed();
  });
  const value_ = () => {
    const domains = [...rows.children].map((row) => /** @type {any} */ (row).read());
    const given = domains.filter((d) => d.domain);
    return {
      id: id.value.trim(), name: name.value.trim(), issuer: issuer.value.trim(),
      client_id: clientId.value.trim(), client_secret_ref: secretRef.value.trim(),
      roles: roles.filter((r) => r.input.checked).map((r) => r.input.value),
      domains: Object.fromEntries(given.map((d) => [d.domain, d.org])),
      create_accounts: create.checked,
      password_off_domains: given.filter((d) => d.off).map((d) => d.domain),
    };
  };
  return { block, errorEl, value: value_ };
}

/** The section, appended to `main` (the settings page, admin/settings.js).
 * @param {HTMLElement} main @param {Settings} settings @param {Org[] | null} orgList */
export function ssoSection(main, settings, orgList) {
  const orgs = orgList || [];
  const list = h("div", { class: "sso-providers" });
  /** @type {ProviderBlock[]} */
  const blocks = [];
  const empty = h("p", { class: "muted", text: t("sso.none") });
  const sync = () => { empty.hidden = blocks.length > 0; };
  const add = (/** @type {Partial<SsoProvider>} */ value) => {
    /** @type {ProviderBlock} */
    const entry = providerBlock(orgs, value, () => {
      blocks.splice(blocks.indexOf(entry), 1);
      sync();
    });
    blocks.push(entry);
    list.append(entry.block);
    sync();
    return entry;
  };
  for (const provider of settings.sso_providers || []) add(provider);
  const addButton = h("button", { type: "button", class: "btn btn--secondary btn--small" }, icon("plus"),
    h("span", { text: t("sso.add") }));
  addButton.addEventListener("click", () => add({}).block.querySelector("input")?.focus());
  const status = h("div", { class: "form-status", "aria-live": "polite" });
  const save = h("button", { type: "submit", class: "btn btn--primary", text: t("sso.save") });
  const form = h("form", { class: "settings-form", novalidate: true },
    section(t("sso.title"), t("sso.lead"), empty, list, addButton,
      h("div", { class: "form__actions" }, status, save)));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    status.replaceChildren();
    for (const { errorEl } of blocks) { errorEl.textContent = ""; errorEl.hidden = true; }
    save.disabled = true;
    try {
      await patch("/api/admin/settings", { sso_providers: blocks.map((b) => b.value()) });
      status.replaceChildren(notice("success", t("sso.saved")));
    } catch (error) {
      const details = problemsOf(error);
      const general = [];
      for (const detail of details) {
        const [, index] = String(detail.field || "").split(".");
        const block = /^\d+$/.test(index || "") ? blocks[Number(index)] : undefined;
        if (!block) { general.push(fieldErrorText(detail)); continue; }
        block.errorEl.textContent = [block.errorEl.textContent, fieldErrorText(detail)].filter(Boolean).join("\n");
        block.errorEl.hidden = false;
      }
      status.replaceChildren(notice("error", general[0] || (details.length ? t("admin.invalid") : errorText(error))));
    } finally {
      save.disabled = false;
    }
  });
  main.querySelector(".page--admin")?.append(form);
}

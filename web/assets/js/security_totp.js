// @ts-check
// The profile's Security section: two-step verification with an authenticator app (TOTP) and
// its recovery codes (services/second_factor.py). Set up: a QR code and the key as text, then a
// code confirms it and the recovery codes are shown once. Removing it, or replacing the
// recovery codes, asks for the password or a current code.

import { h, field, notice, uid } from "./dom.js";
import { get, post } from "./api.js";
import { t, errorText } from "./i18n.js";
import { totpSetupView, recoveryCodesView } from "./second_factor_step.js";

/** @typedef {{ totp: boolean, passkey: boolean, recovery_codes_left: number, required: boolean }} FactorStatus */

/** The section, filled once the status is read. */
export function securityTotpCard() {
  const id = uid("sec");
  const status = h("div", { class: "form-status", "aria-live": "polite" });
  const body = h("div", { class: "form" });
  const heading = h("h2", { class: "card__title", id, tabindex: "-1", text: t("security.title") });
  const section = h("section", { class: "card", "aria-labelledby": id, "data-section": "totp" },
    heading, body, status);
  /** @param {"success" | "error" | "info"} kind @param {string} text */
  const say = (kind, text) => status.replaceChildren(notice(kind, text));

  async function show() {
    /** @type {FactorStatus} */
    const state = await get("/api/me/second-factor");
    body.replaceChildren(...overview(state));
  }

  /** @param {FactorStatus} state @returns {HTMLElement[]} */
  function overview(state) {
    const required = state.required ? notice("info", t("security.required")) : null;
    if (!state.totp) {
      const begin = h("button", { class: "btn btn--primary", type: "button", text: t("security.setUp") });
      begin.addEventListener("click", () => setUp(begin));
      return [h("p", { class: "muted", text: t("security.offLead") }), ...(required ? [required] : []),
        h("div", { class: "form__actions" }, begin)];
    }
    const renew = h("button", { class: "btn", type: "button", text: t("security.newCodes") });
    const remove = h("button", { class: "btn btn--danger", type: "button", text: t("security.remove") });
    renew.addEventListener("click", () => prove(t("security.newCodesLead"), "/api/me/second-factor/recovery-codes",
      (/** @type {any} */ answer) => codesShown(answer.recovery_codes)));
    remove.addEventListener("click", () => prove(t("security.removeLead"), "/api/me/second-factor/totp/remove",
      async () => {
        await show();
        say("success", t("security.removed"));
      }));
    return [
      h("p", { class: "security__state", "data-totp": "on" }, t("security.onLead")),
      h("p", { class: "muted", text: t("security.codesLeft", { count: state.recovery_codes_left }) }),
      ...(required ? [required] : []),
      h("div", { class: "form__actions" }, renew, remove),
    ];
  }

  /** @param {HTMLButtonElement} begin */
  async function setUp(begin) {
    begin.disabled = true;
    status.replaceChildren();
    try {
      const setup = await post("/api/me/second-factor/totp", {});
      body.replaceChildren(totpSetupView(setup, "/api/me/second-factor/totp/confirm",
        (/** @type {any} */ answer) => codesShown(answer.recovery_codes, t("security.enabled"))));
      body.querySelector("input")?.focus();
    } catch (error) {
      begin.disabled = false;
      say("error", errorText(error));
    }
  }

  /** The recovery codes, once, and "Done" back to the overview.
   * @param {string[]} codes @param {string} [said] */
  function codesShown(codes, said) {
    const done = h("button", { class: "btn btn--primary", type: "button", text: t("security.done") });
    done.addEventListener("click", async () => {
      status.replaceChildren();
      await show();
      heading.focus();
    });
    const title = h("h3", { tabindex: "-1", text: t("second.codesTitle") });
    body.replaceChildren(title,
      h("p", { class: "muted", text: t("second.codesLead") }),
      recoveryCodesView(codes), h("div", { class: "form__actions" }, done));
    if (said) say("success", said);
    title.focus();
  }

  /** The password or a current code, then `path`.
   * @param {string} lead @param {string} path @param {(answer: any) => Promise<void> | void} then */
  function prove(lead, path, then) {
    status.replaceChildren();
    const proof = field(t("security.proof"), h("input", { class: "input", type: "password",
      name: "proof", autocomplete: "current-password", required: true, maxlength: 1024, autofocus: true }),
    { hint: t("security.proofHint") });
    const go = h("button", { class: "btn btn--primary", type: "submit", text: t("security.continue") });
    const cancel = h("button", { class: "btn", type: "button", text: t("common.cancel") });
    cancel.addEventListener("click", async () => { status.replaceChildren(); await show(); heading.focus(); });
    const form = h("form", { class: "form" }, h("p", { class: "muted", text: lead }), proof,
      h("div", { class: "form__actions" }, go, cancel));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const value = proof.control.value.trim();
      go.disabled = true;
      try {
        // Six digits are a code from the app; anything else is the password.
        const answer = await post(path, /^\d{6}$/.test(value) ? { code: value } : { password: proof.control.value });
        await then(answer);
      } catch (error) {
        go.disabled = false;
        say("error", errorText(error));
      }
    });
    body.replaceChildren(form);
    proof.control.focus();
  }

  show().catch((error) => say("error", errorText(error)));
  return section;
}

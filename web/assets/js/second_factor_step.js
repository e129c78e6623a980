// @ts-check
// The pages of a sign-in's second step (auth_second_factor.js loads this when one is needed): a
// code from the authenticator app or a recovery code, a passkey when offered, or setting up the
// app a requirement forces; and the set-up and recovery-code views the profile's Security
// section shares (security_totp.js).

import { h, field, notice, append, clear } from "./dom.js";
import { post, ApiError } from "./api.js";
import { t, errorText, loadStrings } from "./i18n.js";
import { setTitle } from "./shell/state.js";

/**
 * @typedef {import("./auth_second_factor.js").SecondFactorStep} SecondFactorStep
 * @typedef {import("./auth_second_factor.js").Finish} Finish
 * @typedef {import("./auth_second_factor.js").PasskeyStep} PasskeyStep
 * @typedef {{ secret: string, uri: string, qr_svg: string }} TotpSetup
 */

/** The step in `main`: an enrolment first when one is required and none is set up. Its
 * words and styles are the signed-in pages' (pages.js, pages.css): loaded here, not with the
 * sign-in page, which stays light for everyone else.
 * @param {HTMLElement} main @param {SecondFactorStep} step @param {Finish} finish @param {PasskeyStep} passkeyStep */
export async function showStep(main, step, finish, passkeyStep) {
  await Promise.all([loadStrings("pages"), pageStyles()]);
  clear(main);
  if (step.enrol) enrolStep(main, step, finish, passkeyStep);
  else codeStep(main, step, finish, passkeyStep);
}

/** pages.css, unless the page has it (the router adds it once signed in: the same file). */
function pageStyles() {
  if (document.querySelector('link[href="/assets/pages.css"]')) return Promise.resolve();
  return new Promise((resolve) => {
    const link = h("link", { rel: "stylesheet", href: "/assets/pages.css" });
    link.addEventListener("load", () => resolve(undefined));
    link.addEventListener("error", () => resolve(undefined));
    document.head.append(link);
  });
}

/** @param {string} title @param {string | null} lead @param {Child[]} content */
function card(title, lead, ...content) {
  return h("section", { class: "auth" },
    h("div", { class: "auth__card" },
      h("h1", { class: "auth__title", text: title }),
      lead ? h("p", { class: "auth__lead", text: lead }) : null,
      ...content));
}

function submitButton(/** @type {string} */ label) {
  return h("button", { class: "btn btn--primary btn--block", type: "submit", text: label });
}

function startAgain() {
  return h("p", { class: "auth__alt" }, h("a", { href: "/login", text: t("auth.backToSignIn") }));
}

/** Runs `action` on submit, the button busy, a refusal said in `status`. An expired step says
 * so and offers to sign in again.
 * @param {HTMLFormElement} form @param {HTMLElement} status @param {() => Promise<void>} action */
function onSubmit(form, status, action) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = /** @type {HTMLButtonElement} */ (form.querySelector("[type=submit]"));
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    status.replaceChildren();
    try {
      await action();
    } catch (error) {
      status.replaceChildren(notice("error", errorText(error)));
      if (error instanceof ApiError && error.code === "second_factor_expired") {
        form.replaceWith(status, h("a", { class: "btn btn--primary btn--block", href: "/login",
          text: t("auth.signInAgain") }));
      }
    } finally {
      button.disabled = false;
      button.removeAttribute("aria-busy");
    }
  });
}

/** The code input: six digits from the app, or a recovery code once asked for.
 * @param {boolean} recovery */
function codeInput(recovery) {
  return h("input", {
    class: "input", type: "text", name: "code", required: true, autofocus: true,
    autocomplete: recovery ? "off" : "one-time-code", inputmode: recovery ? "text" : "numeric",
    maxlength: 40, spellcheck: "false", autocapitalize: "off",
  });
}

/** @param {HTMLElement} main @param {SecondFactorStep} step @param {Finish} finish @param {PasskeyStep} passkeyStep */
function codeStep(main, step, finish, passkeyStep) {
  setTitle(t("second.title"));
  const hasApp = step.methods.includes("totp");
  let recovery = !hasApp;
  const code = field(recovery ? t("second.recoveryCode") : t("second.code"), codeInput(recovery));
  const status = h("div", { class: "form-status", "aria-live": "polite" });
  const form = h("form", { class: "form", "data-step": "second-factor" }, code, status,
    submitButton(t("second.verify")));
  onSubmit(form, status, async () => {
    /** @type {SignedIn} */
    const result = await post("/api/auth/second-factor", { code: code.control.value.trim() },
      { quiet: true });
    await finish(result);
  });
  const passkeyOnly = !hasApp && step.methods.includes("passkey") && Boolean(passkeyStep.answer);
  const lead = h("p", { class: "auth__lead",
    text: passkeyOnly ? t("second.passkeyLead") : recovery ? t("second.recoveryLead") : t("second.codeLead") });
  const toggle = hasApp && step.methods.includes("recovery_code")
    ? h("button", { class: "btn btn--ghost", type: "button", text: t("second.useRecovery") })
    : null;
  toggle?.addEventListener("click", () => {
    recovery = !recovery;
    const input = codeInput(recovery);
    input.id = code.control.id;
    input.setAttribute("aria-describedby", code.control.getAttribute("aria-describedby") || "");
    code.control.replaceWith(input);
    code.control = input;
    const label = code.querySelector("label");
    if (label) label.textContent = recovery ? t("second.recoveryCode") : t("second.code");
    lead.textContent = recovery ? t("second.recoveryLead") : t("second.codeLead");
    toggle.textContent = recovery ? t("second.useApp") : t("second.useRecovery");
    status.replaceChildren();  // a refusal of the other kind of code no longer applies
    input.focus();
  });
  const passkey = step.methods.includes("passkey") && passkeyStep.answer ? passkeyStep.answer(finish) : null;
  append(main, h("section", { class: "auth" },
    h("div", { class: "auth__card" },
      h("h1", { class: "auth__title", text: t("second.title") }), lead,
      passkey, passkey && hasApp ? h("p", { class: "auth__or", text: t("second.or") }) : null,
      hasApp || !passkey ? form : null,
      toggle ? h("p", { class: "auth__alt" }, toggle) : null,
      startAgain())));
  // `autofocus` counts only on a page's first load: the step replaces the sign-in form in place
  (hasApp || !passkey ? code.control
    : /** @type {HTMLElement | null} */ (main.querySelector(".auth__passkey button")))?.focus();
}

/** A second factor is required and none is set up: set up an authenticator app (or register a
 * passkey, when offered), then sign in.
 * @param {HTMLElement} main @param {SecondFactorStep} step @param {Finish} finish @param {PasskeyStep} passkeyStep */
function enrolStep(main, step, finish, passkeyStep) {
  setTitle(t("second.enrolTitle"));
  const passkey = step.methods.includes("passkey") && passkeyStep.enrol ? passkeyStep.enrol(finish) : null;
  const status = h("div", { class: "form-status", "aria-live": "polite" });
  const begin = h("button", { class: "btn btn--primary btn--block", type: "button", text: t("second.enrolApp") });
  const body = h("div", { class: "enrol" }, begin);
  begin.addEventListener("click", async () => {
    begin.disabled = true;
    try {
      /** @type {TotpSetup} */
      const setup = await post("/api/auth/second-factor/totp", {}, { quiet: true });
      body.replaceChildren(totpSetupView(setup, "/api/auth/second-factor/totp/confirm",
        async (/** @type {any} */ result) => {
          clear(main);
          append(main, card(t("second.codesTitle"), t("second.codesLead"),
            recoveryCodesView(result.recovery_codes),
            h("button", { class: "btn btn--primary btn--block", type: "button", text: t("second.continue"),
              onClick: () => finish(result) })));
          focusTitle(main);
        }));
      body.querySelector("input")?.focus();
    } catch (error) {
      begin.disabled = false;
      status.replaceChildren(notice("error", errorText(error)));
    }
  });
  append(main, card(t("second.enrolTitle"), t("second.enrolLead"),
    passkey, passkey ? h("p", { class: "auth__or", text: t("second.or") }) : null,
    body, status, startAgain()));
  focusTitle(main);
}

/** A new step's title takes the focus (a screen reader reads where the person now is).
 * @param {HTMLElement} main */
function focusTitle(main) {
  const title = /** @type {HTMLElement | null} */ (main.querySelector(".auth__title"));
  title?.setAttribute("tabindex", "-1");
  title?.focus();
}

/** The secret as a QR code and as text, and the first code that confirms it. Shared with the
 * profile's Security section (security_totp.js).
 * @param {TotpSetup} setup @param {string} confirmPath @param {(result: any) => Promise<void> | void} done */
export function totpSetupView(setup, confirmPath, done) {
  const qr = h("img", {
    class: "totp__qr", alt: t("second.qrAlt"), width: 200, height: 200,
    src: `data:image/svg+xml;base64,${btoa(setup.qr_svg)}`,
  });
  const secret = h("code", { class: "totp__secret", "data-secret": setup.secret,
    text: setup.secret.replace(/(.{4})(?=.)/g, "$1 ") });
  const code = field(t("second.code"), codeInput(false), { hint: t("second.confirmHint") });
  const status = h("div", { class: "form-status", "aria-live": "polite" });
  const form = h("form", { class: "form" }, code, status, submitButton(t("second.confirm")));
  onSubmit(form, status, async () => {
    const result = await post(confirmPath, { code: code.control.value.trim() }, { quiet: true });
    await done(result);
  });
  return h("div", { class: "totp" },
    h("ol", { class: "totp__steps" },
      h("li", { text: t("second.scan") }),
      h("li", null, qr),
      h("li", null, t("second.manual"), " ", secret),
      h("li", { text: t("second.typeCode") })),
    form);
}

/** Recovery codes, shown once: a list, and copy and download buttons.
 * @param {string[]} codes */
export function recoveryCodesView(codes) {
  const text = `${codes.join("\n")}\n`;
  const said = h("span", { class: "recovery__said", role: "status" });
  const copy = h("button", { class: "btn btn--secondary", type: "button", text: t("second.copy") });
  copy.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(text);
      said.textContent = t("second.copied");
    } catch {
      said.textContent = t("second.copyFailed");
    }
  });
  const download = h("a", { class: "btn btn--secondary", download: "recovery-codes.txt", text: t("second.download"),
    href: "#" });
  download.addEventListener("click", () => {
    download.setAttribute("href", URL.createObjectURL(new Blob([text], { type: "text/plain" })));
  });
  return h("div", { class: "recovery" },
    notice("warning", t("second.codesOnce")),
    h("ul", { class: "recovery__codes", "data-recovery-codes": "" },
      codes.map((c) => h("li", null, h("code", { text: c })))),
    h("div", { class: "recovery__actions" }, copy, download, said));
}

// @ts-check
// Pages before (and at) sign-in: sign in, forgotten password, reset, registration, email
// verification, the forced password change, and the page that says the session ended.

import { h, field, notice, append, icon } from "./dom.js";
import { post, get, ApiError } from "./api.js";
import { t, errorText, language } from "./i18n.js";
import { state, homeFor, setTitle } from "./shell/state.js";
import { navigate } from "./shell/navigation.js";
import { updateUser } from "./shell/account.js";
import { afterFirstFactor } from "./auth_second_factor.js";
import { ssoSignIn } from "./auth_sso.js";
import { passkeySignIn } from "./auth_passkey.js";

// Why a session ended, as the server says it (error.details.reason).
const END_REASONS = new Set(["idle", "expired", "signed_out", "password_changed", "account_disabled"]);

/** `next` only when it is a path of this portal: never another site ("//host", "/\\host",
 * "https://..."), so a crafted sign-in link cannot send a person elsewhere once signed in. */
export function safeNext(/** @type {string | null} */ next) {
  if (!next || !next.startsWith("/") || next.startsWith("//") || next.startsWith("/\\")) return null;
  if (/[\u0000-\u001f\\]/.test(next)) return null;
  try {
    const url = new URL(next, location.origin);
    if (url.origin !== location.origin) return null;
    if (["/login", "/sign-in", "/session-expired"].includes(url.pathname)) return null;
    // "/..//evil" normalises to "//evil"
    if (url.pathname.startsWith("//") || url.pathname.startsWith("/\\")) return null;
    return url.pathname + url.search;
  } catch {
    return null;
  }
}

/** @param {string} title @param {string | null} lead @param {Child[]} content */
function card(title, lead, ...content) {
  return h("section", { class: "auth" },
    h("div", { class: "auth__card" },
      h("h1", { class: "auth__title", text: title }),
      lead ? h("p", { class: "auth__lead", text: lead }) : null,
      ...content));
}

/** @param {string} type @param {string} name @param {string} autocomplete @param {Record<string, unknown>} [extra] */
function input(type, name, autocomplete, extra = {}) {
  return h("input", { class: "input", type, name, autocomplete, required: true, ...extra });
}

function submitButton(/** @type {string} */ label) {
  return h("button", { class: "btn btn--primary btn--block", type: "submit", text: label });
}

/** Runs `action` on submit with the button busy and the error shown in `status`.
 * A refusal is an ApiError, or a {code, message} the page throws itself.
 * @param {HTMLFormElement} form @param {HTMLElement} status @param {() => Promise<void>} action */
function handleSubmit(form, status, action) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = /** @type {HTMLButtonElement} */ (form.querySelector("[type=submit]"));
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    status.replaceChildren();
    try {
      await action();
    } catch (error) {
      // A weak password's reason (what to change) only the server can say.
      const text = error instanceof ApiError && error.code === "weak_password" && error.message
        ? `${t("error.weak_password")} ${error.message}` : errorText(error);
      status.replaceChildren(notice("error", text));
    } finally {
      button.disabled = false;
      button.removeAttribute("aria-busy");
    }
  });
}

/** @type {PageFn} */
export async function login({ main, query }) {
  setTitle(t("auth.signIn"));
  const email = field(t("auth.email"), input("email", "email", "username", { autofocus: true }));
  const password = field(t("auth.password"), input("password", "password", "current-password"));
  const status = h("div", { class: "form-status", "aria-live": "polite" });
  const form = h("form", { class: "form", novalidate: false }, email, password,
    h("div", { class: "form__row form__row--between" },
      h("a", { href: "/forgot-password", text: t("auth.forgot") })),
    status, submitButton(t("auth.signIn")));
  handleSubmit(form, status, async () => {
    const result = await post("/api/auth/login", {
      email: email.control.value.trim(), password: password.control.value,
    }, { quiet: true });
    // Signed in, or the second step (auth_second_factor.js) when the account has one.
    await afterFirstFactor(main, result, safeNext(query.get("next")));
  });
  const registration = state.branding.self_registration
    ? h("p", { class: "auth__alt" }, t("auth.noAccount"), " ",
      h("a", { href: "/register", text: t("auth.register") }))
    : null;
  const info = query.get("reset") === "done" ? notice("success", t("auth.resetDone")) : null;
  // Sign-in by a mailed link, when enabled: its pages are auth_magic.js (/sign-in/link).
  const magicNext = safeNext(query.get("next"));
  const magicLink = state.branding.magic_link_sign_in
    ? h("p", { class: "auth__alt" }, h("a", { href: magicNext
      ? `/sign-in/link?${new URLSearchParams({ next: magicNext })}` : "/sign-in/link", text: t("magic.offer") }))
    : null;
  append(main, card(t("auth.welcome", { name: state.branding.portal_name }), t("auth.signInLead"),
    info, form, magicLink, registration));
  passkeySignIn(main, safeNext(query.get("next")));  // "Sign in with a passkey" (auth_passkey.js)
  ssoSignIn(main, query, safeNext(query.get("next")));  // "Sign in with <provider>" (auth_sso.js)
}

/** @type {PageFn} */
export async function forgot({ main }) {
  setTitle(t("auth.forgotTitle"));
  const email = field(t("auth.email"), input("email", "email", "username", { autofocus: true }));
  const status = h("div", { class: "form-status", "aria-live": "polite" });
  const form = h("form", { class: "form" }, email, status, submitButton(t("auth.sendLink")));
  handleSubmit(form, status, async () => {
    await post("/api/auth/password-reset", { email: email.control.value.trim() }, { quiet: true });
    form.replaceWith(notice("success", t("auth.linkSent")));
  });
  append(main, card(t("auth.forgotTitle"), t("auth.forgotLead"), form,
    h("p", { class: "auth__alt" }, h("a", { href: "/login", text: t("auth.backToSignIn") }))));
}

/** @type {PageFn} */
export async function reset({ main, query }) {
  setTitle(t("auth.resetTitle"));
  const token = query.get("token") || "";
  // A spent link says so before any form; if the check fails otherwise, saving will tell.
  const usable = Boolean(token) && await post("/api/auth/password-reset/check", { token }, { quiet: true })
    .then(() => true, (error) => !(error instanceof ApiError && error.status === 400));
  if (!usable) {
    setTitle(t("auth.forgotTitle"));
    append(main, card(t("auth.forgotTitle"), null, notice("error", t("error.invalid_token")),
      h("a", { class: "btn btn--primary btn--block", href: "/forgot-password", text: t("auth.newLink") })));
    return;
  }
  const password = field(t("auth.newPassword"), input("password", "new-password", "new-password",
    { minlength: 10, autofocus: true }), { hint: t("auth.passwordHint") });
  const repeat = field(t("auth.repeatPassword"), input("password", "repeat-password", "new-password"));
  const status = h("div", { class: "form-status", "aria-live": "polite" });
  const form = h("form", { class: "form" }, password, repeat, status, submitButton(t("auth.setPassword")));
  handleSubmit(form, status, async () => {
    if (password.control.value !== repeat.control.value) {
      repeat.setError(t("auth.mismatch"));
      throw { code: "mismatch", message: t("auth.mismatch") };
    }
    repeat.setError("");
    await post("/api/auth/password-reset/confirm", { token, new_password: password.control.value },
      { quiet: true });
    navigate("/login?reset=done", { replace: true });
  });
  append(main, card(t("auth.resetTitle"), t("auth.resetLead"), form));
}

/** @type {PageFn} */
export async function register({ main }) {
  setTitle(t("auth.registerTitle"));
  if (!state.branding.self_registration) {
    append(main, card(t("auth.registerTitle"), null, notice("info", t("error.not_enabled")),
      h("p", { class: "auth__alt" }, h("a", { href: "/login", text: t("auth.backToSignIn") }))));
    return;
  }
  const name = field(t("auth.name"), input("text", "name", "name", { maxlength: 120, autofocus: true }));
  const email = field(t("auth.email"), input("email", "email", "email"));
  const password = field(t("auth.password"), input("password", "password", "new-password",
    { minlength: 10 }), { hint: t("auth.passwordHint") });
  const status = h("div", { class: "form-status", "aria-live": "polite" });
  const form = h("form", { class: "form" }, name, email, password, status,
    submitButton(t("auth.register")));
  handleSubmit(form, status, async () => {
    await post("/api/auth/register", {
      name: name.control.value.trim(), email: email.control.value.trim(),
      password: password.control.value, language: language(),
    }, { quiet: true });
    form.replaceWith(notice("success", t("auth.checkMailbox")));
  });
  append(main, card(t("auth.registerTitle"), t("auth.registerLead"), form,
    h("p", { class: "auth__alt" }, t("auth.haveAccount"), " ",
      h("a", { href: "/login", text: t("auth.signIn") }))));
}

/** @type {PageFn} */
export async function verify({ main, query }) {
  setTitle(t("auth.verifyTitle"));
  const token = query.get("token") || "";
  if (!token) {
    append(main, card(t("auth.verifyTitle"), null, notice("error", t("error.invalid_token"))));
    return;
  }
  // The link proves the mailbox; the password proves the person, and signs them in.
  const password = field(t("auth.password"), input("password", "password", "current-password",
    { autofocus: true }));
  const status = h("div", { class: "form-status", "aria-live": "polite" });
  const form = h("form", { class: "form" }, password, status, submitButton(t("auth.verifyButton")));
  handleSubmit(form, status, async () => {
    const result = await post("/api/auth/verify", { token, password: password.control.value }, { quiet: true })
      .catch((error) => {
        throw error instanceof ApiError && error.code === "invalid_token" ? { code: "verify_failed" } : error;
      });
    // Signed in, or the second step when the account's organization requires one.
    await afterFirstFactor(main, result, null);
  });
  append(main, card(t("auth.verifyTitle"), t("auth.verifyLead"), form));
}

/** @type {PageFn} */
export async function expired({ main, query }) {
  setTitle(t("auth.expiredTitle"));
  const asked = query.get("reason") || "";
  const reason = END_REASONS.has(asked) ? asked : "ended";
  // A disabled account cannot sign in again: no way back to offer.
  const next = reason === "account_disabled" ? null : safeNext(query.get("next"));
  const href = next ? `/login?${new URLSearchParams({ next })}` : "/login";
  append(main, card(t("auth.expiredTitle"), t(`session.reason.${reason}`),
    h("div", { class: "auth__icon", "aria-hidden": "true" }, icon("lock")),
    next ? h("p", { class: "auth__alt", text: t("session.backWhereYouWere") }) : null,
    h("a", { class: "btn btn--primary btn--block", href, text: t("auth.signInAgain") })));
}

/** @type {PageFn} */
export async function changePassword({ main }) {
  setTitle(t("auth.changeTitle"));
  const forced = Boolean(state.user && state.user.must_change_password);
  const current = field(forced ? t("auth.temporaryPassword") : t("auth.currentPassword"),
    input("password", "current-password", "current-password", { autofocus: true }));
  const password = field(t("auth.newPassword"), input("password", "new-password", "new-password",
    { minlength: 10 }), { hint: t("auth.passwordHint") });
  const repeat = field(t("auth.repeatPassword"), input("password", "repeat-password", "new-password"));
  const status = h("div", { class: "form-status", "aria-live": "polite" });
  const form = h("form", { class: "form" }, current, password, repeat, status,
    submitButton(t("auth.setPassword")));
  handleSubmit(form, status, async () => {
    if (password.control.value !== repeat.control.value) {
      repeat.setError(t("auth.mismatch"));
      throw { code: "mismatch", message: t("auth.mismatch") };
    }
    repeat.setError("");
    await post("/api/auth/password", {
      current_password: current.control.value, new_password: password.control.value,
    });
    /** @type {Me} */
    const me = await get("/api/me");
    updateUser(me.user);
    navigate(homeFor(me.user), { replace: true });
  });
  append(main, card(t("auth.changeTitle"), forced ? t("auth.changeForcedLead") : null, form));
}

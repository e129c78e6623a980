// @ts-check
// Sign-in by a mailed link, when the admin enables it (services/magic_links.py): the form that
// asks for one (/sign-in/link), and the page the link opens (/sign-in/link?token=…), which signs
// in — in the browser that asked, the one holding the cookie the link is bound to — and then
// asks for the second factor when the account has one.

import { h, field, notice, append, clear } from "./dom.js";
import { post, ApiError } from "./api.js";
import { t, errorText } from "./i18n.js";
import { state, setTitle } from "./shell/state.js";
import { safeNext } from "./auth.js";
import { afterFirstFactor } from "./auth_second_factor.js";

const PATH = "/sign-in/link";
// Where to go once signed in, kept from the request to the link (which opens in this browser,
// maybe in another tab): the link itself carries nothing but its token.
const NEXT_KEY = "parley.magicLinkNext";

/** @param {string} title @param {string | null} lead @param {Child[]} content */
function card(title, lead, ...content) {
  return h("section", { class: "auth" },
    h("div", { class: "auth__card" },
      h("h1", { class: "auth__title", text: title }),
      lead ? h("p", { class: "auth__lead", text: lead }) : null,
      ...content));
}

function backToSignIn() {
  return h("p", { class: "auth__alt" }, h("a", { href: "/login", text: t("auth.backToSignIn") }));
}

/** @type {PageFn} */
export async function magicLink({ main, query }) {
  setTitle(t("magic.title"));
  const token = query.get("token");
  if (!state.branding.magic_link_sign_in) {
    append(main, card(t("magic.title"), null, notice("info", t("error.magic_link_off")), backToSignIn()));
  } else if (token) {
    // The token leaves the address bar (and the history) once read.
    history.replaceState(null, "", PATH);
    await confirm(main, token);
  } else {
    ask(main, safeNext(query.get("next")));
  }
}

/** The request form: the same answer for every address, and a cookie that binds the link.
 * @param {HTMLElement} main @param {string | null} next */
function ask(main, next) {
  const email = field(t("auth.email"), h("input", {
    class: "input", type: "email", name: "email", autocomplete: "username", required: true, autofocus: true,
  }));
  const status = h("div", { class: "form-status", "aria-live": "polite" });
  const button = h("button", { class: "btn btn--primary btn--block", type: "submit", text: t("magic.send") });
  const form = h("form", { class: "form" }, email, status, button);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    status.replaceChildren();
    try {
      await post("/api/auth/magic-link", { email: email.control.value.trim() }, { quiet: true });
      if (next) localStorage.setItem(NEXT_KEY, next);
      else localStorage.removeItem(NEXT_KEY);
      form.replaceWith(notice("success", t("magic.sent")));
    } catch (error) {
      status.replaceChildren(notice("error", errorText(error)));
    } finally {
      button.disabled = false;
      button.removeAttribute("aria-busy");
    }
  });
  append(main, card(t("magic.title"), t("magic.lead"), form, backToSignIn()));
}

/** The link's page: spend it here, then finish as a password sign-in does.
 * @param {HTMLElement} main @param {string} token */
async function confirm(main, token) {
  const waiting = card(t("magic.title"), null, h("p", { class: "auth__lead", text: t("magic.signingIn") }));
  append(main, waiting);
  /** @type {any} */
  let answer;
  try {
    answer = await post("/api/auth/magic-link/confirm", { token }, { quiet: true });
  } catch (error) {
    clear(main);
    const code = error instanceof ApiError ? error.code : "";
    const text = code === "invalid_token" ? t("magic.spent") : errorText(error);
    append(main, card(t("magic.title"), null, notice("error", text),
      code === "magic_link_other_browser" ? h("p", { class: "auth__lead", text: t("magic.otherBrowserHint") }) : null,
      h("a", { class: "btn btn--primary btn--block", href: PATH, text: t("auth.newLink") }),
      backToSignIn()));
    return;
  }
  const next = safeNext(localStorage.getItem(NEXT_KEY));
  localStorage.removeItem(NEXT_KEY);
  waiting.remove();
  await afterFirstFactor(main, answer, next);
}

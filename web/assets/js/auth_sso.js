// @ts-check
// Sign-in with an OpenID provider (services/oidc.py), on the sign-in page: one button per
// provider the admin configured ("Sign in with Acme SSO"), each a plain link to the start route,
// which sends the browser to the provider. The provider sends it back through the callback to
// this page: `?sso=done` finishes (the page asks for the session once, and with it the CSRF
// token every signed-in request carries), `?sso_error=<code>` says why not.

import { h, notice } from "./dom.js";
import { get, post } from "./api.js";
import { t, errorText } from "./i18n.js";
import { afterFirstFactor } from "./auth_second_factor.js";

/** @typedef {{ id: string, name: string }} OfferedProvider */

/** The sign-in page's part: `card` is its card, `next` where to go once signed in (already
 * checked to be a path of this portal).
 * @param {HTMLElement} main @param {URLSearchParams} query @param {string | null} next */
export async function ssoSignIn(main, query, next) {
  const card = /** @type {HTMLElement | null} */ (main.querySelector(".auth__card"));
  if (!card) return;
  const failed = query.get("sso_error");
  const status = h("div", { class: "form-status", "aria-live": "polite" });
  if (failed || query.get("sso") === "done") card.querySelector("form")?.before(status);
  if (failed) {
    // The code names the reason (error.<code>); one this page does not know reads as generic
    status.replaceChildren(notice("error", errorText({ code: /^[a-z_]{1,40}$/.test(failed) ? failed : "sso_failed" })));
  } else if (query.get("sso") === "done") {
    status.replaceChildren(notice("info", t("sso.finishing")));
    history.replaceState(null, "", next ? `/login?${new URLSearchParams({ next })}` : "/login");
    try {
      await afterFirstFactor(main, await post("/api/auth/oidc/complete", {}, { quiet: true }), next);
      return;
    } catch (error) {
      status.replaceChildren(notice("error", errorText(error)));
    }
  }
  /** @type {{ providers: OfferedProvider[] }} */
  const offered = await get("/api/auth/oidc/providers", null, { quiet: true })
    .catch(() => ({ providers: [] }));
  if (!offered.providers.length) return;
  const params = next ? `?${new URLSearchParams({ next })}` : "";
  card.querySelector("form")?.after(
    h("p", { class: "auth__or", text: t("sso.or") }),
    h("div", { class: "auth__providers" }, offered.providers.map((provider) =>
      h("a", {
        class: "btn btn--secondary btn--block",
        href: `/api/auth/oidc/${encodeURIComponent(provider.id)}/start${params}`,
        text: t("sso.signInWith", { name: provider.name }),
      }))));
}

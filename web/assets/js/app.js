// @ts-check
// The page's entry point, and the only module that runs something on import (index.html loads
// it): it wires the shell (shell/*.js) to the page and shows the first page. Pages never import
// it; what they share with the shell is in shell/state.js, navigation.js and account.js.

import { get, onAuthProblem, onSessionClock, csrfToken, setCsrfToken, ApiError } from "./api.js";
import { chooseLanguage, loadLanguage } from "./i18n.js";
import { state } from "./shell/state.js";
import { navigate, onNavigate } from "./shell/navigation.js";
import { handleAuthProblem, sessionClock, recheckSessionClock, expiredPage } from "./shell/account.js";
import { applyBranding } from "./shell/branding.js";
import { render } from "./shell/router.js";

/** Links inside the portal change the page without a reload. @param {MouseEvent} event */
function followLink(event) {
  const link = event.target instanceof Element ? event.target.closest("a[href]") : null;
  if (!(link instanceof HTMLAnchorElement) || event.defaultPrevented || event.button !== 0 || event.metaKey
    || event.ctrlKey || event.shiftKey || event.altKey || link.target || link.hasAttribute("download")) return;
  const url = new URL(link.href, location.href);
  if (url.origin !== location.origin || url.pathname.startsWith("/api/") || url.pathname.startsWith("/dev/")) return;
  if (url.hash && url.pathname === location.pathname) return;
  event.preventDefault();
  navigate(url.pathname + url.search);
}

async function boot() {
  const root = /** @type {HTMLElement} */ (document.getElementById("app"));
  const show = () => render(root);
  onNavigate(show);
  onAuthProblem(handleAuthProblem);
  onSessionClock(sessionClock);
  // Timers of a hidden tab are slowed down: look at the clock again when it is shown.
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) recheckSessionClock();
  });
  document.addEventListener("click", followLink);
  window.addEventListener("popstate", show);
  const [branding, me] = await Promise.all([
    get("/api/portal/branding", null, { quiet: true }).catch(() => null),
    csrfToken()
      ? get("/api/me", null, { quiet: true }).catch((/** @type {unknown} */ error) => ({ error }))
      : Promise.resolve(null),
  ]);
  if (branding) applyBranding(branding);
  let expired = null;
  if (me && me.user) {
    state.user = me.user;
    state.mailSuppressed = me.mail_suppressed || null;
  } else if (me && me.error) {
    setCsrfToken(null);
    if (me.error instanceof ApiError && me.error.code === "session_expired") expired = expiredPage(me.error);
  }
  await loadLanguage(chooseLanguage({ user: state.user, portalDefault: state.branding.default_language }));
  if (expired) history.replaceState(null, "", expired);
  await show();
}

boot();

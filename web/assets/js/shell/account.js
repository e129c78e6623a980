// @ts-check
// Signing in and out, and what happens when the session ends: the local session goes, the page
// says why, and signing in again returns to where the person was. The session clock
// (session.js) is loaded once signed in: the sign-in page does without it.

import { post, setCsrfToken } from "../api.js";
import { chooseLanguage, loadLanguage } from "../i18n.js";
import { forgetDrafts } from "../drafts.js";
import { state } from "./state.js";
import { navigate } from "./navigation.js";
import { match } from "./routes.js";
import { stopCounts } from "./counts.js";

/** After a successful sign-in: the token, the user, and their language. */
export async function signedIn(/** @type {SignedIn} */ result) {
  setCsrfToken(result.csrf_token);
  state.user = result.user;
  state.mailSuppressed = undefined;
  await loadLanguage(chooseLanguage({ user: result.user, portalDefault: state.branding.default_language }));
}

/** The signed-in user as the server now says it (after a password change, say). */
export function updateUser(/** @type {User} */ user) {
  state.user = user;
}

export async function logout() {
  forgetDrafts();
  try {
    await post("/api/auth/logout", {}, { quiet: true });
  } catch {
    // the session may already be gone: signing out locally is what matters
  }
  endLocalSession();
  navigate("/login");
}

function endLocalSession() {
  setCsrfToken(null);
  state.user = null;
  state.mailSuppressed = undefined;
  stopCounts();
  stopSessionClock();
}

/** The page that says why the session ended, and where signing in again returns to. */
export function expiredPage(/** @type {ApiError | null} */ error) {
  const reason = (error && error.details && !Array.isArray(error.details) && error.details.reason) || "ended";
  const found = match(location.pathname);
  const here = found && found.area !== "public" ? location.pathname + location.search : "";
  const params = new URLSearchParams({ reason: String(reason) });
  if (here) params.set("next", here);
  return `/session-expired?${params}`;
}

/** Refusals every page handles the same way (api.js hands them here): the session ended, or
 * the password must be changed first. */
export function handleAuthProblem(/** @type {ApiError} */ error) {
  if (error.status === 401) {
    const expired = error.code === "session_expired" || (state.user && error.code !== "unauthenticated");
    const wasSignedIn = Boolean(state.user);
    const target = expiredPage(error);
    const details = error.details;
    if (details && !Array.isArray(details) && details.reason === "account_disabled") forgetDrafts();
    endLocalSession();
    if (expired || wasSignedIn) navigate(target, { replace: true });
    else navigate("/login", { replace: true });
  } else if (error.code === "password_change_required") {
    if (state.user) state.user = { ...state.user, must_change_password: true };
    navigate("/change-password", { replace: true });
  }
}

// The session clock (session.js)

/** @type {SessionModule | null} */
let sessionModule = null;

/** The seconds the session has left, from every signed-in answer (api.js's onSessionClock). */
export function sessionClock(/** @type {number} */ secondsLeft) {
  if (!state.user) return;
  import("../session.js").then((module) => {
    sessionModule = module;
    if (state.user) module.sessionClock(secondsLeft, { ended: handleAuthProblem, signOut: logout });
  });
}

/** Timers of a hidden tab are slowed down: the clock looks again when the tab is shown. */
export function recheckSessionClock() {
  if (sessionModule) sessionModule.recheck();
}

function stopSessionClock() {
  if (sessionModule) sessionModule.stopSessionClock();
}

// @ts-check
// What every page may read: the signed-in user, the portal's branding, the unread counts. The
// shell (account.js, counts.js, branding.js) writes it; pages read it and name the tab.

/** @type {ShellState} */
export const state = {
  user: null,
  branding: {
    portal_name: "Parley", logo_url: null, primary_color: "#1d4ed8", accent_color: "#0f766e",
    banner_links: [], announcement: "", self_registration: false, magic_link_sign_in: false,
    default_language: "en",
  },
  counts: { notifications: 0, inbox: 0, sent: 0, trash: 0 },
  // Why the portal no longer emails the signed-in user (from /api/me): null when it does,
  // undefined until asked.
  mailSuppressed: undefined,
};

/** @param {User | null} user */
export function homeFor(user) {
  if (!user) return "/login";
  if (user.must_change_password) return "/change-password";
  return user.role === "customer" ? "/tickets" : "/console";
}

/** @param {string} title */
export function setTitle(title) {
  document.title = title ? `${title} · ${state.branding.portal_name}` : state.branding.portal_name;
}

/** The signed-in user, for pages past sign-in (the router shows them to no one else). */
export function signedInUser() {
  if (!state.user) throw new Error("signed out");
  return state.user;
}

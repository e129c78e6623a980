// @ts-check
// Which address is which page, and who may see it. Names only: router.js loads the pages.

/** [pattern, area, page name] */
/** @type {[string, Area, string][]} */
const ROUTES = [
  ["/login", "public", "login"],
  ["/sign-in", "public", "login"],
  ["/sign-in/link", "public", "magicLink"],
  ["/forgot-password", "public", "forgot"],
  ["/reset-password", "public", "reset"],
  ["/register", "public", "register"],
  ["/verify", "public", "verify"],
  ["/session-expired", "public", "expired"],
  ["/change-password", "public", "changePassword"],
  ["/tickets", "portal", "tickets"],
  ["/tickets/new", "portal", "compose"],
  ["/tickets/:id", "portal", "ticket"],
  ["/troubleshooters/:id", "portal", "troubleshooterForm"],
  ["/folders/:folder", "portal", "folder"],
  ["/notifications", "portal", "notifications"],
  ["/profile", "portal", "profile"],
  ["/console", "console", "conversations"],
  ["/console/tickets/:id", "console", "conversation"],
  ["/console/new", "console", "onBehalf"],
  ["/console/canned", "console", "canned"],
  ["/console/notifications", "console", "notifications"],
  ["/console/profile", "console", "profile"],
  ["/console/inbound", "inbound", "inbound"],
  ["/admin", "admin", "settings"],
  ["/admin/users", "admin", "users"],
  ["/admin/orgs", "admin", "orgs"],
  ["/admin/teams", "admin", "teams"],
  ["/admin/audit", "admin", "audit"],
  ["/admin/suppressions", "admin", "suppressions"],
];

/** Who may open each area's pages (the public area: anyone). */
/** @type {Record<Exclude<Area, "public">, Role[]>} */
export const AREA_ROLES = {
  portal: ["customer"],
  console: ["agent", "admin"],
  // Held inbound mail: every staff member may release or retry it (the API's STAFF routes).
  inbound: ["agent", "admin"],
  admin: ["admin"],
};

/** @param {string} pathname @returns {Route | null} */
export function match(pathname) {
  const parts = pathname.replace(/\/+$/, "").split("/").filter(Boolean);
  for (const [pattern, area, page] of ROUTES) {
    const wanted = pattern.split("/").filter(Boolean);
    if (wanted.length !== parts.length) continue;
    /** @type {Record<string, string>} */
    const params = {};
    let ok = true;
    wanted.forEach((segment, i) => {
      if (segment.startsWith(":")) params[segment.slice(1)] = decodeURIComponent(parts[i]);
      else if (segment !== parts[i]) ok = false;
    });
    // "/tickets/new" is the compose page, not a ticket called "new"
    if (ok && !(page === "ticket" && params.id === "new")) return { area, page, params };
  }
  return null;
}

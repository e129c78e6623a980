// The shell every page shares: branding, header, navigation, language, the router, and what
// happens when the session ends. Pages of each area (portal, console, admin) load on demand.

import { h, clear, icon, safeImageSrc, append } from "./dom.js";
import { get, post, onAuthProblem, onSessionClock, csrfToken, setCsrfToken } from "./api.js";
import { t, chooseLanguage, loadLanguage, language, LANGUAGES, rememberLanguage } from "./i18n.js";

export const state = {
  user: null,
  branding: {
    portal_name: "Parley", logo_url: null, primary_color: "#1d4ed8", accent_color: "#0f766e",
    banner_links: [], announcement: "", self_registration: false, default_language: "en",
  },
  counts: { notifications: 0, inbox: 0, sent: 0, trash: 0 },
  // Why the portal no longer emails the signed-in user (from /api/me): null when it does,
  // undefined until asked.
  mailSuppressed: undefined,
};

const AREAS = {
  public: { load: () => import("./auth.js") },
  portal: { load: () => import("./portal.js"), roles: ["customer"] },
  console: { load: () => import("./console.js"), roles: ["agent", "admin"] },
  // Held inbound mail: every staff member may release or retry it (the API's STAFF routes).
  inbound: { load: () => import("./inbound.js"), roles: ["agent", "admin"] },
  admin: { load: () => import("./admin.js"), roles: ["admin"] },
  suppressions: { load: () => import("./suppressions.js"), roles: ["admin"] },
};

// [pattern, area, page name]
const ROUTES = [
  ["/login", "public", "login"],
  ["/sign-in", "public", "login"],
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
  ["/console", "console", "conversations"],
  ["/console/tickets/:id", "console", "conversation"],
  ["/console/new", "console", "onBehalf"],
  ["/console/notifications", "console", "notifications"],
  ["/console/inbound", "inbound", "inbound"],
  ["/admin", "admin", "settings"],
  ["/admin/users", "admin", "users"],
  ["/admin/orgs", "admin", "orgs"],
  ["/admin/teams", "admin", "teams"],
  ["/admin/audit", "admin", "audit"],
  ["/admin/suppressions", "suppressions", "suppressions"],
];

const STAFF_AREAS = new Set(["console", "inbound", "admin", "suppressions"]);

const SIGNED_OUT_PAGES = new Set(["login", "forgot", "reset", "register", "verify", "expired"]);

let root;
let shell = null; // {area, main, ...} of the layout currently shown
let cleanup = [];
let firstRender = true;
let countsTimer = null;

function match(pathname) {
  const parts = pathname.replace(/\/+$/, "").split("/").filter(Boolean);
  for (const [pattern, area, page] of ROUTES) {
    const wanted = pattern.split("/").filter(Boolean);
    if (wanted.length !== parts.length) continue;
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

export function homeFor(user) {
  if (!user) return "/login";
  if (user.must_change_password) return "/change-password";
  return user.role === "customer" ? "/tickets" : "/console";
}

export function navigate(path, { replace = false } = {}) {
  if (replace) history.replaceState(null, "", path);
  else history.pushState(null, "", path);
  render();
}

export function onCleanup(fn) {
  cleanup.push(fn);
}

export function setTitle(title) {
  document.title = title ? `${title} · ${state.branding.portal_name}` : state.branding.portal_name;
}

async function render() {
  for (const fn of cleanup.splice(0)) {
    try {
      fn();
    } catch {
      // a page's cleanup failing must not stop the next page
    }
  }
  const url = new URL(location.href);
  let found = match(url.pathname);
  const user = state.user;
  if (!found) {
    navigate(homeFor(user), { replace: true });
    return;
  }
  if (found.area === "public") {
    if (found.page === "changePassword" && !user) return navigate("/login", { replace: true });
    if (user && !user.must_change_password && found.page === "login") {
      return navigate(homeFor(user), { replace: true });
    }
  } else {
    if (!user) {
      const next = url.pathname + url.search;
      return navigate(`/login?next=${encodeURIComponent(next)}`, { replace: true });
    }
    if (user.must_change_password) return navigate("/change-password", { replace: true });
    if (!AREAS[found.area].roles.includes(user.role)) {
      return navigate(homeFor(user), { replace: true });
    }
  }
  const module = await AREAS[found.area].load();
  // A newer navigation may have happened while the module loaded.
  if (location.href !== url.href) return;
  const main = layout(found.area === "public" ? "public" : found.area, found);
  clear(main);
  main.setAttribute("aria-busy", "true");
  try {
    await module[found.page]({ main, params: found.params, query: url.searchParams });
  } catch (error) {
    if (error && error.name === "AbortError") return;
    if (location.href !== url.href) return;
    clear(main);
    append(main, h("div", { class: "page" },
      h("h1", { class: "page__title", text: t("error.title") }),
      h("p", { text: (await import("./i18n.js")).errorText(error) }),
      h("p", {}, h("a", { href: homeFor(state.user), class: "btn btn--secondary", text: t("nav.home") }))));
  } finally {
    main.removeAttribute("aria-busy");
  }
  if (!firstRender) {
    // Move focus to the new page's heading, so keyboard and screen-reader users land on it.
    const heading = main.querySelector("h1");
    if (heading) {
      heading.setAttribute("tabindex", "-1");
      heading.focus({ preventScroll: false });
    }
  }
  firstRender = false;
  root.classList.remove("app--loading");
  root.removeAttribute("aria-busy");
}

// ---------------------------------------------------------------------------------------------
// Layout

function layout(area, found) {
  const key = `${area}:${state.user ? state.user.id : ""}:${language()}`;
  if (shell && shell.key === key) {
    shell.highlight(found);
    return shell.main;
  }
  clear(root);
  const main = h("main", { id: "main", class: `main main--${area}`, tabindex: "-1" });
  const skip = h("a", { class: "skip-link", href: "#main", text: t("nav.skip") });
  skip.addEventListener("click", (event) => {
    event.preventDefault();
    main.focus();
  });
  const header = renderHeader(area);
  const announcement = state.branding.announcement
    ? h("aside", { class: "announcement", "aria-label": t("nav.announcement") },
      h("div", { class: "announcement__inner" }, icon("bell"),
        h("p", { text: state.branding.announcement })))
    : null;
  let body;
  let highlight = () => {};
  if (area === "portal") {
    const nav = renderPortalNav();
    body = h("div", { class: "frame frame--portal" }, nav.element, main);
    highlight = nav.highlight;
  } else if (STAFF_AREAS.has(area)) {
    body = h("div", { class: "frame frame--console" }, main);
    highlight = header.highlight;
  } else {
    body = h("div", { class: "frame frame--public" }, main);
  }
  const mailNotice = area === "portal" ? mailSuppressedNotice() : null;
  append(root, [skip, header.element, announcement, mailNotice, body, renderFooter(area)]);
  shell = { key, main, highlight };
  highlight(found);
  if (state.user) startCounts();
  return main;
}

/** On every portal page, for a customer whose address the portal no longer emails: why, and
 * that replies still show here. */
function mailSuppressedNotice() {
  const holder = h("div", {});
  const show = (suppression) => {
    if (!suppression || !state.user) return;
    import("./suppressed.js").then(({ portalNotice }) =>
      holder.replaceChildren(portalNotice(suppression, state.user.email)));
  };
  if (state.mailSuppressed !== undefined) show(state.mailSuppressed);
  else {
    get("/api/me", null, { quiet: true }).then((me) => {
      state.mailSuppressed = me.mail_suppressed || null;
      show(state.mailSuppressed);
    }).catch(() => {});
  }
  return holder;
}

function brand() {
  const logo = safeImageSrc(state.branding.logo_url);
  return h("a", { class: "brand", href: state.user ? homeFor(state.user) : "/login" },
    logo
      ? h("img", { class: "brand__logo", src: logo, alt: "" })
      : h("span", { class: "brand__mark", "aria-hidden": "true" }, icon("send")),
    h("span", { class: "brand__name", text: state.branding.portal_name }));
}

function bannerLinks() {
  const links = state.branding.banner_links || [];
  if (!links.length) return null;
  return h("nav", { class: "banner-links", "aria-label": t("nav.links") },
    h("ul", {}, links.map((link) => h("li", {},
      h("a", { href: link.url, rel: "noopener noreferrer", target: "_blank", text: link.label })))));
}

function renderHeader(area) {
  const user = state.user;
  const staffLinks = [];
  if (user && STAFF_AREAS.has(area)) {
    staffLinks.push(["/console", t("nav.conversations"), "conversations"]);
    staffLinks.push(["/console/new", t("nav.onBehalf"), "onBehalf"]);
    staffLinks.push(["/console/inbound", t("nav.inbound"), "inbound"]);
    if (user.role === "admin") staffLinks.push(["/admin", t("nav.admin"), "admin"]);
  }
  const tabs = staffLinks.map(([href, label, name]) =>
    h("li", {}, h("a", { class: "topnav__link", href, dataset: { name }, text: label })));
  const topnav = tabs.length
    ? h("nav", { class: "topnav", "aria-label": t("nav.main") }, h("ul", {}, tabs))
    : null;
  const right = h("div", { class: "header__right" });
  if (user && !user.must_change_password) {
    const notificationsHref = user.role === "customer" ? "/notifications" : "/console/notifications";
    const badge = h("span", { class: "badge badge--count", dataset: { count: "notifications" }, hidden: true });
    const bell = h("a", { class: "icon-btn", href: notificationsHref, dataset: { name: "notifications" } },
      icon("bell"), h("span", { class: "sr-only", text: t("nav.notifications") }), badge);
    const signOut = h("button", { class: "btn btn--ghost btn--small", type: "button", onClick: logout },
      icon("logout"), h("span", { text: t("nav.signOut") }));
    append(right, [bell,
      h("span", { class: "header__user" },
        h("span", { class: "avatar avatar--small", "aria-hidden": "true", text: initialsOf(user.name) }),
        h("span", { class: "header__username", text: user.name })),
      signOut]);
  }
  const element = h("header", { class: "header" },
    h("div", { class: "header__inner" }, brand(), topnav, right),
    bannerLinks());
  const highlight = (found) => {
    const section = found.area === "suppressions" ? "admin"
      : found.area === "admin" || found.area === "inbound" ? found.area
      : found.page === "onBehalf" ? "onBehalf"
        : found.page === "notifications" ? "notifications" : "conversations";
    for (const link of element.querySelectorAll("[data-name]")) {
      if (link.dataset.name === section) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    }
  };
  return { element, highlight };
}

function initialsOf(name) {
  const parts = String(name || "").trim().split(/\s+/).filter(Boolean);
  return parts.length ? (parts[0][0] + (parts.length > 1 ? parts[parts.length - 1][0] : "")).toUpperCase() : "?";
}

function renderPortalNav() {
  const item = (href, label, name, iconName, countKey) => h("li", {},
    h("a", { class: "sidenav__link", href, dataset: { name } }, icon(iconName),
      h("span", { class: "sidenav__label", text: label }),
      countKey ? h("span", { class: "badge badge--count", dataset: { count: countKey }, hidden: true }) : null));
  const element = h("nav", { class: "sidenav", "aria-label": t("nav.main") },
    h("a", { class: "btn btn--primary sidenav__compose", href: "/tickets/new" }, icon("plus"),
      h("span", { text: t("nav.newTicket") })),
    h("ul", { class: "sidenav__list" },
      item("/tickets", t("nav.tickets"), "tickets", "list"),
      item("/notifications", t("nav.notifications"), "notifications", "bell", "notifications")),
    h("h2", { class: "sidenav__heading", text: t("nav.folders") }),
    h("ul", { class: "sidenav__list" },
      item("/folders/inbox", t("folder.inbox"), "inbox", "inbox", "inbox"),
      item("/folders/sent", t("folder.sent"), "sent", "send", "sent"),
      item("/folders/trash", t("folder.trash"), "trash", "trash", "trash")));
  const highlight = (found) => {
    const name = found.page === "folder" ? found.params.folder
      : found.page === "notifications" ? "notifications"
        : found.page === "compose" ? "compose" : "tickets";
    for (const link of element.querySelectorAll(".sidenav__link")) {
      if (link.dataset.name === name) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    }
  };
  return { element, highlight };
}

function renderFooter() {
  const select = h("select", { id: "language-select", class: "select select--small" },
    Object.entries(LANGUAGES).map(([code, name]) =>
      h("option", { value: code, selected: code === language(), text: name })));
  select.addEventListener("change", async () => {
    rememberLanguage(select.value);
    if (state.user) state.user = { ...state.user, language: select.value };
    await loadLanguage(select.value);
    shell = null;
    render();
  });
  return h("footer", { class: "footer" },
    h("div", { class: "footer__inner" },
      h("p", { class: "footer__name" }, state.branding.portal_name, " · ",
        h("span", { class: "footer__secure" }, icon("shield"), t("footer.secure"))),
      h("div", { class: "footer__lang" },
        h("label", { for: "language-select" }, icon("globe"), h("span", { class: "sr-only", text: t("footer.language") })),
        select)));
}

// ---------------------------------------------------------------------------------------------
// Unread counts in the header and the folder list

export async function refreshCounts() {
  if (!state.user || state.user.must_change_password) return;
  try {
    const notifications = await get("/api/notifications/unread-count", null, { quiet: true });
    state.counts.notifications = notifications.unread;
    if (state.user.role === "customer") {
      const folders = await get("/api/portal/folders", null, { quiet: true });
      for (const name of ["inbox", "sent", "trash"]) state.counts[name] = folders.unread[name] || 0;
    }
  } catch (error) {
    if (error.status === 401) handleAuthProblem(error);
    return;
  }
  for (const badge of document.querySelectorAll("[data-count]")) {
    const value = state.counts[badge.dataset.count] || 0;
    badge.textContent = value > 99 ? "99+" : String(value);
    badge.hidden = value === 0;
    const label = badge.dataset.count === "notifications" ? t("notifications.unreadCount", { count: value })
      : t("folder.unreadCount", { count: value });
    badge.setAttribute("aria-label", label);
  }
}

// Unread counts every 30 s while the tab is shown; a hidden tab asks nothing and refreshes when
// it is shown again.
function refreshVisibleCounts() {
  if (countsTimer && !document.hidden) refreshCounts();
}

function startCounts() {
  refreshCounts();
  if (countsTimer) return;
  countsTimer = setInterval(refreshVisibleCounts, 30000);
  document.addEventListener("visibilitychange", refreshVisibleCounts);
}

function stopCounts() {
  clearInterval(countsTimer);
  countsTimer = null;
  document.removeEventListener("visibilitychange", refreshVisibleCounts);
}

// ---------------------------------------------------------------------------------------------
// Signing in and out

export async function signedIn(result) {
  setCsrfToken(result.csrf_token);
  state.user = result.user;
  state.mailSuppressed = undefined;
  await loadLanguage(chooseLanguage({ user: result.user, portalDefault: state.branding.default_language }));
  shell = null;
}

export function updateUser(user) {
  state.user = user;
  shell = null;
}

// Unsent drafts (web/assets/js/drafts.js) are kept under this prefix in sessionStorage.
export const DRAFT_PREFIX = "parley.draft.";

/** Signed out on purpose or disabled: the next person at this browser must not find drafts. */
function forgetDrafts() {
  try {
    for (const key of Object.keys(sessionStorage)) {
      if (key.startsWith(DRAFT_PREFIX)) sessionStorage.removeItem(key);
    }
  } catch {
    // storage unavailable: nothing was kept
  }
}

async function logout() {
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
  shell = null;
  stopCounts();
  stopSessionClock();
}

/** The page that says why the session ended, and where signing in again returns to. */
function expiredPage(error) {
  const reason = (error && error.details && error.details.reason) || "ended";
  const found = match(location.pathname);
  const here = found && found.area !== "public" ? location.pathname + location.search : "";
  const params = new URLSearchParams({ reason });
  if (here) params.set("next", here);
  return `/session-expired?${params}`;
}

function handleAuthProblem(error) {
  if (error.status === 401) {
    const expired = error.code === "session_expired" || (state.user && error.code !== "unauthenticated");
    const wasSignedIn = Boolean(state.user);
    const target = expiredPage(error);
    if (error.details && error.details.reason === "account_disabled") forgetDrafts();
    endLocalSession();
    if (expired || wasSignedIn) navigate(target, { replace: true });
    else navigate("/login", { replace: true });
  } else if (error.code === "password_change_required") {
    if (state.user) state.user = { ...state.user, must_change_password: true };
    shell = null;
    navigate("/change-password", { replace: true });
  }
}

// The session clock (session.js, loaded once signed in: the sign-in page does without it)

let sessionModule = null;

function sessionClock(secondsLeft) {
  if (!state.user) return;
  import("./session.js").then((module) => {
    sessionModule = module;
    if (state.user) module.sessionClock(secondsLeft, { ended: handleAuthProblem, signOut: logout });
  });
}

function stopSessionClock() {
  if (sessionModule) sessionModule.stopSessionClock();
}

// ---------------------------------------------------------------------------------------------
// Branding: colours the admin chose, with text colours that keep WCAG AA contrast

function rgb(hex) {
  const value = /^#([0-9a-f]{6})$/i.exec(hex || "");
  if (!value) return null;
  const n = parseInt(value[1], 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

function luminance([r, g, b]) {
  const channel = (c) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
}

function contrast(a, b) {
  const [x, y] = [luminance(a), luminance(b)].sort((m, n) => n - m);
  return (x + 0.05) / (y + 0.05);
}

function hex([r, g, b]) {
  return `#${[r, g, b].map((c) => Math.round(c).toString(16).padStart(2, "0")).join("")}`;
}

/** The colour itself when readable on `background`, else the nearest darker shade that is. */
function readableOn(colour, background) {
  let c = colour;
  for (let i = 0; i < 40 && contrast(c, background) < 4.5; i += 1) c = c.map((v) => v * 0.92);
  return c;
}

export function applyBranding(branding) {
  state.branding = { ...state.branding, ...branding };
  const style = document.documentElement.style;
  const white = [255, 255, 255];
  const ink = [17, 24, 39];
  for (const [name, value] of [["primary", branding.primary_color], ["accent", branding.accent_color]]) {
    const colour = rgb(value);
    if (!colour) continue;
    const onWhite = contrast(colour, white) >= contrast(colour, ink);
    // Buttons: the brand colour as is, with whichever text colour reads best on it; links and
    // text: the brand colour darkened until it reads on white.
    style.setProperty(`--${name}`, hex(colour));
    style.setProperty(`--${name}-contrast`, onWhite ? "#ffffff" : "#111827");
    style.setProperty(`--${name}-ink`, hex(readableOn(colour, white)));
    style.setProperty(`--${name}-soft`, hex(colour.map((v) => v + (255 - v) * 0.9)));
  }
  setTitle("");
}

// ---------------------------------------------------------------------------------------------
// Start

async function boot() {
  root = document.getElementById("app");
  onAuthProblem(handleAuthProblem);
  onSessionClock(sessionClock);
  // Timers of a hidden tab are slowed down: look at the clock again when it is shown.
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden && sessionModule) sessionModule.recheck();
  });
  document.addEventListener("click", (event) => {
    const link = event.target.closest("a[href]");
    if (!link || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey
      || event.shiftKey || event.altKey || link.target || link.hasAttribute("download")) return;
    const url = new URL(link.href, location.href);
    if (url.origin !== location.origin || url.pathname.startsWith("/api/") || url.pathname.startsWith("/dev/")) return;
    if (url.hash && url.pathname === location.pathname) return;
    event.preventDefault();
    navigate(url.pathname + url.search);
  });
  window.addEventListener("popstate", () => render());
  const [branding, me] = await Promise.all([
    get("/api/portal/branding", null, { quiet: true }).catch(() => null),
    csrfToken()
      ? get("/api/me", null, { quiet: true }).catch((error) => ({ error }))
      : Promise.resolve(null),
  ]);
  if (branding) applyBranding(branding);
  let expired = null;
  if (me && me.user) {
    state.user = me.user;
    state.mailSuppressed = me.mail_suppressed || null;
  } else if (me && me.error) {
    setCsrfToken(null);
    if (me.error.code === "session_expired") expired = expiredPage(me.error);
  }
  await loadLanguage(chooseLanguage({ user: state.user, portalDefault: state.branding.default_language }));
  if (expired) history.replaceState(null, "", expired);
  await render();
}

boot();

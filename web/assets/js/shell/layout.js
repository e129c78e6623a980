// @ts-check
// The frame around every page: skip link, header (brand, staff tabs, notifications, the user,
// sign out), banner links, announcement, the portal's side navigation, and the footer with the
// language. Built once per area, user and language; moving between pages only re-highlights,
// and gives the new page a <main> of its own: a page still loading when it was left writes into
// its own, which is no longer shown.

import { h, clear, icon, safeImageSrc, append, initials } from "../dom.js";
import { renderMarkup } from "../markup.js";
import { get, patch } from "../api.js";
import { t, loadLanguage, loadStrings, language, LANGUAGES, rememberLanguage } from "../i18n.js";
import { state, homeFor } from "./state.js";
import { rerender } from "./navigation.js";
import { logout } from "./account.js";
import { startCounts } from "./counts.js";

const STAFF_AREAS = new Set(["console", "inbound", "admin"]);

/** @type {{key: string, main: HTMLElement, highlight: (found: Route) => void} | null} */
let shown = null;

/** @param {Area} area */
function newMain(area) {
  return h("main", { id: "main", class: `main main--${area}`, tabindex: "-1" });
}

/** An empty `main` for the page `found`, in its area's frame (kept when it is the same).
 * @param {HTMLElement} root @param {Route} found */
export function layout(root, found) {
  const area = found.area;
  const user = state.user;
  // Whatever the header says of the user, and the language, rebuild the frame when it changes.
  const key = [area, user ? user.id : "", user ? user.name : "", user ? Boolean(user.must_change_password) : "",
    language()].join(":");
  if (shown && shown.key === key) {
    shown.highlight(found);
    const fresh = newMain(area);
    shown.main.replaceWith(fresh);
    shown.main = fresh;
    return fresh;
  }
  clear(root);
  const main = newMain(area);
  const skip = h("a", { class: "skip-link", href: "#main", text: t("nav.skip") });
  skip.addEventListener("click", (event) => {
    event.preventDefault();
    if (shown) shown.main.focus();
  });
  const header = renderHeader(area);
  // The admin's markup (markup.js) as DOM nodes; nothing to show, no banner.
  const paragraphs = renderMarkup(state.branding.announcement || "");
  const announcement = paragraphs.length
    ? h("aside", { class: "announcement", "aria-label": t("nav.announcement") },
      h("div", { class: "announcement__inner" }, icon("bell"), h("div", {}, paragraphs)))
    : null;
  let body;
  /** @type {(found: Route) => void} */
  let highlight = () => {};
  if (area === "portal") {
    const nav = renderPortalNav();
    body = h("div", { class: "frame frame--portal" }, nav.element, main);
    highlight = (found) => {
      nav.highlight(found);
      markCurrent(header.element.querySelectorAll("[data-name=profile]"), found.page);
    };
  } else if (STAFF_AREAS.has(area)) {
    body = h("div", { class: "frame frame--console" }, main);
    highlight = header.highlight;
  } else {
    body = h("div", { class: "frame frame--public" }, main);
  }
  const mailNotice = area === "portal" ? mailSuppressedNotice() : null;
  append(root, [skip, header.element, announcement, mailNotice, body, renderFooter()]);
  shown = { key, main, highlight };
  highlight(found);
  if (state.user) startCounts();
  // The console's keyboard (j / k, /, ?) on every staff page; loaded once, past sign-in.
  if (state.user && STAFF_AREAS.has(area)) import("../console/keys.js").then((keys) => keys.installKeys());
  return main;
}

/** On every portal page, for a customer whose address the portal no longer emails: why, and
 * that replies still show here. */
function mailSuppressedNotice() {
  const holder = h("div", {});
  const show = (/** @type {Suppression | null | undefined} */ suppression) => {
    const user = state.user;
    if (!suppression || !user) return;
    // What it says is among the portal's strings, not the shell's.
    Promise.all([import("../suppressed.js"), loadStrings("pages")]).then(([{ portalNotice }]) =>
      holder.replaceChildren(portalNotice(suppression, user.email)));
  };
  if (state.mailSuppressed !== undefined) show(state.mailSuppressed);
  else {
    get("/api/me", null, { quiet: true }).then((/** @type {Me} */ me) => {
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

/** @param {Area} area */
function renderHeader(area) {
  const user = state.user;
  /** @type {[string, string, string][]} */
  const staffLinks = [];
  if (user && STAFF_AREAS.has(area)) {
    staffLinks.push(["/console", t("nav.conversations"), "conversations"]);
    staffLinks.push(["/console/new", t("nav.onBehalf"), "onBehalf"]);
    staffLinks.push(["/console/inbound", t("nav.inbound"), "inbound"]);
    staffLinks.push(["/console/canned", t("nav.canned"), "canned"]);
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
    // The user's name (only the avatar on a phone) opens their profile.
    const profile = h("a", { class: "header__user", href: user.role === "customer" ? "/profile" : "/console/profile",
      dataset: { name: "profile" }, title: t("nav.profile") },
    h("span", { class: "avatar avatar--small", "aria-hidden": "true", text: initials(user.name) }),
    h("span", { class: "header__username", text: user.name }),
    h("span", { class: "sr-only", text: t("nav.profile") }));
    append(right, [bell, profile, signOut]);
  }
  const element = h("header", { class: "header" },
    h("div", { class: "header__inner" }, brand(), topnav, right),
    bannerLinks());
  const highlight = (/** @type {Route} */ found) => {
    const section = found.area === "admin" || found.area === "inbound" ? found.area
      : found.page === "onBehalf" || found.page === "profile" || found.page === "canned" ? found.page
        : found.page === "notifications" ? "notifications" : "conversations";
    markCurrent(element.querySelectorAll("[data-name]"), section);
  };
  return { element, highlight };
}

/** aria-current on the link named `name` (data-name), off the others.
 * @param {NodeListOf<Element>} links @param {string} name */
function markCurrent(links, name) {
  for (const link of links) {
    if (link instanceof HTMLElement && link.dataset.name === name) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

function renderPortalNav() {
  /** @param {string} href @param {string} label @param {string} name @param {string} iconName @param {string} [countKey] */
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
  const highlight = (/** @type {Route} */ found) => {
    const name = found.page === "folder" ? found.params.folder
      : found.page === "notifications" || found.page === "profile" ? found.page
        : found.page === "compose" ? "compose" : "tickets";
    markCurrent(element.querySelectorAll(".sidenav__link"), name);
  };
  return { element, highlight };
}

function renderFooter() {
  const select = h("select", { id: "language-select", class: "select select--small" },
    Object.entries(LANGUAGES).map(([code, name]) =>
      h("option", { value: code, selected: code === language(), text: name })));
  select.addEventListener("change", async () => {
    rememberLanguage(select.value);
    if (state.user) {
      state.user = { ...state.user, language: select.value };
      // Kept on the account, so a reload (and every mail) keeps it; offline, it holds till then.
      await patch("/api/me", { language: select.value }, { quiet: true }).catch(() => null);
    }
    await loadLanguage(select.value);
    rerender();
  });
  return h("footer", { class: "footer" },
    h("div", { class: "footer__inner" },
      h("p", { class: "footer__name" }, state.branding.portal_name, " · ",
        h("span", { class: "footer__secure" }, icon("shield"), t("footer.secure"))),
      h("div", { class: "footer__lang" },
        h("label", { for: "language-select" }, icon("globe"), h("span", { class: "sr-only", text: t("footer.language") })),
        select)));
}

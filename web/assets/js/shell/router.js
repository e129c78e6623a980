// @ts-check
// Shows the page of the current address: checks who may see it, empties the frame's main at
// once (the page left cannot be used while the next loads), loads the page's module (and, past
// the sign-in pages, the rest of the language's strings), lets it fill main, moves focus.

import { h, clear, append } from "../dom.js";
import { t, loadStrings, errorText } from "../i18n.js";
import { state, homeFor } from "./state.js";
import { navigate, runCleanups } from "./navigation.js";
import { match, AREA_ROLES } from "./routes.js";
import { layout } from "./layout.js";

// Each page's module, loaded when first shown. Every page module exports a function of the
// page's name that fills `main`.
/** @type {Record<string, () => Promise<object>>} */
const PAGES = {
  login: () => import("../auth.js"),
  forgot: () => import("../auth.js"),
  reset: () => import("../auth.js"),
  register: () => import("../auth.js"),
  verify: () => import("../auth.js"),
  expired: () => import("../auth.js"),
  changePassword: () => import("../auth.js"),
  magicLink: () => import("../auth_magic.js"),
  tickets: () => import("../portal/tickets.js"),
  compose: () => import("../portal/compose.js"),
  ticket: () => import("../portal/ticket.js"),
  troubleshooterForm: () => import("../portal/troubleshooter.js"),
  folder: () => import("../portal/folders.js"),
  notifications: () => import("../feed.js"),
  profile: () => import("../profile.js"),
  conversations: () => import("../console/conversations.js"),
  conversation: () => import("../console/conversation.js"),
  onBehalf: () => import("../console/on_behalf.js"),
  canned: () => import("../console/canned.js"),
  inbound: () => import("../console/inbound.js"),
  settings: () => import("../admin/settings.js"),
  users: () => import("../admin/users.js"),
  orgs: () => import("../admin/orgs.js"),
  teams: () => import("../admin/teams.js"),
  audit: () => import("../admin/audit.js"),
  suppressions: () => import("../admin/suppressions.js"),
};

let firstRender = true;

/** @type {Promise<void> | null} */
let pageStyles = null;

/** pages.css, once, before the first page past sign-in draws (so it never shows unstyled); a
 * stylesheet that fails to load leaves the page plain rather than blank. */
function loadPageStyles() {
  if (!pageStyles) {
    pageStyles = new Promise((resolve) => {
      const link = document.createElement("link");
      link.rel = "stylesheet";
      link.href = "/assets/pages.css";
      link.addEventListener("load", () => resolve());
      link.addEventListener("error", () => resolve());
      document.head.append(link);
    });
  }
  return pageStyles;
}

/** @param {HTMLElement} root */
export async function render(root) {
  runCleanups();
  const url = new URL(location.href);
  const found = match(url.pathname);
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
    if (!AREA_ROLES[found.area].includes(user.role)) {
      return navigate(homeFor(user), { replace: true });
    }
  }
  // The frame says only what the shell's strings hold, so it is built before the page's own.
  const main = layout(root, found);
  main.setAttribute("aria-busy", "true");
  // The sign-in pages say only what the shell's strings hold; every other page needs the rest.
  const [module] = await Promise.all([PAGES[found.page](),
    found.area === "public" ? null : loadStrings("pages"),
    found.area === "public" ? null : loadPageStyles()]);
  // A newer navigation may have happened while the module loaded.
  if (location.href !== url.href) return;
  try {
    const page = /** @type {Record<string, PageFn>} */ (module)[found.page];
    await page({ main, params: found.params, query: url.searchParams });
  } catch (error) {
    if (error instanceof Error && error.name === "AbortError") return;
    if (location.href !== url.href) return;
    clear(main);
    append(main, h("div", { class: "page" },
      h("h1", { class: "page__title", text: t("error.title") }),
      h("p", { text: errorText(error) }),
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

// @ts-check
// What the admin pages share: the section tabs and heading every one is framed with, the
// organizations read whole (for selects), and a setting's name in words.

import { h } from "../dom.js";
import { get } from "../api.js";
import { t } from "../i18n.js";
import { setTitle } from "../shell/state.js";

/** An admin page: the sections' tabs (`active` the current one), its title and lead, `content`.
 * @param {string} active @param {string} title @param {string | null} lead @param {Child[]} content */
export function adminPage(active, title, lead, ...content) {
  setTitle(title);
  const tabs = [["/admin", "settings", t("admin.settings")], ["/admin/users", "users", t("admin.users")],
    ["/admin/orgs", "orgs", t("admin.orgs")], ["/admin/teams", "teams", t("admin.teams")],
    ["/admin/audit", "audit", t("admin.audit")], ["/admin/suppressions", "suppressions", t("admin.suppressions")]];
  return h("div", { class: "page page--admin" },
    h("nav", { class: "subnav", "aria-label": t("admin.sections") },
      h("ul", {}, tabs.map(([href, name, label]) => h("li", {},
        h("a", { href, class: "subnav__link", "aria-current": name === active ? "page" : null, text: label }))))),
    h("div", { class: "page__header" }, h("div", {},
      h("h1", { class: "page__title", text: title }),
      lead ? h("p", { class: "page__lead muted", text: lead }) : null)),
    ...content);
}

/** Every organization (up to 500), for the selects that name them. */
export async function allOrgs() {
  /** @type {Org[]} */
  const orgs = [];
  /** @type {string | null} */
  let cursor = null;
  for (let i = 0; i < 5; i += 1) {
    /** @type {Page<Org>} */
    const page = await get("/api/admin/orgs", { limit: 100, cursor });
    orgs.push(...page.items);
    cursor = page.next_cursor;
    if (!cursor) break;
  }
  return orgs;
}

/** "attachment_max_bytes" → "Attachment max bytes": a setting no label names yet. */
export function humanize(/** @type {string} */ key) {
  const text = key.replace(/_/g, " ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

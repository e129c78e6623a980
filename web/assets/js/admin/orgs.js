// @ts-check
// Organizations: created, renamed (names are unique whatever their case and spacing), and a
// link to each one's customers.

import { h, append, field, notice } from "../dom.js";
import { get, post, patch, ApiError } from "../api.js";
import { t, errorText } from "../i18n.js";
import { emptyState } from "../ui.js";
import { pager } from "../pager.js";
import { adminPage } from "./page.js";

/** A refusal of an organization's name, in the admin's language where the page knows it. */
function orgError(/** @type {unknown} */ error) {
  return error instanceof ApiError && error.code === "org_name_taken" ? t("admin.orgNameTaken") : errorText(error);
}

/** "Require two-step verification" of the organization's customers (at their next sign-in).
 * @param {Org} org @param {HTMLElement} status */
function secondFactorToggle(org, status) {
  // Named with the organization: a screen reader tells one row's box from the next.
  const box = h("input", { type: "checkbox", checked: org.require_second_factor, name: "require_second_factor",
    title: t("admin.orgRequireSecondFactorHint"),
    "aria-label": `${t("admin.orgRequireSecondFactor")}: ${org.name}` });
  box.addEventListener("change", async () => {
    box.disabled = true;
    try {
      /** @type {{org: Org}} */
      const saved = await patch(`/api/admin/orgs/${encodeURIComponent(org.id)}`, { require_second_factor: box.checked });
      org.require_second_factor = saved.org.require_second_factor;
      status.replaceChildren(notice("success", `${saved.org.name}: ${saved.org.require_second_factor
        ? t("admin.orgSecondFactorOn") : t("admin.orgSecondFactorOff")}`));
    } catch (error) {
      box.checked = org.require_second_factor;
      status.replaceChildren(notice("error", errorText(error)));
    } finally {
      box.disabled = false;
    }
  });
  return h("label", { class: "check org-list__second-factor" }, box, t("admin.orgRequireSecondFactor"));
}

/** @type {PageFn} */
export async function orgs({ main }) {
  const list = h("ul", { class: "org-list" });
  const status = h("div", { class: "form-status", "aria-live": "polite" });
  const item = (/** @type {Org} */ org) => {
    const rename = h("button", { type: "button", class: "btn btn--ghost btn--small", text: t("admin.renameOrg"),
      "aria-label": t("admin.renameOrgTitle", { name: org.name }) });
    const li = h("li", { class: "org-list__item" },
      h("span", { class: "org-list__name", text: org.name }),
      h("span", { class: "muted org-list__id", text: org.id }),
      rename, secondFactorToggle(org, status),
      h("a", { class: "btn btn--ghost btn--small", href: `/admin/users?org=${encodeURIComponent(org.id)}`, text: t("admin.orgUsers") }));
    rename.addEventListener("click", () => {
      const input = h("input", { class: "input", required: true, maxlength: 120, value: org.name });
      const wrapper = field(t("admin.orgNewName", { name: org.name }), input);
      const cancel = h("button", { type: "button", class: "btn btn--ghost btn--small", text: t("common.cancel") });
      const form = h("form", { class: "inline-form" }, wrapper,
        h("button", { type: "submit", class: "btn btn--primary btn--small", text: t("common.save") }), cancel);
      const editing = h("li", { class: "org-list__item" }, form);
      cancel.addEventListener("click", () => editing.replaceWith(li));
      form.addEventListener("submit", async (event) => {
        event.preventDefault();
        wrapper.setError("");
        try {
          /** @type {{org: Org}} */
          const renamed = await patch(`/api/admin/orgs/${encodeURIComponent(org.id)}`, { name: input.value.trim() });
          editing.replaceWith(item(renamed.org));
          status.replaceChildren(notice("success", t("admin.orgRenamed", { name: renamed.org.name })));
        } catch (error) {
          wrapper.setError(orgError(error));
        }
      });
      li.replaceWith(editing);
      input.focus();
    });
    return li;
  };
  const { more, load } = pager({
    list, status, row: item,
    fetchPage: (cursor) => get("/api/admin/orgs", { limit: 50, cursor }),
    empty: () => h("li", {}, emptyState(t("admin.noOrgs"))),
  });
  const name = h("input", { class: "input", required: true, maxlength: 120 });
  const form = h("form", { class: "inline-form" }, field(t("admin.orgName"), name),
    h("button", { type: "submit", class: "btn btn--primary", text: t("admin.createOrg") }));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      /** @type {{org: Org}} */
      const created = await post("/api/admin/orgs", { name: name.value.trim() });
      list.prepend(item(created.org));
      const empty = list.querySelector(".empty");
      if (empty) empty.closest("li")?.remove();
      name.value = "";
      status.replaceChildren(notice("success", t("admin.orgCreated", { name: created.org.name })));
    } catch (error) {
      status.replaceChildren(notice("error", orgError(error)));
    }
  });
  append(main, adminPage("orgs", t("admin.orgs"), t("admin.orgsLead"),
    h("div", { class: "card" }, form), status,
    h("div", { class: "card card--flush" }, list),
    h("div", { class: "list-footer" }, more.element)));
  await load();
}

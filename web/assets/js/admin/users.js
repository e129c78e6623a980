// @ts-check
// Users: staff, or one organization's customers; each edited in place, enabled or disabled; and
// a new one created with an invitation or a temporary password.

import { h, append, icon, field, notice, uid } from "../dom.js";
import { get, post, patch } from "../api.js";
import { t, errorText, LANGUAGES } from "../i18n.js";
import { signedInUser } from "../shell/state.js";
import { emptyState } from "../ui.js";
import { pager } from "../pager.js";
import { adminPage, allOrgs } from "./page.js";
import { userEditor, teamChecks, orgSelect, userError } from "./user_editor.js";

/** @type {PageFn} */
export async function users({ main, query }) {
  /** @type {[Org[], Team[]]} */
  const [orgs, teamList] = await Promise.all([
    allOrgs(), get("/api/admin/teams").then((/** @type {Page<Team>} */ page) => page.items).catch(() => []),
  ]);
  const orgNames = new Map(orgs.map((org) => [org.id, org.name]));
  const scope = h("select", { class: "select select--small", id: uid("scope") },
    h("option", { value: "", text: t("admin.staff") }),
    orgs.map((org) => h("option", { value: org.id, text: org.name })));
  scope.value = query.get("org") || "";
  const q = h("input", { class: "input input--search", type: "search", id: uid("uq"), placeholder: t("admin.searchStaff") });
  const tbody = h("tbody", {});
  const status = h("div", { class: "form-status", "aria-live": "polite" });

  const row = (/** @type {User} */ user) => {
    const toggle = h("button", { type: "button", class: `btn btn--small ${user.status === "disabled" ? "btn--secondary" : "btn--danger-ghost"}`,
      text: user.status === "disabled" ? t("admin.enable") : t("admin.disable") });
    const edit = h("button", { type: "button", class: "btn btn--small btn--ghost", text: t("admin.editUser"),
      "aria-label": t("admin.editUserTitle", { name: user.name }) });
    const teamNames = (user.team_ids || []).map((id) => (teamList.find((team) => team.id === id) || { name: id }).name);
    const tr = h("tr", { dataset: { userId: user.id } },
      h("td", { "data-label": t("admin.name") }, h("strong", { text: user.name })),
      h("td", { "data-label": t("auth.email"), class: "muted", text: user.email }),
      h("td", { "data-label": t("admin.role") }, h("span", { class: "chip", text: t(`role.${user.role}`) })),
      // Staff have no organization: their teams show there instead. A dash says "none" on a
      // wide table; the stacked rows of a narrow screen leave the cell out (admin-cell--empty).
      user.role === "customer"
        ? h("td", { "data-label": t("admin.org"), text: orgNames.get(user.org_id || "") || user.org_id || "—" })
        : h("td", { "data-label": t("admin.teams"), class: teamNames.length ? "muted" : "admin-cell--empty",
          text: teamNames.length ? teamNames.join(", ") : "—" }),
      h("td", { "data-label": t("admin.status") },
        h("span", { class: `status status--${user.status === "active" ? "success" : "neutral"}` },
          h("span", { class: "status__dot", "aria-hidden": "true" }), t(`userStatus.${user.status}`))),
      h("td", { class: "col-actions" }, edit, user.id === signedInUser().id ? null : toggle));
    edit.addEventListener("click", () => {
      const next = tr.nextElementSibling;
      if (next && next.classList.contains("user-edit-row")) {
        next.remove();
        return;
      }
      const editorRow = h("tr", { class: "user-edit-row" }, h("td", { colspan: "6" }, userEditor(user, {
        orgs, teamList,
        onCancel: () => editorRow.remove(),
        onSaved: (updated) => {
          editorRow.remove();
          tr.replaceWith(row(updated));
          status.replaceChildren(notice("success", t("admin.userSaved", { name: updated.name })));
        },
      })));
      tr.after(editorRow);
      editorRow.querySelector("input")?.focus();
    });
    toggle.addEventListener("click", async () => {
      try {
        /** @type {{user: User}} */
        const updated = await patch(`/api/admin/users/${encodeURIComponent(user.id)}`, {
          status: user.status === "disabled" ? "active" : "disabled",
        });
        tr.replaceWith(row(updated.user));
        status.replaceChildren(notice("success", updated.user.status === "disabled"
          ? t("admin.disabled", { name: updated.user.name }) : t("admin.enabled", { name: updated.user.name })));
      } catch (error) {
        status.replaceChildren(notice("error", errorText(error)));
      }
    });
    return tr;
  };

  const { more, load } = pager({
    list: tbody, status, row,
    fetchPage: (cursor) => get("/api/admin/users", {
      org_id: scope.value || null, q: scope.value ? null : q.value.trim(), limit: 50, cursor,
    }),
    empty: () => h("tr", {}, h("td", { colspan: "6" }, emptyState(t("admin.noUsers")))),
  });
  scope.addEventListener("change", () => {
    q.disabled = Boolean(scope.value);
    history.replaceState(null, "", scope.value ? `/admin/users?org=${encodeURIComponent(scope.value)}` : "/admin/users");
    load(true);
  });
  q.disabled = Boolean(scope.value);
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  q.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => load(true), 250);
  });

  // Creating a user
  const email = h("input", { class: "input", type: "email", required: true, maxlength: 254 });
  const name = h("input", { class: "input", required: true, maxlength: 120 });
  const role = h("select", { class: "select" }, ["customer", "agent", "admin"].map((r) =>
    h("option", { value: r, text: t(`role.${r}`) })));
  const org = orgSelect(orgs, scope.value);
  const orgView = h("input", { type: "checkbox", class: "checkbox", id: uid("ov") });
  const language = h("select", { class: "select" }, Object.entries(LANGUAGES).map(([code, label]) =>
    h("option", { value: code, text: label })));
  const deliveryName = uid("delivery");
  const delivery = [["invite", t("admin.deliveryInvite")], ["password", t("admin.deliveryPassword")]].map(([value, label], i) => {
    const input = h("input", { type: "radio", name: deliveryName, value, id: `${deliveryName}-${value}`, checked: i === 0 });
    return h("span", { class: "check" }, input, h("label", { for: input.id, text: label }));
  });
  const orgField = field(t("admin.org"), org);
  const orgViewField = h("div", { class: "field field--check" }, orgView, h("label", { for: orgView.id, text: t("admin.orgViewUser") }));
  const teamsField = teamChecks(teamList);
  const syncRole = () => {
    const customer = role.value === "customer";
    orgField.hidden = !customer;
    orgViewField.hidden = !customer;
    teamsField.hidden = customer;
    org.required = customer;
  };
  role.addEventListener("change", syncRole);
  syncRole();
  const createStatus = h("div", { class: "form-status", "aria-live": "polite" });
  const createForm = h("form", { class: "form" },
    h("div", { class: "grid grid--2" }, field(t("auth.email"), email), field(t("admin.name"), name)),
    h("div", { class: "grid grid--2" }, field(t("admin.role"), role), field(t("admin.language"), language)),
    orgField, orgViewField, teamsField,
    h("fieldset", { class: "field fieldset" }, h("legend", { class: "field__label", text: t("admin.delivery") }),
      h("div", { class: "checks" }, delivery)),
    createStatus,
    h("div", { class: "form__actions" }, h("button", { type: "submit", class: "btn btn--primary", text: t("admin.createUser") })));
  createForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    createStatus.replaceChildren();
    teamsField.setError("");
    const customer = role.value === "customer";
    try {
      /** @type {{user: User}} */
      const created = await post("/api/admin/users", {
        email: email.value.trim(), name: name.value.trim(), role: role.value,
        org_id: customer ? org.value || null : null, org_view: customer && orgView.checked,
        team_ids: customer ? [] : teamsField.read(),
        language: language.value,
        delivery: /** @type {HTMLInputElement} */ (createForm.querySelector(`input[name="${deliveryName}"]:checked`)).value,
      });
      createStatus.replaceChildren(notice("success", t("admin.userCreated", { email: created.user.email })));
      createForm.reset();
      syncRole();
      load(true);
    } catch (error) {
      createStatus.replaceChildren(notice("error", userError(error, { teams: teamsField, org: orgField })));
    }
  });

  append(main, adminPage("users", t("admin.users"), t("admin.usersLead"),
    h("details", { class: "card disclosure disclosure--card" },
      h("summary", {}, icon("plus"), t("admin.addUser")), createForm),
    h("div", { class: "toolbar" },
      h("div", { class: "toolbar__group" },
        h("label", { for: scope.id, class: "toolbar__label", text: t("admin.show") }), scope),
      h("div", { class: "toolbar__group toolbar__group--grow search" },
        h("label", { for: q.id, class: "sr-only", text: t("admin.searchStaff") }), icon("search"), q)),
    status,
    h("div", { class: "card card--flush" },
      h("table", { class: "table table--users" },
        h("caption", { class: "sr-only", text: t("admin.users") }),
        h("thead", {}, h("tr", {},
          [t("admin.name"), t("auth.email"), t("admin.role"), t("admin.orgOrTeams"), t("admin.status"), ""].map((label) =>
            h("th", { scope: "col", text: label })))),
        tbody)),
    h("div", { class: "list-footer" }, more.element)));
  await load(true);
}

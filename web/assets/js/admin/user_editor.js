// @ts-check
// Editing a user in place (name, language, role, organization, organization view, teams picked
// from the team list), and the parts the new-user form shares with it.

import { h, field, notice, uid } from "../dom.js";
import { patch, ApiError } from "../api.js";
import { t, errorText, LANGUAGES } from "../i18n.js";
import { signedInUser } from "../shell/state.js";
import { secondFactorPanel } from "./user_second_factor.js";

/** Teams as checkboxes from the team list: a team can only be picked, never typed. `read()`
 * gives the ids picked.
 * @param {Team[]} teamList @param {string[]} [selected] */
export function teamChecks(teamList, selected = []) {
  const boxes = teamList.map((team) => {
    const input = h("input", { type: "checkbox", class: "checkbox", id: uid("team"), value: team.id,
      checked: selected.includes(team.id) });
    return h("span", { class: "check" }, input, h("label", { for: input.id, text: team.name }));
  });
  // A team the user has that is no longer in the list keeps its box, under its id.
  for (const id of selected.filter((id) => !teamList.some((team) => team.id === id))) {
    const input = h("input", { type: "checkbox", class: "checkbox", id: uid("team"), value: id, checked: true });
    boxes.push(h("span", { class: "check" }, input, h("label", { for: input.id, text: id })));
  }
  const errorEl = h("p", { class: "field__error", hidden: true });
  const wrapper = h("fieldset", { class: "field fieldset" }, h("legend", { class: "field__label", text: t("admin.teams") }),
    boxes.length ? h("div", { class: "checks" }, boxes) : h("p", { class: "field__hint", text: t("admin.noTeams") }), errorEl);
  return Object.assign(wrapper, {
    read: () => [...wrapper.querySelectorAll("input[type=checkbox]:checked")]
      .map((input) => /** @type {HTMLInputElement} */ (input).value),
    setError(/** @type {string | undefined} */ message) {
      errorEl.textContent = message || "";
      errorEl.hidden = !message;
    },
  });
}

/** @param {Org[]} orgs @param {string | null} [value] */
export function orgSelect(orgs, value) {
  return h("select", { class: "select" }, h("option", { value: "", text: t("admin.chooseOrg") }),
    orgs.map((o) => h("option", { value: o.id, text: o.name, selected: o.id === value })));
}

/** Says a refusal of a user edit beside the field it is about; returns the form's message.
 * @param {unknown} error @param {{teams: ErrorShowing, org: ErrorShowing}} fields */
export function userError(error, fields) {
  if (!(error instanceof ApiError)) return errorText(error);
  if (error.code === "unknown_team") {
    fields.teams.setError(t("admin.unknownTeam"));
    return t("admin.unknownTeam");
  }
  if (error.code === "unknown_org") {
    fields.org.setError(t("admin.chooseOrg"));
    return t("admin.unknownOrg");
  }
  if (error.code === "own_role") return t("admin.ownRole");
  return errorText(error);
}

/** The edit form of an existing user: only what the admin changed is sent.
 * @param {User} user
 * @param {{orgs: Org[], teamList: Team[], onSaved: (user: User) => void, onCancel: () => void}} options */
export function userEditor(user, { orgs, teamList, onSaved, onCancel }) {
  const name = h("input", { class: "input", required: true, maxlength: 120, value: user.name });
  const language = h("select", { class: "select" }, Object.entries(LANGUAGES).map(([code, label]) =>
    h("option", { value: code, text: label, selected: code === user.language })));
  const role = h("select", { class: "select", disabled: user.id === signedInUser().id }, ["customer", "agent", "admin"].map((r) =>
    h("option", { value: r, text: t(`role.${r}`), selected: r === user.role })));
  const org = orgSelect(orgs, user.org_id);
  const orgView = h("input", { type: "checkbox", class: "checkbox", id: uid("ov"), checked: user.org_view });
  const fields = {
    name: field(t("admin.name"), name), language: field(t("admin.language"), language),
    role: field(t("admin.role"), role), org: field(t("admin.org"), org),
    orgView: h("div", { class: "field field--check" }, orgView, h("label", { for: orgView.id, text: t("admin.orgViewUser") })),
    teams: teamChecks(teamList, user.team_ids),
  };
  const sync = () => {
    const customer = role.value === "customer";
    fields.org.hidden = !customer;
    fields.orgView.hidden = !customer;
    fields.teams.hidden = customer;
  };
  role.addEventListener("change", sync);
  sync();
  const status = h("div", { class: "form-status", "aria-live": "polite" });
  const save = h("button", { type: "submit", class: "btn btn--primary", text: t("common.save") });
  const cancel = h("button", { type: "button", class: "btn btn--ghost", text: t("common.cancel") });
  cancel.addEventListener("click", onCancel);
  const form = h("form", { class: "form user-edit", "aria-label": t("admin.editUserTitle", { name: user.name }) },
    h("div", { class: "grid grid--3" }, fields.name, fields.language, fields.role),
    h("div", { class: "grid grid--2" }, fields.org, fields.orgView), fields.teams, secondFactorPanel(user), status,
    h("div", { class: "form__actions" }, save, cancel));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    for (const wrapper of [fields.name, fields.org, fields.teams]) wrapper.setError("");
    status.replaceChildren();
    const customer = role.value === "customer";
    const wanted = {
      name: name.value.trim(), language: language.value, role: role.value,
      org_id: customer ? org.value || null : null, org_view: customer && orgView.checked,
      team_ids: customer ? [] : fields.teams.read().sort(),
    };
    /** @type {Record<string, unknown>} */
    const changes = {};
    for (const [key, value] of Object.entries(wanted)) {
      const before = /** @type {Record<string, unknown>} */ (/** @type {unknown} */ (user))[key];
      if (JSON.stringify(value) !== JSON.stringify(before ?? null)) changes[key] = value;
    }
    // Leaving an organization is the role's doing: the server drops it with the role.
    if (changes.org_id === null) delete changes.org_id;
    if (customer && !org.value) {
      fields.org.setError(t("admin.chooseOrg"));
      return;
    }
    if (!Object.keys(changes).length) {
      status.replaceChildren(notice("info", t("admin.noChanges")));
      return;
    }
    save.disabled = true;
    try {
      /** @type {{user: User}} */
      const updated = await patch(`/api/admin/users/${encodeURIComponent(user.id)}`, changes);
      onSaved(updated.user);
    } catch (error) {
      status.replaceChildren(notice("error", userError(error, fields)));
    } finally {
      save.disabled = false;
    }
  });
  return form;
}

// @ts-check
// Teams: topics route conversations to a team; while nobody is assigned, support alerts go to
// the team's address. Created, renamed, the address set or removed.

import { h, append, icon, field, notice, uid } from "../dom.js";
import { get, post, patch, problemsOf, ApiError } from "../api.js";
import { t, errorText } from "../i18n.js";
import { emptyState } from "../ui.js";
import { adminPage } from "./page.js";

/** @type {Record<string, string>} */
const TEAM_FIELD_ERRORS = { id: "admin.teamIdHint", email: "error.invalid_email" };

/** Puts a refusal beside the fields it names; returns the message for the form's status.
 * @param {unknown} error @param {Record<string, ErrorShowing>} fields */
function teamError(error, fields) {
  const details = problemsOf(error);
  for (const detail of details) {
    const name = detail.field || "";
    const wrapper = fields[name];
    if (wrapper) wrapper.setError(TEAM_FIELD_ERRORS[name] ? t(TEAM_FIELD_ERRORS[name]) : detail.message);
  }
  const code = error instanceof ApiError ? error.code : "";
  if (code === "conflict" && fields.id) return t("admin.teamExists");
  if (code === "own_address" && fields.email) {
    fields.email.setError(t("error.own_address"));
    return t("admin.teamInvalid");
  }
  return details.length ? t("admin.teamInvalid") : errorText(error);
}

function teamEmailInput(/** @type {string | null} */ value) {
  return h("input", { class: "input", type: "email", maxlength: 254, value: value || "",
    placeholder: t("admin.teamNoAddress") });
}

function teamCard(/** @type {Team} */ team) {
  const titleId = uid("team");
  const status = h("div", { class: "form-status", "aria-live": "polite" });
  const title = h("h2", { class: "card__title", id: titleId, text: team.name });
  const name = h("input", { class: "input", required: true, maxlength: 80, value: team.name });
  const email = teamEmailInput(team.email);
  const fields = { name: field(t("admin.name"), name), email: field(t("admin.teamEmail"), email) };
  const topics = h("span", { text: team.topics.length ? team.topics.join(", ") : t("admin.teamNoTopics") });
  const save = h("button", { type: "submit", class: "btn btn--secondary", text: t("common.save") });
  const form = h("form", { class: "inline-form" }, fields.name, fields.email, save);
  let current = team;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    for (const wrapper of Object.values(fields)) wrapper.setError("");
    /** @type {{name?: string, email?: string | null}} */
    const changes = {};
    if (name.value.trim() !== current.name) changes.name = name.value.trim();
    const address = email.value.trim() || null;
    if (address !== (current.email || null)) changes.email = address;
    if (!Object.keys(changes).length) {
      status.replaceChildren(notice("info", t("admin.noChanges")));
      return;
    }
    save.disabled = true;
    try {
      current = { ...current, ...(await patch(`/api/admin/teams/${encodeURIComponent(current.id)}`, changes)).team };
      title.textContent = current.name;
      name.value = current.name;
      email.value = current.email || "";
      status.replaceChildren(notice("success", t("admin.teamSaved", { name: current.name })));
    } catch (error) {
      status.replaceChildren(notice("error", teamError(error, fields)));
    } finally {
      save.disabled = false;
    }
  });
  return h("section", { class: "card", "aria-labelledby": titleId, dataset: { teamId: team.id } },
    title,
    h("div", { class: "form" },
      h("p", { class: "muted" }, h("code", { text: team.id }), " · ", t("admin.topics"), ": ", topics),
      form, status));
}

/** @type {PageFn} */
export async function teams({ main }) {
  const list = h("div", { class: "grid" });
  const id = h("input", { class: "input", required: true, maxlength: 40, pattern: "[a-z0-9][a-z0-9_\\-]*" });
  const name = h("input", { class: "input", required: true, maxlength: 80 });
  const email = teamEmailInput("");
  const fields = {
    id: field(t("admin.teamId"), id, { hint: t("admin.teamIdHint") }),
    name: field(t("admin.name"), name),
    email: field(t("admin.teamEmail"), email, { hint: t("admin.teamEmailHint") }),
  };
  const createStatus = h("div", { class: "form-status", "aria-live": "polite" });
  const form = h("form", { class: "form" },
    h("div", { class: "grid grid--3" }, fields.id, fields.name, fields.email),
    createStatus,
    h("div", { class: "form__actions" }, h("button", { type: "submit", class: "btn btn--primary", text: t("admin.createTeam") })));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    for (const wrapper of Object.values(fields)) wrapper.setError("");
    createStatus.replaceChildren();
    try {
      /** @type {{team: Team}} */
      const created = await post("/api/admin/teams", {
        id: id.value.trim(), name: name.value.trim(), email: email.value.trim() || null,
      });
      list.querySelector(".empty")?.remove();
      list.append(teamCard(created.team));
      form.reset();
      createStatus.replaceChildren(notice("success", t("admin.teamCreated", { name: created.team.name })));
    } catch (error) {
      createStatus.replaceChildren(notice("error", teamError(error, fields)));
    }
  });
  /** @type {Page<Team>} */
  const { items } = await get("/api/admin/teams");
  for (const team of items) list.append(teamCard(team));
  if (!items.length) list.append(emptyState(t("admin.noTeams")));
  append(main, adminPage("teams", t("admin.teams"), t("admin.teamsLead"),
    h("details", { class: "card disclosure disclosure--card" },
      h("summary", {}, icon("plus"), t("admin.addTeam")), form),
    list));
}

// @ts-check
// Portal settings: branding, banner links, announcement, topics, display modes, troubleshooter
// forms, timeouts, limits, inbound mail, notifications (settings_form.js builds them). The save
// bar shows only once something differs from what was saved, and a save sends only what
// differs: the settings API is a merge, so what is not sent is kept.

import { h, append, notice } from "../dom.js";
import { get, patch, problemsOf } from "../api.js";
import { t, errorText, fieldErrorText } from "../i18n.js";
import { applyBranding } from "../shell/branding.js";
import { adminPage, allOrgs } from "./page.js";
import { controls } from "./controls.js";
import { settingsSections } from "./settings_form.js";

/** What a save sends for one setting: maps (mail overrides, alert recipients) key by key, a key
 * the admin emptied as null (the server removes only what is null); anything else whole. */
function changeOf(/** @type {unknown} */ before, /** @type {unknown} */ after) {
  /** @returns {value is Record<string, unknown>} */
  const isMap = (/** @type {unknown} */ value) => Boolean(value) && typeof value === "object" && !Array.isArray(value);
  if (!isMap(before) || !isMap(after)) return after;
  /** @type {Record<string, unknown>} */
  const change = {};
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (!(key in after)) change[key] = null;
    else if (JSON.stringify(before[key]) !== JSON.stringify(after[key])) change[key] = changeOf(before[key], after[key]);
  }
  return change;
}

/** @type {PageFn} */
export async function settings({ main }) {
  /** @type {[{settings: Settings}, Team[] | null, Org[] | null]} */
  const [{ settings: loaded }, teamList, orgList] = await Promise.all([
    get("/api/admin/settings"),
    get("/api/admin/teams").then((/** @type {Page<Team>} */ page) => page.items).catch(() => null),
    allOrgs().catch(() => null),
  ]);
  const registry = controls();
  const { sections, updatePreview } = settingsSections(registry, loaded, { teamList, orgList });
  const status = h("div", { class: "form-status", "aria-live": "polite" });
  const save = h("button", { type: "submit", class: "btn btn--primary", text: t("common.saveChanges") });
  const savebar = h("div", { class: "savebar", hidden: true }, status, save);
  const form = h("form", { class: "settings-form", novalidate: true },
    sections, savebar);
  // The save bar sits over the fields, so it shows only while something differs from what was
  // loaded or last saved; after a save it says so for a moment, then goes.
  let baseline = "";
  // What each control showed when loaded (or last saved): a save sends only what differs from
  // it, so a setting, or a mail override, that this page does not show is never sent, and the
  // server's merge keeps it.
  /** @type {Record<string, unknown>} */
  let shown = {};
  /** @type {ReturnType<typeof setTimeout> | null} */
  let hideTimer = null;
  const snapshot = () => JSON.stringify(registry.values());
  const syncSavebar = () => {
    const dirty = snapshot() !== baseline;
    if (dirty) {
      if (hideTimer) clearTimeout(hideTimer);
      hideTimer = null;
      save.hidden = false;
      savebar.hidden = false;
    } else if (!hideTimer && !status.querySelector(".notice--error")) {
      status.replaceChildren();
      savebar.hidden = true;
    }
  };
  for (const type of ["input", "change", "click"]) {
    form.addEventListener(type, () => setTimeout(syncSavebar, 0));
  }
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    registry.clearErrors();
    status.replaceChildren();
    const values = registry.values();
    /** @type {Record<string, unknown>} */
    const changes = {};
    for (const [key, value] of Object.entries(values)) {
      if (JSON.stringify(value) !== JSON.stringify(shown[key])) changes[key] = changeOf(shown[key], value);
    }
    if (!Object.keys(changes).length) {
      status.replaceChildren(notice("info", t("admin.noChanges")));
      return;
    }
    save.disabled = true;
    try {
      await patch("/api/admin/settings", changes);
      baseline = snapshot();
      shown = values;
      status.replaceChildren(notice("success", t("admin.saved")));
      save.hidden = true;
      if (hideTimer) clearTimeout(hideTimer);
      hideTimer = setTimeout(() => {
        hideTimer = null;
        syncSavebar();
      }, 5000);
      /** @type {Branding} */
      const branding = await get("/api/portal/branding", null, { quiet: true });
      applyBranding(branding);
    } catch (error) {
      const details = problemsOf(error);
      for (const detail of details) {
        const key = String(detail.field || "").split(".")[0];
        const wrapper = registry.fieldOf(key);
        if (wrapper && wrapper.setError) wrapper.setError(fieldErrorText(detail), detail);
      }
      status.replaceChildren(notice("error", details.length ? t("admin.invalid") : errorText(error)));
      const first = form.querySelector("[aria-invalid=true], .field__error:not([hidden])");
      if (first) first.scrollIntoView({ block: "center" });
    } finally {
      save.disabled = false;
    }
  });
  append(main, adminPage("settings", t("admin.settings"), t("admin.settingsLead"), form));
  import("./sso.js").then((sso) => sso.ssoSection(main, loaded, orgList));  // single sign-on, its own form
  updatePreview();
  baseline = snapshot();
  shown = registry.values();
}

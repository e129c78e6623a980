// @ts-check
// The profile's Security section: the user's passkeys (services/passkeys.py). Add one under a
// name (the browser asks for the fingerprint, face, screen lock or security key), see when
// each was added and last used, rename one, and remove one after saying so once more.

import { h, field, icon, notice, uid } from "./dom.js";
import { api, get, patch, post } from "./api.js";
import { t, errorText, formatDate, relativeTime } from "./i18n.js";
import { createPasskey, passkeyOrigin, passkeysElsewhere } from "./auth_passkey.js";

/**
 * @typedef {{ id: string, name: string, created_at: string, last_used_at: string | null, synced: boolean }} PasskeyItem
 * @typedef {{ items: PasskeyItem[], max: number }} PasskeyItems
 */

/** @param {HTMLButtonElement} button @param {boolean} on */
function busy(button, on) {
  button.disabled = on;
  if (on) button.setAttribute("aria-busy", "true");
  else button.removeAttribute("aria-busy");
}

/** The section, filled once the list is read. */
export function passkeysCard() {
  const id = uid("sec");
  const status = h("div", { class: "form-status", "aria-live": "polite" });
  const list = h("ul", { class: "documents__list", "aria-labelledby": id });
  const heading = h("h2", { class: "card__title", id, tabindex: "-1", text: t("passkeys.title") });
  const name = field(t("passkeys.name"), h("input", { class: "input", name: "passkey-name", required: true,
    maxlength: 60, autocomplete: "off" }), { hint: t("passkeys.nameHint") });
  const add = h("button", { class: "btn btn--primary", type: "submit", text: t("passkeys.add") });
  const form = h("form", { class: "form", novalidate: true }, name, h("div", { class: "form__actions" }, add));
  const origin = passkeyOrigin();
  const section = h("section", { class: "card", "aria-labelledby": id, "data-section": "passkeys" },
    heading,
    h("div", { class: "form" }, h("p", { class: "muted", text: t("passkeys.lead") }), list,
      origin === location.origin ? form
        : notice("info", origin ? passkeysElsewhere(origin, location.pathname) : t("passkeys.unsupported")),
      status));
  /** @param {"success" | "error" | "info"} kind @param {string} text */
  const say = (kind, text) => status.replaceChildren(notice(kind, text));
  let max = 0;

  async function show() {
    /** @type {PasskeyItems} */
    const answer = await get("/api/me/passkeys");
    max = answer.max;
    list.replaceChildren(...(answer.items.length ? answer.items.map(entry)
      : [h("li", { class: "documents__item muted", text: t("passkeys.none") })]));
    form.hidden = answer.items.length >= max;
  }

  /** @param {PasskeyItem} passkey */
  function entry(passkey) {
    const used = passkey.last_used_at
      ? t("passkeys.lastUsed", { when: relativeTime(passkey.last_used_at) }) : t("passkeys.neverUsed");
    const title = h("span", { class: "documents__name", text: passkey.name });
    const meta = h("div", { class: "documents__meta" }, title,
      h("time", { class: "documents__sub muted", datetime: passkey.created_at,
        text: t("passkeys.addedOn", { when: formatDate(passkey.created_at) }) }),
      h("span", { class: "documents__sub muted", text: used }));
    const rename = h("button", { class: "btn btn--ghost btn--small", type: "button", text: t("passkeys.rename"),
      "aria-label": t("passkeys.renameOne", { name: passkey.name }) });
    const remove = h("button", { class: "btn btn--danger-ghost btn--small", type: "button",
      text: t("passkeys.remove"), "aria-label": t("passkeys.removeOne", { name: passkey.name }) });
    const actions = h("div", { class: "form__actions" }, rename, remove);
    const item = h("li", { class: "documents__item", dataset: { passkey: passkey.id } },
      h("span", { class: "documents__icon", "aria-hidden": "true" }, icon("lock")), meta, actions);
    rename.addEventListener("click", () => renaming(passkey, meta, actions));
    remove.addEventListener("click", () => removing(passkey, actions, remove));
    return item;
  }

  /** The name becomes a field with Save and Cancel.
   * @param {PasskeyItem} passkey @param {HTMLElement} meta @param {HTMLElement} actions */
  function renaming(passkey, meta, actions) {
    const input = field(t("passkeys.newName"), h("input", { class: "input", name: "rename", required: true,
      maxlength: 60, value: passkey.name, autocomplete: "off" }));
    const save = h("button", { class: "btn btn--primary btn--small", type: "submit", text: t("common.save") });
    const cancel = h("button", { class: "btn btn--ghost btn--small", type: "button", text: t("common.cancel") });
    const editor = h("form", { class: "form" }, input, h("div", { class: "form__actions" }, save, cancel));
    meta.hidden = actions.hidden = true;
    meta.after(editor);
    input.control.focus();
    const close = () => {
      editor.remove();
      meta.hidden = actions.hidden = false;
    };
    cancel.addEventListener("click", close);
    editor.addEventListener("submit", async (event) => {
      event.preventDefault();
      const value = input.control.value.replace(/\s+/g, " ").trim();
      if (!value) {
        input.setError(t("error.required"));
        return;
      }
      busy(save, true);
      try {
        await patch(`/api/me/passkeys/${encodeURIComponent(passkey.id)}`, { name: value });
        say("success", t("passkeys.renamed", { name: value }));
        await show();
      } catch (error) {
        busy(save, false);
        input.setError(errorText(error));
      }
    });
  }

  /** "Remove" asks once more, in place: Remove for good, or Keep it.
   * @param {PasskeyItem} passkey @param {HTMLElement} actions @param {HTMLButtonElement} remove */
  function removing(passkey, actions, remove) {
    const sure = h("button", { class: "btn btn--danger btn--small", type: "button",
      text: t("passkeys.removeConfirm") });
    const keep = h("button", { class: "btn btn--ghost btn--small", type: "button", text: t("passkeys.keep") });
    const question = h("div", { class: "form__actions", role: "group", "aria-label": t("passkeys.removeOne", { name: passkey.name }) },
      h("span", { text: t("passkeys.removeQuestion", { name: passkey.name }) }), sure, keep);
    actions.replaceWith(question);
    sure.focus();
    keep.addEventListener("click", () => {
      question.replaceWith(actions);
      remove.focus();
    });
    sure.addEventListener("click", async () => {
      busy(sure, true);
      try {
        await api("DELETE", `/api/me/passkeys/${encodeURIComponent(passkey.id)}`);
        say("success", t("passkeys.removed", { name: passkey.name }));
        await show();
        heading.focus();
      } catch (error) {
        busy(sure, false);
        say("error", errorText(error));
      }
    });
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    status.replaceChildren();
    name.setError("");
    const value = name.control.value.replace(/\s+/g, " ").trim();
    if (!value) {
      name.setError(t("error.required"));
      name.control.focus();
      return;
    }
    busy(add, true);
    try {
      const credential = await createPasskey(await post("/api/me/passkeys/options", {}));
      await post("/api/me/passkeys", { name: value, credential });
      form.reset();
      say("success", t("passkeys.addedOne", { name: value }));
      await show();
    } catch (error) {
      say("error", errorText(error));
    } finally {
      busy(add, false);
      // The busy button lost the focus: give it back (to the heading when the form is gone)
      if (document.activeElement === document.body) (form.hidden ? heading : add).focus();
    }
  });

  show().catch((error) => say("error", errorText(error)));
  return section;
}

// @ts-check
// The settings page's mail editor: every mail the portal sends, per language, starting from its
// built-in text, with the variables it may use and a preview rendered by the server with sample
// data. What differs from the built-in text is saved with the other settings; a wording the
// server refuses shows its reason beside its editor. The preview is text, set with textContent.

import { h, field } from "../dom.js";
import { get, post, problemsOf } from "../api.js";
import { t, has, errorText, LANGUAGES } from "../i18n.js";

const CATALOG = "/api/admin/settings/mail-templates";
const PREVIEW = "/api/admin/settings/mail-templates/preview";

/** A stable text of a wording map, whatever order its keys came in.
 * @param {any} value @returns {string} */
function canonical(value) {
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  return `{${Object.keys(value).sort().map((key) => `${JSON.stringify(key)}:${canonical(value[key])}`).join(",")}}`;
}

function mailName(/** @type {string} */ name) {
  const key = `admin.template.${name}`;
  return has(key) ? t(key) : name;
}

function variableText(/** @type {MailTemplate["variables"][number]} */ variable) {
  const key = `admin.mailVar.${variable.name}`;
  return has(key) ? t(key) : variable.description;
}

/** The reason the server gave for refusing one part, in the reader's language. */
export function refusalText(/** @type {ErrorDetail} */ detail) {
  const key = `error.${detail.code}`;
  return has(key) ? t(key, { reason: String(detail.reason || "") }) : detail.message || "";
}

/** One mail's editor in one language, from its saved wording or else the built-in one.
 * @param {MailTemplate} template @param {string} lang @param {MailWording | null | undefined} saved */
function editor(template, lang, saved) {
  const builtin = template.builtin[lang];
  const fixed = template.subject_fixed;
  const subject = h("input", { class: "input input--small", maxlength: 300, readonly: fixed,
    value: (!fixed && saved && saved.subject) || builtin.subject, "aria-label": `${t("admin.templateSubject")} (${LANGUAGES[lang]})` });
  const body = h("textarea", { class: "textarea textarea--small", rows: 8, maxlength: 10000,
    "aria-label": `${t("admin.templateBody")} (${LANGUAGES[lang]})` });
  body.value = (saved && saved.body) || builtin.body;
  const errorEl = h("p", { class: "field__error mail-template__error", role: "alert", hidden: true });
  const output = h("div", { class: "mail-template__preview", "aria-live": "polite" });
  const setError = (/** @type {string | undefined} */ message) => {
    errorEl.textContent = message || "";
    errorEl.hidden = !message;
    for (const control of [subject, body]) {
      if (message) control.setAttribute("aria-invalid", "true");
      else control.removeAttribute("aria-invalid");
    }
  };
  const wording = () => {
    const s = subject.value.trim();
    const b = body.value;
    return {
      subject: !fixed && s && s !== builtin.subject.trim() ? s : null,
      body: b.trim() && b.trim() !== builtin.body.trim() ? b : null,
    };
  };
  const previewButton = h("button", { type: "button", class: "btn btn--small", text: t("admin.mailPreview") });
  previewButton.addEventListener("click", async () => {
    setError("");
    output.replaceChildren();
    previewButton.disabled = true;
    try {
      /** @type {{preview: {subject: string, text: string}}} */
      const { preview } = await post(PREVIEW, { template: template.name, language: lang, ...wording() });
      // Text only: never the mail's HTML in the admin page.
      output.replaceChildren(h("div", { class: "notice notice--info mail-template__shown" },
        h("p", {}, h("strong", { text: `${t("admin.templateSubject")}: ` }), preview.subject),
        h("p", { class: "mail-template__text", text: preview.text })));
    } catch (error) {
      const [detail] = problemsOf(error);
      setError(detail && detail.code ? refusalText(detail) : errorText(error));
    } finally {
      previewButton.disabled = false;
    }
  });
  const resetButton = h("button", { type: "button", class: "btn btn--small btn--ghost", text: t("admin.mailReset") });
  resetButton.addEventListener("click", () => {
    subject.value = builtin.subject;  // a fixed subject never changed
    body.value = builtin.body;
    setError("");
    output.replaceChildren();
    body.dispatchEvent(new Event("input", { bubbles: true }));
  });
  const element = h("div", { class: "template mail-template", dataset: { template: template.name, lang } },
    h("p", { class: "template__lang", text: LANGUAGES[lang] }),
    field(t("admin.templateSubject"), subject, { hint: fixed ? t("admin.templateSubjectFixed") : undefined }),
    field(t("admin.templateBody"), body),
    h("div", { class: "inline-form" }, previewButton, resetButton), errorEl, output);
  return { template: template.name, lang, element, wording, setError };
}

/** The mail templates control of the settings page (key "notification_templates"). */
/** @param {Registry} registry @param {Settings} settings */
export function templatesControl(registry, settings) {
  /** @type {Record<string, Record<string, MailWording | null>>} */
  const current = settings.notification_templates || {};
  /** @type {ReturnType<typeof editor>[]} */
  const editors = [];
  const list = h("div", { class: "mail-templates" }, h("p", { class: "muted", text: t("common.loading") }));
  const errorEl = h("p", { class: "field__error", hidden: true });
  const wrapper = h("fieldset", { class: "field fieldset" },
    h("legend", { class: "field__label", text: t("admin.templates") }),
    h("p", { class: "field__hint", text: t("admin.templatesHint") }), list, errorEl);
  /** @param {string} [message] @param {ErrorDetail} [detail] */
  const setError = (message, detail) => {
    if (!message) {
      for (const one of editors) one.setError("");
      errorEl.textContent = "";
      errorEl.hidden = true;
      return;
    }
    const target = detail && editors.find((one) => one.template === detail.template && one.lang === detail.language);
    if (detail && target) {
      target.setError(refusalText(detail));
      const disclosure = target.element.closest("details");
      if (disclosure) disclosure.open = true;
      return;
    }
    errorEl.textContent = message;
    errorEl.hidden = false;
  };
  get(CATALOG).then((/** @type {{templates: MailTemplate[]}} */ { templates }) => {
    list.replaceChildren(...templates.map((template) => {
      const mine = Object.keys(LANGUAGES).map((lang) => editor(template, lang, (current[template.name] || {})[lang]));
      editors.push(...mine);
      return h("details", { class: "disclosure mail-templates__mail", dataset: { template: template.name } },
        h("summary", { text: mailName(template.name) }),
        h("p", { class: "field__hint", text: t("admin.mailVariables") }),
        h("ul", { class: "mail-templates__variables" }, template.variables.map((variable) =>
          h("li", {}, h("code", { text: `{{ ${variable.name} }}` }), ` ${variableText(variable)}`,
            template.required.includes(variable.name) ? h("strong", { text: ` (${t("admin.mailRequired")})` }) : null))),
        h("div", { class: "grid grid--3" }, mine.map((one) => one.element)));
    }));
  }).catch((/** @type {unknown} */ error) => {
    list.replaceChildren(h("p", { class: "field__error", text: errorText(error) }));
  });
  return registry.add("notification_templates", () => {
    if (!editors.length) return current;
    /** @type {Record<string, Record<string, MailWording | null>>} */
    const result = {};
    for (const one of editors) {
      const wording = one.wording();
      const had = (current[one.template] || {})[one.lang];
      if (wording.subject === null && wording.body === null && !had) continue;
      result[one.template] = result[one.template] || {};
      // null takes a saved wording away: the mail goes back to its built-in text.
      result[one.template][one.lang] = wording.subject === null && wording.body === null ? null : wording;
    }
    return canonical(result) === canonical(current) ? current : result;
  }, Object.assign(wrapper, { setError }));
}

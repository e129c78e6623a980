// @ts-check
// The settings page's troubleshooter forms: one block per form (name, id, topic, introduction,
// and the questions as text: one a line, choices after "|"), and under it the form in each
// language (what is left empty reads as the form's own words); a refusal goes in the block of
// the form it names, one about the whole list above it.

import { h, icon, field } from "../dom.js";
import { t, LANGUAGES } from "../i18n.js";

/** Questions of a troubleshooter as the admin edits them: one a line, choices after "|". */
function questionsText(/** @type {TroubleshooterQuestion[] | undefined} */ questions) {
  return (questions || []).map((q) => [q.text, ...(q.options || [])].join(" | ")).join("\n");
}

/** @returns {TroubleshooterQuestion[]} */
function parseQuestions(/** @type {string} */ text) {
  return text.split("\n").map((line) => line.trim()).filter(Boolean).map((line) => {
    const [question, ...options] = line.split("|").map((part) => part.trim());
    return { text: question, options: options.filter(Boolean) };
  });
}

/** "questions.2.options" (or "translations.fr.questions.2.text") of a refusal, said the way
 * the admin sees the form. @param {string} path @returns {string} */
function troubleshooterPlace(path) {
  const translated = /^translations\.(\w+)\.?(.*)$/.exec(path);
  if (translated) {
    const language = LANGUAGES[translated[1]] || translated[1];
    const inner = translated[2] ? troubleshooterPlace(translated[2]) : t("admin.ts.translations");
    return t("admin.ts.inLanguage", { field: inner, language });
  }
  const question = /^questions\.(\d+)/.exec(path);
  if (question) return t("admin.ts.questionN", { n: Number(question[1]) + 1 });
  const name = path.split(".")[0];
  /** @type {Record<string, string>} */
  const places = { id: t("admin.ts.id"), name: t("admin.ts.name"), topic: t("admin.ts.topic"),
    intro: t("admin.ts.intro"), questions: t("admin.ts.questions"), translations: t("admin.ts.translations") };
  return places[name] || path;
}

/** The form in each language, folded away under the form: a name, an introduction and the
 * questions (all of them in the form's order, each with as many choices), each left empty to
 * read as the form's own. Returns the fold and what it reads back (only the languages given).
 * @param {Partial<Troubleshooter>} value */
function translationsEditor(value) {
  const saved = value.translations || {};
  const languages = Object.entries(LANGUAGES).map(([code, language]) => {
    const wording = saved[code] || { name: "", intro: "", questions: [] };
    const label = (/** @type {string} */ key) => t("admin.ts.inLanguage", { field: t(key), language });
    const name = h("input", { class: "input", value: wording.name, maxlength: 80, lang: code });
    const intro = h("textarea", { class: "textarea textarea--small", rows: 2, maxlength: 1000, lang: code });
    intro.value = wording.intro;
    const questions = h("textarea", { class: "textarea textarea--small", rows: 4, lang: code });
    questions.value = questionsText(wording.questions);
    const block = h("fieldset", { class: "fieldset ts-language" },
      h("legend", { class: "field__label", text: language }),
      field(label("admin.ts.name"), name), field(label("admin.ts.intro"), intro),
      field(label("admin.ts.questions"), questions));
    return { code, block, read: () => ({ name: name.value.trim(), intro: intro.value.trim(),
      questions: parseQuestions(questions.value) }) };
  });
  const given = Object.keys(saved).length;
  const fold = h("details", { class: "ts-translations", open: given > 0 },
    h("summary", { text: t("admin.ts.translations") }),
    h("p", { class: "field__hint", text: t("admin.ts.translationsHint") }),
    languages.map(({ block }) => block));
  const read = () => {
    /** @type {Record<string, TroubleshooterWording>} */
    const wordings = {};
    for (const { code, read: wording } of languages) {
      const given = wording();
      if (given.name || given.intro || given.questions.length) wordings[code] = given;
    }
    return wordings;
  };
  return { fold, read };
}

/** @param {Registry} registry @param {Settings} settings @param {Choice[]} topicOptions */
export function troubleshootersControl(registry, settings, topicOptions) {
  const list = h("div", { class: "troubleshooters" });
  /** @type {{block: HTMLElement, errorEl: HTMLElement, value: () => Troubleshooter}[]} */
  const forms = [];
  const addForm = (/** @type {Partial<Troubleshooter>} */ value = {}) => {
    const name = h("input", { class: "input", value: value.name || "", maxlength: 80 });
    const id = h("input", { class: "input", value: value.id || "", maxlength: 40,
      pattern: "[a-z0-9][a-z0-9_-]*", autocomplete: "off" });
    const topic = h("select", { class: "select" },
      topicOptions.map(([topicId, text]) => h("option", { value: topicId, text, selected: value.topic === topicId })));
    // A form of a topic that is gone keeps it, so saving says what is wrong instead of moving it.
    if (value.topic && !topicOptions.some(([topicId]) => topicId === value.topic)) {
      topic.append(h("option", { value: value.topic, text: value.topic, selected: true }));
    }
    const intro = h("textarea", { class: "textarea textarea--small", rows: 2, maxlength: 1000 });
    intro.value = value.intro || "";
    const questions = h("textarea", { class: "textarea textarea--small", rows: 5,
      placeholder: t("admin.ts.questionsPlaceholder") });
    questions.value = questionsText(value.questions);
    const translations = translationsEditor(value);
    const errorEl = h("p", { class: "field__error field__error--lines", role: "alert", hidden: true });
    const legend = h("legend", { class: "field__label" });
    const remove = h("button", { type: "button", class: "btn btn--ghost btn--small" }, icon("trash"),
      h("span", { text: t("admin.ts.remove") }));
    const block = h("fieldset", { class: "field fieldset troubleshooter-edit" }, legend,
      h("div", { class: "grid grid--2" },
        field(t("admin.ts.name"), name), field(t("admin.ts.id"), id, { hint: t("admin.ts.idHint") })),
      field(t("admin.ts.topic"), topic),
      field(t("admin.ts.intro"), intro, { optional: t("common.optional") }),
      field(t("admin.ts.questions"), questions, { hint: t("admin.ts.questionsHint") }),
      translations.fold,
      errorEl, h("div", { class: "form__actions" }, remove));
    const entry = {
      block, errorEl,
      value: () => ({ id: id.value.trim(), name: name.value.trim(), topic: topic.value,
        intro: intro.value.trim(), questions: parseQuestions(questions.value),
        translations: translations.read() }),
    };
    const label = () => { legend.textContent = name.value.trim() || t("admin.ts.untitled"); };
    name.addEventListener("input", label);
    label();
    remove.addEventListener("click", () => {
      forms.splice(forms.indexOf(entry), 1);
      block.remove();
    });
    forms.push(entry);
    list.append(block);
    return name;
  };
  for (const value of settings.troubleshooters || []) addForm(value);
  const add = h("button", { type: "button", class: "btn btn--secondary btn--small" }, icon("plus"),
    h("span", { text: t("admin.ts.add") }));
  add.addEventListener("click", () => addForm({ topic: topicOptions.length ? topicOptions[0][0] : "" }).focus());
  const errorEl = h("p", { class: "field__error field__error--lines", role: "alert", hidden: true });
  // The section's title already says "Troubleshooters"; the list has no heading of its own.
  const wrapper = h("div", { class: "field" },
    h("p", { class: "field__hint", text: t("admin.troubleshootersHint") }), errorEl, list, add);
  const show = (/** @type {HTMLElement} */ el, /** @type {string} */ message) => {
    el.textContent = el.hidden ? message : `${el.textContent}\n${message}`;
    el.hidden = false;
  };
  // Each refusal goes beside the form it is about ("troubleshooters.1.questions.0.text");
  // one about the list as a whole (a duplicate id, an unknown topic) goes under the list.
  /** @param {string} [message] @param {ErrorDetail} [detail] */
  const setError = (message, detail) => {
    if (!message) {
      for (const el of [errorEl, ...forms.map((f) => f.errorEl)]) {
        el.textContent = "";
        el.hidden = true;
      }
      return;
    }
    const where = /^troubleshooters\.(\d+)\.?(.*)$/.exec((detail && detail.field) || "");
    const form = where ? forms[Number(where[1])] : null;
    if (where && form) show(form.errorEl, `${troubleshooterPlace(where[2])}: ${detail && detail.message}`);
    else show(errorEl, (detail && detail.message) || message);
  };
  return registry.add("troubleshooters", () => forms.map((f) => f.value()), Object.assign(wrapper, { setError }));
}
